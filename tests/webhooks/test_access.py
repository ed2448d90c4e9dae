"""Who may see what: share link, session, bearer token, nothing × own/other workspace."""

from datetime import timedelta

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from services import access, incidents, workspaces
from store.models import LoginLink, WebSession
from store.types import utcnow
from tests.web_support import BASE_URL, Web, web_fixture  # noqa: F401
from vigilo.app import build
from vigilo.settings import Settings
from webhooks.auth import SESSION_COOKIE

LIST = "/ws/{slug}/incidents"
DETAIL = "/ws/{slug}/incidents/INC-0001"

# (credential kind, whose workspace the URL names) -> (list status, detail status)
MATRIX = {
    ("none", "own"): (401, 401), ("none", "other"): (401, 401),
    ("token", "own"): (200, 200), ("token", "other"): (404, 404),
    ("session", "own"): (200, 200), ("session", "other"): (404, 404),
    ("share", "own"): (401, 200), ("share", "other"): (401, 404),
}


def test_access_matrix(web: Web) -> None:
    failures = []
    for (via, whose), expected in MATRIX.items():
        target = web.own if whose == "own" else web.other
        for template, want in zip((LIST, DETAIL), expected, strict=True):
            for as_json in (False, True):
                path = template.format(slug=target.slug)
                response = web.get(path, via=via, tenant=web.own, as_json=as_json)
                got = response.status_code
                if got != want:
                    failures.append(f"{via} on {whose} {path} json={as_json}: {got} != {want}")
                    continue
                body = response.text
                # Nothing of the other workspace leaks into any answer.
                assert "Globex secret outage" not in body, (via, whose, path)
                if got == 200:
                    assert "Checkout is down" in body
                    kind = "application/json" if as_json else "text/html"
                    assert response.headers["content-type"].startswith(kind)
                if got == 401:
                    assert response.headers["www-authenticate"].startswith("Bearer")
    assert not failures, "\n".join(failures)


def test_other_tenant_sees_only_its_own(web: Web) -> None:
    response = web.get(LIST.format(slug="globex"), via="session", tenant=web.other,
                       as_json=True)
    assert response.status_code == 200
    assert [i["title"] for i in response.json()["incidents"]] == ["Globex secret outage"]
    assert web.get(DETAIL.format(slug="acme"), via="token", tenant=web.other).status_code == 404


def test_a_share_link_works_while_signed_in_elsewhere(web: Web) -> None:
    # Gloria (globex) opens a link acme shared with her: the link alone decides.
    web.client.cookies.set(SESSION_COOKIE, web.other.session)
    response = web.client.get(DETAIL.format(slug="acme"), params={"share": web.own.share})
    assert response.status_code == 200 and "Checkout is down" in response.text
    # The link opens that one incident only, not the list and not another incident.
    assert web.get(LIST.format(slug="acme"), via="share").status_code == 401


@pytest.mark.parametrize("as_json", [False, True])
def test_every_not_found_is_the_same(web: Web, as_json: bool) -> None:
    access.create_share_link(web.db, web.own.actor, "INC-0001")  # a live link stays live
    _, revoked = access.create_share_link(web.db, web.own.actor, "INC-0001")
    # The other incident's own link must not open INC-0001, and vice versa.
    incidents.declare(web.db, web.own.actor, title="Second")
    _, second_share = access.create_share_link(web.db, web.own.actor, "INC-0002")
    access.revoke_share_links(web.db, web.own.actor, "INC-0001")
    answers = {
        "missing incident": web.get("/ws/acme/incidents/INC-0099", via="session",
                                    as_json=as_json),
        "missing workspace": web.get("/ws/nope/incidents/INC-0001", via="session",
                                     as_json=as_json),
        "other workspace": web.get(DETAIL.format(slug="globex"), via="session",
                                   as_json=as_json),
        "wrong share": web.get(DETAIL.format(slug="acme"), via="share", share="x" * 43,
                               as_json=as_json),
        "revoked share": web.get(DETAIL.format(slug="acme"), via="share", share=revoked,
                                 as_json=as_json),
        "revoked original": web.get(DETAIL.format(slug="acme"), via="share",
                                    as_json=as_json),
        "share of another incident": web.get(DETAIL.format(slug="acme"), via="share",
                                             share=second_share, as_json=as_json),
        "share on other workspace": web.get("/ws/globex/incidents/INC-0002", via="share",
                                            share=second_share, as_json=as_json),
        "not a key": web.get("/ws/acme/incidents/nonsense", via="share",
                             share=second_share, as_json=as_json),
    }
    bodies = {name: (r.status_code, r.content) for name, r in answers.items()}
    assert {status for status, _ in bodies.values()} == {404}, bodies
    assert len({body for _, body in bodies.values()}) == 1, bodies
    # ...while the second incident's link still opens the second incident.
    ok = web.get("/ws/acme/incidents/INC-0002", via="share", share=second_share)
    assert ok.status_code == 200 and "Second" in ok.text


def test_wrong_or_revoked_bearer_is_401_even_with_a_share_link(web: Web) -> None:
    for header in ("Bearer vgl_wrong", "Bearer ", "Basic dXNlcjpwYXNz", web.own.token):
        response = web.client.get(DETAIL.format(slug="acme"),
                                  params={"share": web.own.share},
                                  headers={"authorization": header,
                                           "accept": "application/json"})
        assert response.status_code == 401, header
        assert response.json()["error"] == "unauthorized"
        assert response.headers["www-authenticate"].startswith("Bearer")
    workspaces.revoke_token(web.db, web.own.workspace_id, "acme-ci")
    assert web.get(LIST.format(slug="acme"), via="token").status_code == 401


def test_unauthenticated_answers_do_not_reveal_workspaces(web: Web) -> None:
    real = web.get(LIST.format(slug="acme"))
    missing = web.get(LIST.format(slug="does-not-exist"))
    assert real.status_code == missing.status_code == 401
    assert real.content == missing.content
    assert "/vigilo web" in real.text


def login_token(web: Web) -> str:
    return access.create_login_link(web.db, web.own.actor)


def test_sign_in_link_survives_previews_and_is_single_use(web: Web) -> None:
    token = login_token(web)
    web.client.cookies.clear()
    for _ in range(3):  # link unfurlers and mail scanners only GET
        page = web.client.get("/auth/login", params={"token": token})
        assert page.status_code == 200 and 'action="/auth/login"' in page.text
        assert "set-cookie" not in page.headers
    response = web.client.post("/auth/login", data={"token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/ws/acme/incidents"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    listing = web.client.get("/ws/acme/incidents")
    assert listing.status_code == 200 and "Checkout is down" in listing.text
    web.client.cookies.clear()
    again = web.client.post("/auth/login", data={"token": token}, follow_redirects=False)
    assert again.status_code == 404 and "set-cookie" not in again.headers
    assert web.client.get("/auth/login", params={"token": token}).status_code == 404


def test_expired_sign_in_link_is_refused(web: Web) -> None:
    token = login_token(web)
    with web.db.transaction() as session:
        link = session.exec(select(LoginLink).where(
            LoginLink.token_hash == access.digest(token))).one()
        link.expires_at = utcnow() - timedelta(seconds=1)
    assert web.client.get("/auth/login", params={"token": token}).status_code == 404
    response = web.client.post("/auth/login", data={"token": token}, follow_redirects=False)
    assert response.status_code == 404 and "/vigilo web" in response.text


def test_sign_in_from_another_site_is_refused(web: Web) -> None:
    token = login_token(web)
    forged = web.client.post("/auth/login", data={"token": token}, follow_redirects=False,
                             headers={"origin": "https://evil.example"})
    assert forged.status_code == 403 and "set-cookie" not in forged.headers
    cross = web.client.post("/auth/login", data={"token": token}, follow_redirects=False,
                            headers={"origin": "null", "sec-fetch-site": "cross-site"})
    assert cross.status_code == 403
    # The refused attempts did not use the link up; our own page's post still works
    # (with no-referrer, browsers send `Origin: null` and Sec-Fetch-Site: same-origin).
    ok = web.client.post("/auth/login", data={"token": token}, follow_redirects=False,
                         headers={"origin": "null", "sec-fetch-site": "same-origin"})
    assert ok.status_code == 303


def test_sign_out_ends_the_session(web: Web) -> None:
    web.client.cookies.set(SESSION_COOKIE, web.own.session)
    response = web.client.post("/auth/logout", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/auth/login"
    assert f'{SESSION_COOKIE}=""' in response.headers["set-cookie"]
    assert web.get(LIST.format(slug="acme"), via="session").status_code == 401
    with web.db.read() as session:
        assert session.exec(select(WebSession).where(
            WebSession.token_hash == access.digest(web.own.session))).one().revoked_at


def test_expired_session_is_signed_out(web: Web) -> None:
    with web.db.transaction() as session:
        row = session.exec(select(WebSession).where(
            WebSession.token_hash == access.digest(web.own.session))).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
    assert web.get(LIST.format(slug="acme"), via="session").status_code == 401


def test_cookie_is_secure_behind_https(web: Web) -> None:
    app = build(Settings(database_url=web.db.url, base_url="https://vigilo.test"), db=web.db,
                run_worker=False).asgi
    assert app is not None
    with TestClient(app, base_url="https://vigilo.test") as client:
        response = client.post("/auth/login", data={"token": login_token(web)},
                               follow_redirects=False)
    assert response.status_code == 303 and "Secure" in response.headers["set-cookie"]
    assert BASE_URL.startswith("http://")

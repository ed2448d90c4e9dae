"""Changes and runbooks from CI/CD: `POST /ws/{slug}/changes/`, `POST /ws/{slug}/runbooks/`."""

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services import change_requests, runbooks
from tests.web_support import BASE_URL, Web, web_fixture  # noqa: F401


def post(web: Web, url: str, body: Any, *, token: str | None = None,
         key: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"authorization": f"Bearer {token or web.own.token}"}
    if key is not None:
        headers["idempotency-key"] = key
    web.client.cookies.clear()
    if isinstance(body, bytes):
        return web.client.post(url, content=body, headers=headers)
    return web.client.post(url, json=body, headers=headers)


def test_create_change_then_replay_with_the_same_key(web: Web) -> None:
    body = {"title": "Deploy checkout 4.2", "affected_assets": ["checkout"], "author": "ci",
            "link": "https://ci.example/run/9", "started_at": "2026-11-30T10:00:00Z"}
    first = post(web, "/ws/acme/changes/", body, key="run-9")
    assert first.status_code == 201
    data = first.json()
    assert data["key"] == "CHG-0001" and data["affected_assets"] == ["checkout"]
    assert first.headers["location"] == f"{BASE_URL}/ws/acme/changes/CHG-0001"
    again = post(web, "/ws/acme/changes", body, key="run-9")
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["key"] == "CHG-0001"
    assert len(change_requests.recent(web.db, web.world.ws_id)) == 1


def test_bad_changes_are_422_with_every_reason_and_record_nothing(web: Web) -> None:
    response = post(web, "/ws/acme/changes/", {"title": "", "affected_assets": 5,
                                               "started_at": "yesterday", "colour": "red"})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"title", "affected_assets", "started_at", "colour"}
    assert post(web, "/ws/acme/changes/", b"{nope").status_code == 422
    assert post(web, "/ws/acme/changes/", {"title": "x", "link": "javascript:1"}).json()[
        "errors"] == {"link": "The link must be an http(s) URL of at most 2000 characters."}
    assert change_requests.recent(web.db, web.world.ws_id) == []


def test_tokens_are_required_and_scoped_to_their_workspace(web: Web) -> None:
    web.client.cookies.clear()
    assert web.client.post("/ws/acme/changes/", json={"title": "x"}).status_code == 401
    assert post(web, "/ws/acme/changes/", {"title": "x"}, token="nope").status_code == 401
    assert post(web, "/ws/acme/changes/", {"title": "x"},
                token=web.other.token).status_code == 404
    assert post(web, "/ws/acme/runbooks/", {"title": "x"},
                token=web.other.token).status_code == 404


def test_create_runbook(web: Web) -> None:
    response = post(web, "/ws/acme/runbooks/", {"title": "Checkout failover",
                                                "tags": "checkout, payments",
                                                "link": "https://wiki/rb/1",
                                                "excerpt": "Flip the region."})
    assert response.status_code == 201
    assert response.json()["tags"] == ["checkout", "payments"]
    assert post(web, "/ws/acme/runbooks/", {"title": " "}).status_code == 422
    assert [r.title for r in runbooks.list_runbooks(web.db, web.world.ws_id)] == [
        "Checkout failover"]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(["title", "affected_assets", "link", "started_at",
                                        "finished_at", "description", "x"]),
                       st.one_of(st.none(), st.integers(), st.text(max_size=50),
                                 st.lists(st.text(max_size=10), max_size=3))))
def test_any_body_is_answered_without_a_server_error(web: Web, body: dict) -> None:
    assert post(web, "/ws/acme/changes/", body).status_code in (201, 422)


def test_what_postgresql_cannot_store_is_cleaned_from_a_change(web: Web) -> None:
    # Found by the test above: a title of a NUL alone was a 500 on PostgreSQL.
    empty = post(web, "/ws/acme/changes/", {"title": "\x00"})
    assert empty.status_code == 422 and "title is empty" in empty.text
    made = post(web, "/ws/acme/changes/", {"title": "Deploy\x00 api", "author": "Ada\x00",
                                          "affected_assets": ["check\x00out"]})
    assert made.status_code == 201
    assert (made.json()["title"], made.json()["affected_assets"]) == ("Deploy api", ["checkout"])

"""Passwordless sign-in: `/vigilo web` in Slack sends a one-time link to `/auth/login`.

The link's GET only shows a "Sign in" button; the POST behind it redeems the token. Link
previews, chat unfurlers and mail scanners fetch URLs with GET, so they cannot use up a
single-use link before the person clicks it.
"""

from functools import partial
from urllib.parse import parse_qs

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.errors import DomainError
from services import access
from webhooks.auth import SESSION_COOKIE
from webhooks.render import PRIVATE, Site
from webhooks.security import same_origin

INVALID_LINK = ("This sign-in link is invalid, used or expired. Type /vigilo web in Slack "
                "for a new one.")
HOW_TO = "To sign in, type /vigilo web in Slack and follow the link it sends you."


async def login_page(site: Site, request: Request) -> Response:
    token = request.query_params.get("token") or ""
    return await anyio.to_thread.run_sync(partial(_login_page, site, token))


def _login_page(site: Site, token: str) -> Response:
    if not token:
        return site.message("Sign in", HOW_TO, 200)
    if not access.login_link_is_live(site.db, token):
        return site.message("Sign-in link expired", INVALID_LINK, 404)
    return site.page("signin.html", token=token)


async def login(site: Site, request: Request) -> Response:
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    token = (form.get("token") or [""])[0]
    if not same_origin(request.headers, site.base_url, _request_origin(request)):
        return site.message("Sign in", "This form must be sent from Vigilo's own page.", 403)
    return await anyio.to_thread.run_sync(partial(_login, site, request, token))


def _login(site: Site, request: Request, token: str) -> Response:
    try:
        signed_in = access.redeem_login_link(site.db, token)
    except DomainError:
        return site.message("Sign-in link expired", INVALID_LINK, 404)
    response = RedirectResponse(f"/ws/{signed_in.workspace_slug}/incidents", 303,
                                headers=PRIVATE)
    response.set_cookie(SESSION_COOKIE, signed_in.session_token,
                        max_age=int(access.SESSION_TTL.total_seconds()), path="/",
                        httponly=True, samesite="lax", secure=_secure(site, request))
    return response


async def logout(site: Site, request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE) or ""
    if not same_origin(request.headers, site.base_url, _request_origin(request)):
        return site.message("Sign out", "This form must be sent from Vigilo's own page.", 403)
    if token:
        await anyio.to_thread.run_sync(access.end_session, site.db, token)
    response = RedirectResponse("/auth/login", 303, headers=PRIVATE)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=_secure(site, request))
    return response


def _secure(site: Site, request: Request) -> bool:
    """Secure cookies whenever the public URL or this request is https."""
    return site.base_url.startswith("https://") or request.url.scheme == "https"


def _request_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"

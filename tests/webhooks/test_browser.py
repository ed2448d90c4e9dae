"""The pages in a real headless Chromium (Debian's `chromium`) against a real uvicorn.

Checks what a person sees: signing in from a Slack link, the list, an incident and its
timeline, a share link without signing in, hostile titles staying text, the stylesheet
applying under the CSP with no violation reported, and a phone-sized screen.
"""

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Page, sync_playwright

from services import access, incidents, timeline
from tests.conftest import World
from tests.web_support import Web, make_web, own_incident_id, seed_events
from vigilo.app import build
from vigilo.settings import Settings

CHROMIUM = os.environ.get("VIGILO_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
HOSTILE_TITLE = '<script>window.pwned = 1</script> "quoted" </textarea>'

pytestmark = pytest.mark.browser


def require_chromium() -> None:
    if Path(CHROMIUM).exists() and shutil.which(CHROMIUM):
        return
    reason = f"{CHROMIUM} is missing: apt-get install chromium (Debian's package)"
    if os.environ.get("VIGILO_REQUIRE_BROWSER") == "1":
        pytest.fail(reason + " (VIGILO_REQUIRE_BROWSER=1)")
    pytest.skip(reason)


def assert_fits_a_phone(page: Page, shot: Path) -> None:
    """No sideways scrolling, body text of at least 16 px; keeps a screenshot on request
    (VIGILO_KEEP_SCREENSHOTS=<folder>) for a person to look at."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page is {overflow}px wider than a phone"
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 16
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    if os.environ.get("VIGILO_KEEP_SCREENSHOTS"):
        shutil.copy(shot, Path(os.environ["VIGILO_KEEP_SCREENSHOTS"]) / shot.name)


@dataclass
class Served:
    web: Web
    base: str


@pytest.fixture
def served(world: World) -> Iterator[Served]:
    require_chromium()
    web = make_web(world)  # seeds both workspaces; its TestClient is not used here
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = build(Settings(database_url=world.db.url, base_url=base), db=world.db,
                run_worker=False).asgi
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield Served(web, base)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_what_a_person_sees(served: Served, tmp_path: Path) -> None:
    web, base = served.web, served.base
    actor = web.own.actor
    seed_events(web.db, own_incident_id(web), 250)
    hostile = incidents.declare(web.db, actor, title=HOSTILE_TITLE, severity="p1")
    timeline.append_entry(web.db, actor, hostile.number, "<img src=x onerror=window.pwned=2>")
    login = access.create_login_link(web.db, actor)
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))

            # Signing in: the Slack link shows a button; pressing it lands on the list.
            page.goto(f"{base}/auth/login?token={login}")
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{base}/ws/acme/incidents")
            assert page.get_by_role("heading", level=1).inner_text().startswith("Incidents")
            assert page.get_by_role("heading", name="Active 2").is_visible()
            titles = page.locator(".incidents .title").all_inner_texts()
            assert HOSTILE_TITLE in titles and "Checkout is down" in titles
            assert "Globex secret outage" not in page.content()
            chip = page.locator(".chip.sev-p1").first
            background = chip.evaluate("e => getComputedStyle(e).backgroundColor")
            assert background not in ("rgba(0, 0, 0, 0)", "transparent")  # the CSS applied
            page.set_viewport_size({"width": 390, "height": 844})
            assert_fits_a_phone(page, tmp_path / "list-phone.png")
            page.set_viewport_size({"width": 1280, "height": 800})

            # The hostile incident: its title is text, no script ran.
            page.get_by_role("link", name=f"INC-0002 {HOSTILE_TITLE}").click()
            assert page.get_by_role("heading", level=1).inner_text() == (
                f"INC-0002 {HOSTILE_TITLE}")
            assert page.evaluate("window.pwned") is None
            assert page.locator("img").count() == 0

            # An incident's timeline, paged.
            page.goto(f"{base}/ws/acme/incidents/INC-0001")
            page.get_by_role("navigation", name="Incident sections").get_by_role(
                "link", name="Timeline").click()
            assert page.get_by_text("Events 1–200 of 251").is_visible()
            assert page.locator(".timeline .event").count() == 200
            page.get_by_role("link", name="Next ›").first.click()
            assert page.locator(".timeline .event").count() == 51
            first = page.locator(".event .at time").first
            assert re.fullmatch(r"\d\d:\d\d:\d\d", first.inner_text())  # the day is the heading
            assert (first.get_attribute("title") or "").endswith("UTC")
            assert page.locator("h3.day").count() >= 1

            # Signing out, then the share link alone opens the incident, not the list.
            page.get_by_role("button", name="Sign out").click()
            page.goto(f"{base}/ws/acme/incidents")
            assert page.get_by_role("heading", name="Sign in").is_visible()
            problems.clear()  # the 401 above is logged as a failed load, on purpose

            phone = browser.new_context(viewport={"width": 390, "height": 844},
                                        device_scale_factor=2, is_mobile=True, has_touch=True)
            shared = phone.new_page()
            shared.on("console",
                      lambda m: problems.append(m.text) if m.type == "error" else None)
            shared.goto(f"{base}/ws/acme/incidents/INC-0001?share={web.own.share}")
            assert shared.get_by_text("Shared read-only link").is_visible()
            assert shared.get_by_role("heading", level=1).inner_text() == (
                "INC-0001 Checkout is down")
            assert_fits_a_phone(shared, tmp_path / "detail-phone.png")
            phone.close()
        finally:
            browser.close()
    # CSP violations and script errors show up as console errors.
    assert not problems, problems


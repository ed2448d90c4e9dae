"""The demo's paging step: sandbox PagerDuty (HTTPS, its own CA) and Twilio on loopback.

The p1 pages the on-call by SMS and opens a PagerDuty incident; an acknowledgement from
PagerDuty (a signed webhook v3 to /integrations/pagerduty_events/) moves the incident to
investigating; the public status page shows the update; resolving closes all of them.
"""

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from services import oncall, statuspage, workspaces
from services.actor import Actor
from store.db import Database
from store.types import utcnow
from vigilo.sandbox.pagerduty_api import API_KEY, FROM_EMAIL, SERVICE_ID, FakePagerDuty
from vigilo.sandbox.twilio_api import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio

if TYPE_CHECKING:
    from vigilo.demo import Demo

WEBHOOK_SECRET = "demo-pagerduty-webhook-secret"
PHONE = "+14155550123"  # the on-call's phone, as the sandbox Twilio sees it
WAIT = 15.0


class PagingSandbox:
    def __init__(self, folder: str) -> None:
        self.pagerduty = FakePagerDuty().start()
        self.twilio = FakeTwilio().start()
        # The real PagerDuty client refuses http and checks certificates: trust the sandbox
        # CA while the demo runs, and give the process its own setting back afterwards (the
        # demo also runs inside other processes: its tests, whose later clients would look
        # for a CA file that is gone).
        self._cert_file = os.environ.get("SSL_CERT_FILE")
        os.environ["SSL_CERT_FILE"] = self.pagerduty.ca_file(folder)

    def pagerduty_env(self) -> dict[str, str]:
        return {"PAGERDUTY_API_KEY": API_KEY, "PAGERDUTY_FROM_EMAIL": FROM_EMAIL,
                "PAGERDUTY_SERVICE_ID": SERVICE_ID, "PAGERDUTY_API_URL": self.pagerduty.base_url,
                "PAGERDUTY_WEBHOOK_SECRET": WEBHOOK_SECRET}

    def twilio_env(self) -> dict[str, str]:
        return {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "TWILIO_FROM_NUMBER": FROM_NUMBER, "TWILIO_API_URL": self.twilio.base_url}

    def seed(self, db: Database, workspace_id: int, on_call: str) -> None:
        """A weekly rotation with the demo's on-call in it, and their phone number."""
        operator = Actor.operator(workspace_id)
        workspaces.set_member(db, operator, on_call, phone=PHONE)
        oncall.create_schedule(db, operator, "primary", "UTC", "09:00", "weekly",
                               utcnow().date() - timedelta(days=1))
        oncall.add_to_rotation(db, operator, None, on_call)

    def stop(self) -> None:
        self.pagerduty.stop()
        self.twilio.stop()
        if self._cert_file is None:
            os.environ.pop("SSL_CERT_FILE", None)
        else:
            os.environ["SSL_CERT_FILE"] = self._cert_file

    # --- the story -------------------------------------------------------------------------
    def paged(self, demo: "Demo") -> bool:
        """After the declaration: the SMS and the PagerDuty incident went out."""
        say = demo.narrator.say
        if not _until(lambda: bool(self.twilio.messages and self.pagerduty.incidents), WAIT):
            demo.problems.append("the p1 did not page by SMS and PagerDuty")
            say("    ✗ no SMS page and PagerDuty incident within 15 s")
            return False
        sms = self.twilio.messages[0]
        [incident] = self.pagerduty.incidents.values()
        say(f"\n    📟 SMS to {sms.to}: {sms.body}")
        say(f"    🚨 PagerDuty incident {incident.id}: {incident.title} "
            f"(urgency {incident.urgency})")
        return True

    def acknowledge(self, demo: "Demo", done: Callable[[], bool]) -> None:
        """The on-call acknowledges on PagerDuty; PagerDuty tells Vigilo by webhook."""
        [incident] = self.pagerduty.incidents.values()
        incident.status = "acknowledged"
        body, headers = self.pagerduty.webhook("incident.acknowledged", incident.id,
                                               WEBHOOK_SECRET, agent="Dana (on-call)")
        request = urllib.request.Request(
            f"{demo.base_url}/integrations/pagerduty_events/", data=body, headers=headers,
            method="POST")
        demo.narrator.say("\n    PagerDuty → POST /integrations/pagerduty_events/ "
                          "incident.acknowledged")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        demo.narrator.say(f"    ← {status}")
        if status != 202 or not _until(done, WAIT):
            demo.problems.append("PagerDuty's acknowledgement did not move the incident")

    def status_page(self, demo: "Demo") -> None:
        assert demo.vigilo is not None
        page = statuspage.public_page(demo.vigilo.db, demo.slug)
        data = statuspage.page_json(page, f"{demo.base_url}/status/{demo.slug}")
        demo.narrator.say(f"\n    public status page {demo.base_url}/status/{demo.slug}: "
                          + json.dumps(data["incidents"] or data["recently_resolved"])[:400])

    def checks(self, demo: "Demo") -> list[tuple[str, bool]]:
        assert demo.vigilo is not None
        incidents = list(self.pagerduty.incidents.values())
        return [
            ("the on-call was paged once by SMS", len(self.twilio.sent_to(PHONE)) == 1),
            ("one PagerDuty incident, resolved", len(incidents) == 1
             and _until(lambda: incidents[0].status == "resolved", WAIT)),
            ("the status page shows it resolved", _until(
                lambda: bool(statuspage.public_page(demo.vigilo.db, demo.slug).recent)
                if demo.vigilo else False, WAIT)),
        ]


def _until(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True

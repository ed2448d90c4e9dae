"""The status-page policy: publish, follow in public wording, withdraw; and the page's
fixed words, which never come from internal text."""

from core import effects as fx
from core import statuspage as public
from core.events import FieldsEdited, RootCauseSet, SeverityChanged, StatusChanged
from core.fsm import Move, Status
from core.policies import statuspage
from core.severity import Severity
from core.validation import WorkspaceSettings
from tests.core.test_policies import incident

SETTINGS = WorkspaceSettings()  # publish at p2 and above


def kinds(event: object) -> list[tuple[str, dict[str, object]]]:
    return [(s.kind, s.facts) for s in statuspage.policy(event, SETTINGS)]  # type: ignore[arg-type]


def test_transitions_map_to_public_statuses() -> None:
    mitigated = StatusChanged(workspace_id=1, source="slack", incident=incident("p1"),
                              old=Status.INVESTIGATING, new=Status.MITIGATED,
                              move=Move.MITIGATE, event_id=3)
    assert kinds(mitigated) == [(fx.STATUSPAGE_UPDATE, {"status": public.MONITORING})]
    cause = RootCauseSet(workspace_id=1, source="slack", incident=incident("p1"), text="x")
    assert kinds(cause) == [(fx.STATUSPAGE_UPDATE, {"status": public.IDENTIFIED})]
    assert public.public_status(Status.POST_MORTEM) == public.RESOLVED
    assert public.default_words(public.INVESTIGATING, ("api",)) == (
        "We are investigating a problem affecting api.")


def test_severity_and_auto_publish_publish_or_withdraw() -> None:
    def changed(old: str, new: str, publish: bool = True) -> SeverityChanged:
        return SeverityChanged(workspace_id=1, source="slack", event_id=4,
                               incident=incident(new, publish=publish),
                               old=Severity(old), new=Severity(new))
    assert kinds(changed("p3", "p2"))[0][0] == fx.STATUSPAGE_PUBLISH
    assert kinds(changed("p2", "p3")) == [(fx.STATUSPAGE_WITHDRAW, {})]
    assert kinds(changed("p1", "p2")) == []
    assert kinds(changed("p3", "p1", publish=False)) == []
    on = FieldsEdited(workspace_id=1, source="slack", incident=incident("p1"),
                      fields=("auto_publish_to_status",), event_id=5)
    off = FieldsEdited(workspace_id=1, source="slack", incident=incident("p1", publish=False),
                       fields=("auto_publish_to_status",), event_id=6)
    low = FieldsEdited(workspace_id=1, source="slack", incident=incident("p4"),
                       fields=("auto_publish_to_status",), event_id=7)
    assert kinds(on)[0][0] == fx.STATUSPAGE_PUBLISH
    assert kinds(off) == [(fx.STATUSPAGE_WITHDRAW, {})]
    assert kinds(low) == []
    title = FieldsEdited(workspace_id=1, source="slack", incident=incident("p1"),
                         fields=("title",), event_id=8)
    assert kinds(title) == []


def test_the_commander_is_told_when_a_page_fails() -> None:
    from integrations.slack.wording import announcement_text

    text = announcement_text({"event": "page_problem", "reason": "no phone number",
                              "member": "Dana"})
    assert text.startswith(":pager: Commander: the SMS page to Dana did not go out: "
                           "no phone number.")

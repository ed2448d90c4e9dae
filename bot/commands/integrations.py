"""`/vigilo integrations` (admins): each integration's state, for troubleshooting."""

from datetime import datetime

from bot import render
from bot.commands.base import Call, Sub
from bot.commands.parse import UsageError
from core.validation import WorkspaceSettings
from services import integration_log, workspace_view
from services.integration_log import IntegrationState, LogLine


def when(at: datetime) -> str:
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|{at:%Y-%m-%d %H:%M UTC}>"


def line(label: str, entry: LogLine | None) -> str:
    if entry is None:
        return f"{label}: none yet"
    return f"{label}: {when(entry.at)} {entry.kind}: {render.echo(entry.detail)}"


def state_text(state: IntegrationState) -> str:
    head = f"*{state.name}* — " + ("configured" if state.configured
                                   else f"off: {render.echo(state.why_off or '')}")
    lines = [head, line("last delivery", state.last_delivery),
             line("last error", state.last_error), line("last inbound", state.last_inbound),
             f"pending {state.pending} · dead {state.dead}"
             + (" (retry: `vigilo outbox retry --dead`)" if state.dead else "")]
    return "\n".join(lines)


def channels_text(settings: WorkspaceSettings) -> str:
    """Where Slack announcements go and when channels close: the settings behind the
    announcements channel's errors above."""
    ref = settings.announce_channel
    where = (f"<#{ref}>" if ref and not ref.startswith("#") else render.echo(ref)) if ref \
        else "off (`/vigilo settings announce_channel #incidents`)"
    delay = ("at once on resolve" if settings.archive_delay == "0"
             else f"{settings.archive_delay} after resolve (a heads-up first)")
    severity = f" ({settings.announce_severity.value} and worse)" if ref else ""
    return (f"*announcements channel* — {where}{severity}\n"
            f"incident channels archived {delay}"
            + ("" if settings.auto_archive else " (auto_archive is off)"))


def run(call: Call) -> render.Reply:
    if call.rest:
        raise UsageError("`integrations` takes nothing after it.", "integrations")
    states = integration_log.states(call.bot.db, call.actor, call.bot.integrations())
    text = "\n\n".join(state_text(s) for s in states) or "No integrations."
    text += "\n\n" + channels_text(workspace_view.settings_for(call.bot.db, call.actor))
    url = f"{call.bot.base_url}/ws/{call.workspace.slug}/settings/integrations"
    return render.Reply(f"{text}\n\n{url}", [render.section(text), render.section(url)])


SUBS = [Sub("integrations", "integrations", "each integration's state and last error (admins)",
            run)]

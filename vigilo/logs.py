"""Logging, configured once at start-up from LOG_LEVEL and LOG_FORMAT.

`text` (the default) is for people reading a terminal; `json` is one object a line for log
shippers, with the incident key, integration and request id when the line concerns one
(bound with integrations.log_context.bound). uvicorn's own loggers go through the same
handler, so a JSON deployment never mixes formats.
"""

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from integrations.log_context import FIELDS, current

# Attributes every LogRecord has; anything else was passed with `extra=` and is kept.
# (uvicorn's color_message repeats the message with terminal colours.)
_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "color_message"}


class ContextFilter(logging.Filter):
    """Copy the bound fields onto the record (an explicit `extra=` wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in current().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                data[key] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s",
                         datefmt="%Y-%m-%d %H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        tags = [f"{name}={value}" for name in FIELDS
                if (value := getattr(record, name, None)) is not None]
        if not tags:
            return line
        head, _, rest = line.partition("\n")
        return f"{head} [{' '.join(tags)}]" + (f"\n{rest}" if rest else "")


class _Stderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is now (test capture, a redirected CLI)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure(level: str = "INFO", fmt: str = "text", stream: TextIO | None = None) -> None:
    """Send every logger (ours, uvicorn's, Bolt's) to one stream in one format.

    Calling it again replaces the handler it added before and leaves others alone.
    """
    handler: logging.Handler = (logging.StreamHandler(stream) if stream is not None
                                else _Stderr())
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    handler.set_name("vigilo")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "vigilo"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)  # as uvicorn's own dictConfig may have left them
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
    # slack_sdk logs every failed request (and each retry) before raising it; our callers
    # explain what they catch (the outbox log, the start-up check), so its lines are noise
    # below DEBUG.
    logging.getLogger("slack_sdk.web.base_client").setLevel(
        logging.NOTSET if level == "DEBUG" else logging.CRITICAL)
    # alembic announces each of its plugins whenever it is imported.
    logging.getLogger("alembic.runtime.plugins").setLevel(
        logging.NOTSET if level == "DEBUG" else logging.WARNING)

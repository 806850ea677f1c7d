"""Log lines without personal data: exceptions are logged by type and frames only.

An exception's message can carry what a resident typed or stored: a database driver's
`DETAIL: Key (phone)=(09...) already exists`, an action server's answer echoing the
tracker, a validation error quoting the value. SQLAlchemy's `hide_parameters` hides the
bound values but not the driver's own text, so the messages themselves stay out of every
log: `install()` makes each log record render its exception as the chain of exception
types with file, line and function of every frame (enough to find the bug), and
replaces exception objects passed as %-arguments by their type name.

Standard library only: the engine, the action server and the bot install it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import traceback
from typing import Any

_INSTALLED = "_laikhe_logsafe"
# Keyed, so a chat id (a short number) cannot be found again by hashing every candidate.
# INTERNAL_SECRET when set: the same chat gets the same pseudonym in every process's log.
_PSEUDONYM_KEY = (os.environ.get("INTERNAL_SECRET") or secrets.token_hex(16)).encode()


def pseudonym(value: object) -> str:
    """A stable stand-in for a chat id, Telegram user id or sender id in a log line."""
    digest = hmac.new(_PSEUDONYM_KEY, str(value).encode(), hashlib.sha256).hexdigest()
    return f"id:{digest[:10]}"


def _type_name(error: BaseException) -> str:
    kind = type(error)
    return (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )


def safe_traceback(error: BaseException) -> str:
    """Like `traceback.format_exception`, without the exception messages and values."""
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = error
    link = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, "The above exception was the direct cause"
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, "During handling of the above exception"
        else:
            current = None
    blocks: list[str] = []
    for index, (exc, _) in enumerate(reversed(chain)):
        lines = ["Traceback (most recent call last):"]
        for frame in traceback.extract_tb(exc.__traceback__):
            lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
            if frame.line:
                lines.append(f"    {frame.line}")
        lines.append(f"{_type_name(exc)} (message not logged)")
        if index:
            # The link sentence of the exception that followed this one in the chain.
            blocks.append(chain[len(chain) - index][1] + " of the following exception:")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _safe_args(args: Any) -> Any:
    if isinstance(args, tuple):
        return tuple(_type_name(a) if isinstance(a, BaseException) else a for a in args)
    return args


def install() -> None:
    """Make every log record of this process render exceptions safely (idempotent)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, _INSTALLED, False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.args = _safe_args(record.args)
        if record.exc_info and record.exc_info[1] is not None:
            # Formatters print `exc_text` when it is set instead of formatting exc_info.
            record.exc_text = safe_traceback(record.exc_info[1])
        return record

    setattr(factory, _INSTALLED, True)
    logging.setLogRecordFactory(factory)

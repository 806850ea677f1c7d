"""Button payloads: the one place that writes ``/intent{"entity":"value"}``, the ticket
buttons' ``op`` values and the staff buttons' callback data, reads the last two back, and
knows how long a Telegram button's callback data may be.

Rasa reads a message that starts with ``/`` as that intent with those entities; the
Telegram bot sends a button's payload as its callback data, which Telegram limits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final

# Telegram's limit on a button's callback data, in bytes (Bot API, InlineKeyboardButton).
CALLBACK_DATA_MAX_BYTES: Final = 64


def payload(intent: str, **entities: str) -> str:
    """``/intent`` with its entities as compact JSON (quotes in a value escaped)."""
    if not entities:
        return f"/{intent}"
    return f"/{intent}{json.dumps(entities, separators=(',', ':'), ensure_ascii=False)}"


def fits_a_button(data: str) -> bool:
    """Whether Telegram accepts this as a button's callback data."""
    return len(data.encode()) <= CALLBACK_DATA_MAX_BYTES


def _fitting(data: str) -> str:
    if not fits_a_button(data):
        raise ValueError(f"over {CALLBACK_DATA_MAX_BYTES} bytes for a Telegram button: {data}")
    return data


# --- a resident's ticket buttons: /ticket_op{"op":"<verb>:<CODE>[:<arg>]"} ---------------
# Sent by the conversation (status, follow-up) and by staff-side notifications (rate,
# reopen after closing); handled by actions.follow_up.

TICKET_OP_INTENT: Final = "ticket_op"
TICKET_OP_VERBS: Final = frozenset({"show", "withdraw", "add", "reopen", "rate"})


@dataclass(frozen=True)
class TicketOp:
    verb: str
    code: str
    arg: str | None = None

    @property
    def value(self) -> str:
        """The op entity's value, "<verb>:<CODE>[:<arg>]"."""
        return ":".join((self.verb, self.code, *(() if self.arg is None else (self.arg,))))


def ticket_op(verb: str, code: str, arg: str | None = None) -> str:
    """The payload of a resident's ticket button; ValueError for an unknown verb or data
    Telegram would refuse."""
    if verb not in TICKET_OP_VERBS:
        raise ValueError(f"unknown ticket operation: {verb}")
    return _fitting(payload(TICKET_OP_INTENT, op=TicketOp(verb, code, arg).value))


def parse_ticket_op(value: object) -> TicketOp | None:
    """'rate:LK-2026-000001:5' -> TicketOp; None unless a known verb, a code and at most
    one argument. The code is as written: the caller checks it is one."""
    parts = str(value or "").strip().split(":")
    if len(parts) not in (2, 3) or parts[0] not in TICKET_OP_VERBS:
        return None
    return TicketOp(parts[0], parts[1].strip(), parts[2] if len(parts) == 3 else None)


# --- staff buttons in the office groups: "st:<op>:<CODE>[:<extra>...]" -------------------
# Their own prefix routes them to the staff handler (bot.staff_handling), never to the
# resident conversation, whose payloads start with "/".

STAFF_PREFIX: Final = "st"
TAKE, ANSWER, FORWARD, REJECT, CLOSE, VIEW = "t", "a", "f", "r", "c", "v"
FORWARD_TO: Final = "ft"  # extra: the office code, or OUTSIDE
OUTSIDE: Final = "-"  # forward target: an authority outside the commune


@dataclass(frozen=True)
class StaffButton:
    op: str
    code: str
    extra: tuple[str, ...] = ()


def staff_callback(op: str, code: str, *extra: str) -> str:
    """A staff button's callback data; ValueError for data Telegram would refuse."""
    return _fitting(":".join((STAFF_PREFIX, op, code, *extra)))


def parse_staff_callback(data: str) -> StaffButton | None:
    """The button its callback data names ("st:c:LK-2026-000001" -> StaffButton("c",
    "LK-2026-000001")); None unless a staff button with an operation and a code."""
    prefix, *rest = data.split(":")
    if prefix != STAFF_PREFIX or len(rest) < 2:
        return None
    return StaffButton(rest[0], rest[1], tuple(rest[2:]))

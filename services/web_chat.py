"""The website widget's conversations: what was said, the buttons on offer, and the
office's answers handed over from the outbox.

The web channel has no push: an outbox row for a widget session waits until that
resident's widget asks for its messages, and is then copied into the history and marked
sent in one transaction (exactly once: the row is taken by a conditional UPDATE, and the
history's unique `outbox_id` refuses a second copy).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import OutboxMessage, OutboxStatus, WebChatMessage
from laikhe.choices import Button
from laikhe.senders import web_session_of
from services import outbox

# A returning resident sees this many of their latest messages.
HISTORY_LIMIT: Final = 200


@dataclass(frozen=True)
class ChatLine:
    id: int
    from_resident: bool
    text: str
    buttons: tuple[Button, ...]


def _buttons_json(buttons: Sequence[Button]) -> str | None:
    if not buttons:
        return None
    return json.dumps([[b.title, b.payload] for b in buttons], ensure_ascii=False)


def _buttons_of(stored: str | None) -> tuple[Button, ...]:
    if not stored:
        return ()
    return tuple(Button(str(title), str(data)) for title, data in json.loads(stored))


def _keyboard_buttons(reply_markup: str | None) -> tuple[Button, ...]:
    """The buttons of an outbox keyboard (services.outbox.keyboard_json), in order."""
    if not reply_markup:
        return ()
    rows = json.loads(reply_markup)["inline_keyboard"]
    return tuple(Button(str(b["text"]), str(b["callback_data"])) for row in rows for b in row)


def _line(row: WebChatMessage) -> ChatLine:
    return ChatLine(row.id, row.from_resident, row.text, _buttons_of(row.buttons))


async def record(
    *,
    session: AsyncSession,
    sender_id: str,
    said: str | None,
    replies: Sequence[tuple[str, Sequence[Button]]],
    now: datetime,
) -> None:
    """One turn: what the resident said (None for a pressed button shown by its title
    in `said` already, or nothing) and the assistant's replies with their buttons."""
    if said is not None:
        session.add(WebChatMessage(sender_id=sender_id, from_resident=True, text=said, at=now))
    for text, buttons in replies:
        session.add(
            WebChatMessage(
                sender_id=sender_id,
                from_resident=False,
                text=text,
                buttons=_buttons_json(buttons),
                at=now,
            )
        )
    await session.flush()


async def deliver_pending(*, session: AsyncSession, sender_id: str, now: datetime) -> int:
    """Copy the outbox rows waiting for this widget session into its history and mark
    them sent; how many. Rows another fetch took meanwhile are skipped."""
    recipient = web_session_of(sender_id)
    if recipient is None:
        return 0
    rows = (
        await session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.channel == outbox.WEB,
                OutboxMessage.recipient == recipient,
                OutboxMessage.status == OutboxStatus.PENDING,
            )
            .order_by(OutboxMessage.id)
        )
    ).all()
    delivered = 0
    for row in rows:
        taken = await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id, OutboxMessage.status == OutboxStatus.PENDING)
            .values(status=OutboxStatus.SENT, sent_at=now, attempts=row.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        if not getattr(taken, "rowcount", 0):
            continue
        session.add(
            WebChatMessage(
                sender_id=sender_id,
                from_resident=False,
                text=row.text or "",
                buttons=_buttons_json(_keyboard_buttons(row.reply_markup)),
                outbox_id=row.id,
                at=now,
            )
        )
        delivered += 1
    await session.flush()
    return delivered


async def history(*, session: AsyncSession, sender_id: str, after: int = 0) -> list[ChatLine]:
    """The session's messages after id `after`, oldest first (the latest HISTORY_LIMIT)."""
    rows = (
        await session.scalars(
            select(WebChatMessage)
            .where(WebChatMessage.sender_id == sender_id, WebChatMessage.id > after)
            .order_by(WebChatMessage.id.desc())
            .limit(HISTORY_LIMIT)
        )
    ).all()
    return [_line(row) for row in reversed(rows)]


async def offered_buttons(*, session: AsyncSession, sender_id: str) -> tuple[Button, ...]:
    """The buttons a resident may press now: those of the assistant's messages since the
    resident last spoke (what the widget shows as live)."""
    rows = (
        await session.scalars(
            select(WebChatMessage)
            .where(WebChatMessage.sender_id == sender_id)
            .order_by(WebChatMessage.id.desc())
            .limit(20)
        )
    ).all()
    offered: list[Button] = []
    for row in rows:
        if row.from_resident:
            break
        offered.extend(_buttons_of(row.buttons))
    return tuple(offered)


async def erase(*, session: AsyncSession, sender_id: str) -> int:
    """The resident asked to delete their data: the widget's history goes with it."""
    result = await session.execute(
        delete(WebChatMessage).where(WebChatMessage.sender_id == sender_id)
    )
    await session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


__all__ = [
    "ChatLine",
    "deliver_pending",
    "erase",
    "history",
    "offered_buttons",
    "record",
]

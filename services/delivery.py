"""What a failed delivery means for a ticket: a line in its history, and a word to the
people who can act on it (the office group, the leaders' chat), queued in the outbox.

The bot's dispatcher only sends and sorts outcomes; this is the domain side of a failure.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Office, OutboxMessage, Ticket
from services import lifecycle, outbox
from services.notifications import OfficeGroup, office_group, post_to_group, resident_address

UNKNOWN_ALERT: Final = "outbox_unknown"
INSPECT_UNKNOWN: Final = "python -m admin outbox list --status unknown"
_OUTBOX: Final = lifecycle.Actor.system("outbox")


async def record_failure(
    session: AsyncSession,
    row: OutboxMessage,
    error: str,
    *,
    unknown: bool,
    leaders_chat_id: int | None,
    now: datetime,
) -> None:
    """Staff see a failed message in the ticket's history and in their group."""
    ticket = (
        await session.scalar(select(Ticket).where(Ticket.id == row.ticket_id))
        if row.ticket_id is not None
        else None
    )
    if unknown:
        await _alert_unknown(session, row, ticket, leaders_chat_id)
    if ticket is None:
        return
    address = resident_address(ticket)
    to_resident = address is not None and (
        (address.channel, address.chat_id, address.recipient)
        == (row.channel, row.chat_id, row.recipient)
    )
    who = "người gửi" if to_resident else f"nhóm {row.chat_id or row.recipient}"
    note = f"Không gửi được tin nhắn #{row.id} ({row.purpose}) cho {who}: {error}"
    lifecycle.apply(session, ticket, lifecycle.Step.NOTE, by=_OUTBOX, now=now, note=note)
    await session.flush()
    if to_resident and not unknown:
        group = await _office_group(session, ticket)
        if group is not None and (group.channel, group.chat_id, group.recipient) != (
            row.channel,
            row.chat_id,
            row.recipient,
        ):
            await post_to_group(
                session=session,
                group=group,
                purpose="delivery_failed",
                text=f"⚠ {note}",
                ticket_id=ticket.id,
            )


async def _office_group(session: AsyncSession, ticket: Ticket) -> OfficeGroup | None:
    office = await session.get(Office, ticket.office_id)
    return office_group(office) if office is not None else None


async def _alert_unknown(
    session: AsyncSession, row: OutboxMessage, ticket: Ticket | None, leaders_chat_id: int | None
) -> None:
    """Nobody reads logs: an 'unknown' message is told to the ticket's office group and
    the leaders' chat, once (dedupe key), through the outbox itself. Only the message
    number, the ticket code and the command to inspect it: no personal data."""
    if row.purpose == UNKNOWN_ALERT:
        return  # an alert about an alert would never end
    about = f" của ý kiến {ticket.code}" if ticket is not None else f" ({row.purpose})"
    text = (
        f"⚠ Tin nhắn #{row.id}{about} có thể chưa đến nơi: kết nối bị ngắt giữa chừng "
        f"nên hệ thống không tự gửi lại. Cán bộ quản trị kiểm tra bằng lệnh: "
        f"{INSPECT_UNKNOWN}"
    )
    groups = [await _office_group(session, ticket) if ticket is not None else None]
    if leaders_chat_id is not None:
        groups.append(OfficeGroup(outbox.TELEGRAM, chat_id=leaders_chat_id))
    for group in dict.fromkeys(g for g in groups if g is not None):
        chat = group.chat_id if group.chat_id is not None else group.recipient
        await post_to_group(
            session=session,
            group=group,
            purpose=UNKNOWN_ALERT,
            text=text,
            ticket_id=ticket.id if ticket is not None else None,
            dedupe_key=f"{UNKNOWN_ALERT}:{row.id}:{chat}",
        )

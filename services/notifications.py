"""What the staff groups and the residents are told about a ticket, queued in the outbox.

Texts are plain (no parse mode) so whatever a resident typed is shown literally.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AttachmentKind, Office, Ticket, TicketAttachment
from laikhe.labels import KIND_LABELS, format_date
from laikhe.payloads import (
    ANSWER,
    CLOSE,
    FORWARD,
    REJECT,
    TAKE,
    VIEW,
    staff_callback,
    ticket_op,
)
from laikhe.senders import web_session_of, zalo_chat_of
from services.outbox import TELEGRAM, WEB, ZALO, Keyboard, enqueue

logger = logging.getLogger(__name__)

CONFIDENTIAL_NOTE: Final = (
    "Đây là đơn khiếu nại, tố cáo: nội dung được bảo mật. Cán bộ được phân quyền bấm "
    "«Xem riêng» hoặc nhắn riêng cho trợ lý «/xem {code}» để đọc."
)


def staff_keyboard(ticket: Ticket) -> Keyboard:
    code = ticket.code
    rows: Keyboard = [
        [("Nhận xử lý", staff_callback(TAKE, code)), ("Trả lời", staff_callback(ANSWER, code))],
        [
            ("Chuyển đơn vị", staff_callback(FORWARD, code)),
            ("Từ chối", staff_callback(REJECT, code)),
        ],
        [("Đóng", staff_callback(CLOSE, code))],
    ]
    if ticket.confidential:
        rows[2].append(("Xem riêng", staff_callback(VIEW, code)))
    return rows


def staff_summary(ticket: Ticket, *, heading: str = "Ý kiến mới") -> str:
    """The office group's card for a ticket; confidential ones show only the code."""
    lines = [f"📌 {heading}: {ticket.code}"]
    if ticket.confidential:
        lines.append(CONFIDENTIAL_NOTE.format(code=ticket.code))
        lines.append(f"Hạn xử lý: {format_date(ticket.due_date)}")
        return "\n".join(lines)
    lines.append(f"Loại: {KIND_LABELS.get(ticket.kind, ticket.kind)}")
    if ticket.category is not None:
        lines.append(f"Lĩnh vực: {ticket.category.name}")
    if ticket.village is not None:
        lines.append(f"Thôn: {ticket.village.name}")
    lines.append(f"Hạn xử lý: {format_date(ticket.due_date)}")
    if ticket.business_name:
        lines.append(f"Đơn vị kinh doanh: {ticket.business_name}")
    if ticket.source:
        lines.append(f"Nguồn tin: {ticket.source}")
    lines.append("Nội dung:")
    lines.append(ticket.content)
    if ticket.claim:
        lines.append(f"Thông tin bị phản ánh là sai: {ticket.claim}")
    photos = len(ticket.attachments)
    if photos:
        lines.append(f"Tệp, ảnh kèm theo: {photos} (gửi ngay sau tin này)")
    if ticket.anonymous:
        lines.append("Người gửi: ẩn danh (không trả lời trực tiếp được)")
    return "\n".join(lines)


async def notify_office(
    *,
    session: AsyncSession,
    ticket: Ticket,
    office: Office,
    heading: str = "Ý kiến mới",
    attachments: list[TicketAttachment] | None = None,
) -> bool:
    """Queue the ticket card (and its photos) for the office group; False if no group."""
    if office.staff_chat_id is None:
        logger.warning(
            "office %s has no staff_chat_id: ticket %s not posted to a group",
            office.code,
            ticket.code,
        )
        return False
    await enqueue(
        session=session,
        chat_id=office.staff_chat_id,
        purpose="new_ticket",
        text=staff_summary(ticket, heading=heading),
        keyboard=staff_keyboard(ticket),
        ticket_id=ticket.id,
    )
    if ticket.confidential:
        return True
    files = ticket.attachments if attachments is None else attachments
    for index, attachment in enumerate(files, start=1):
        photo = attachment.kind is AttachmentKind.PHOTO
        await enqueue(
            session=session,
            chat_id=office.staff_chat_id,
            purpose="new_ticket_file",
            method="sendPhoto" if photo else "sendDocument",
            file_id=attachment.telegram_file_id,
            text=f"Kèm ý kiến {ticket.code} ({index}/{len(files)})",
            ticket_id=ticket.id,
        )
    return True


@dataclass(frozen=True)
class ResidentChat:
    """Where a ticket's sender reads our messages: a Telegram chat id, a Zalo chat or a
    widget session."""

    channel: str
    chat_id: int | None = None
    recipient: str | None = None


def resident_address(ticket: Ticket) -> ResidentChat | None:
    """The resident's chat on the channel they used, when the ticket may be answered there."""
    if not ticket.sender_id or ticket.anonymous:
        return None
    if ticket.channel == TELEGRAM:
        chat_id = resident_chat(ticket)
        return None if chat_id is None else ResidentChat(TELEGRAM, chat_id=chat_id)
    if ticket.channel == ZALO:
        recipient = zalo_chat_of(ticket.sender_id)
        return None if recipient is None else ResidentChat(ZALO, recipient=recipient)
    if ticket.channel == WEB:
        session = web_session_of(ticket.sender_id)
        return None if session is None else ResidentChat(WEB, recipient=session)
    return None  # the terminal chat, or a channel that cannot be written to


def resident_chat(ticket: Ticket) -> int | None:
    """The resident's Telegram chat, when the ticket may be answered there."""
    if ticket.channel != TELEGRAM or not ticket.sender_id or ticket.anonymous:
        return None
    try:
        return int(ticket.sender_id)
    except ValueError:
        return None


async def notify_resident(
    *,
    session: AsyncSession,
    ticket: Ticket,
    text: str,
    purpose: str = "resident_update",
    keyboard: Keyboard | None = None,
) -> bool:
    """Queue a message to the ticket's sender on the channel they used; False if none."""
    address = resident_address(ticket)
    if address is None:
        return False
    await enqueue(
        session=session,
        channel=address.channel,
        chat_id=address.chat_id,
        recipient=address.recipient,
        purpose=purpose,
        text=text,
        keyboard=keyboard,
        ticket_id=ticket.id,
    )
    return True


def reopen_button(code: str) -> tuple[str, str]:
    return ("Chưa được giải quyết", ticket_op("reopen", code))


def satisfaction_keyboard(code: str, *, answered: bool) -> Keyboard:
    rows: Keyboard = [[(str(n), ticket_op("rate", code, str(n))) for n in range(1, 6)]]
    if answered:
        rows.append([reopen_button(code)])
    return rows


async def notify_office_of_resident_change(
    *, session: AsyncSession, ticket: Ticket, office: Office, what: str
) -> bool:
    """For the resident-side services (reopen, added information, withdrawal): one line in
    the office group, in the caller's transaction. Confidential tickets: code only."""
    if office.staff_chat_id is None:
        return False
    detail = "" if ticket.confidential else f": {what}"
    await enqueue(
        session=session,
        chat_id=office.staff_chat_id,
        purpose="resident_change",
        text=f"🔔 Ý kiến {ticket.code}{detail}",
        keyboard=staff_keyboard(ticket),
        ticket_id=ticket.id,
    )
    return True

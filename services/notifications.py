"""What the staff groups and the residents are told about a ticket, queued in the outbox.

Texts are plain (no parse mode) so whatever a resident typed is shown literally.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AttachmentKind, Office, OutboxMessage, Ticket, TicketAttachment
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

# No «Xem riêng» button on Zalo; what is typed in a group is read by the whole group.
ZALO_CONFIDENTIAL_NOTE: Final = (
    "Đây là đơn khiếu nại, tố cáo: nội dung được bảo mật. Cán bộ được phân quyền nhắn "
    "riêng cho trợ lý «/xem {code}» để đọc, và nhắn riêng lệnh trả lời, từ chối."
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


@dataclass(frozen=True)
class OfficeGroup:
    """An office's staff group: a Telegram chat (chat_id) or a Zalo group (recipient)."""

    channel: str
    chat_id: int | None = None
    recipient: str | None = None


def office_group(office: Office) -> OfficeGroup | None:
    if office.zalo_group_id is not None:
        return OfficeGroup(ZALO, recipient=office.zalo_group_id)
    if office.staff_chat_id is not None:
        return OfficeGroup(TELEGRAM, chat_id=office.staff_chat_id)
    return None


def zalo_commands(code: str) -> str:
    """What a Zalo card shows instead of buttons (Zalo has none): the commands to type."""
    return (
        "Thao tác (gõ trong nhóm hoặc nhắn riêng cho trợ lý):\n"
        f"/nhan {code}\n"
        f"/traloi {code} <nội dung trả lời>\n"
        f"/chuyen {code} <mã hoặc tên đơn vị>\n"
        f"/tuchoi {code} <lý do>\n"
        f"/dong {code}\n"
        f"/xem {code} (chỉ nhắn riêng)"
    )


async def post_to_group(
    *,
    session: AsyncSession,
    group: OfficeGroup,
    purpose: str,
    text: str,
    keyboard: Keyboard | None = None,
    ticket_id: int | None = None,
    dedupe_key: str | None = None,
    now: datetime | None = None,
) -> OutboxMessage | None:
    """Queue a text for an office group on its channel; a Zalo group gets no buttons."""
    return await enqueue(
        session=session,
        channel=group.channel,
        chat_id=group.chat_id,
        recipient=group.recipient,
        purpose=purpose,
        text=text,
        keyboard=keyboard if group.channel == TELEGRAM else None,
        ticket_id=ticket_id,
        dedupe_key=dedupe_key,
        now=now,
    )


def staff_summary(ticket: Ticket, *, heading: str = "Ý kiến mới", on_zalo: bool = False) -> str:
    """The office group's card for a ticket; confidential ones show only the code."""
    lines = [f"📌 {heading}: {ticket.code}"]
    if ticket.confidential:
        note = ZALO_CONFIDENTIAL_NOTE if on_zalo else CONFIDENTIAL_NOTE
        lines.append(note.format(code=ticket.code))
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
        # Telegram file ids cannot be sent to a Zalo group, and photos stored on our
        # disk (from Zalo or the website) are not uploaded to groups: the back office
        # shows them.
        stored = sum(1 for a in ticket.attachments if a.telegram_file_id is None)
        if on_zalo or stored == photos:
            where = "xem trong trang quản lý ý kiến"
        elif stored:
            where = "ảnh Telegram gửi ngay sau tin này, các ảnh khác xem trong trang quản lý ý kiến"
        else:
            where = "gửi ngay sau tin này"
        lines.append(f"Tệp, ảnh kèm theo: {photos} ({where})")
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
    """Queue the ticket card (and its photos) for the office group; False if no group.
    A Zalo group gets the card with the commands to type (no buttons, no Telegram files)."""
    group = office_group(office)
    if group is None:
        logger.warning(
            "office %s has no staff group: ticket %s not posted to a group",
            office.code,
            ticket.code,
        )
        return False
    if group.channel == ZALO:
        card = staff_summary(ticket, heading=heading, on_zalo=True)
        await post_to_group(
            session=session,
            group=group,
            purpose="new_ticket",
            text=f"{card}\n\n{zalo_commands(ticket.code)}",
            ticket_id=ticket.id,
        )
        return True
    await enqueue(
        session=session,
        chat_id=group.chat_id,
        purpose="new_ticket",
        text=staff_summary(ticket, heading=heading),
        keyboard=staff_keyboard(ticket),
        ticket_id=ticket.id,
    )
    if ticket.confidential:
        return True
    files = [
        a
        for a in (ticket.attachments if attachments is None else attachments)
        if a.telegram_file_id is not None
    ]
    for index, attachment in enumerate(files, start=1):
        photo = attachment.kind is AttachmentKind.PHOTO
        await enqueue(
            session=session,
            chat_id=group.chat_id,
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
    group = office_group(office)
    if group is None:
        return False
    detail = "" if ticket.confidential else f": {what}"
    text = f"🔔 Ý kiến {ticket.code}{detail}"
    if group.channel == ZALO:
        text += f"\n\n{zalo_commands(ticket.code)}"
    await post_to_group(
        session=session,
        group=group,
        purpose="resident_change",
        text=text,
        keyboard=staff_keyboard(ticket),
        ticket_id=ticket.id,
    )
    return True

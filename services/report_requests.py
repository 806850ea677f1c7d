"""Who gets which six-monthly report when staff ask for it in Telegram."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from laikhe.commune import CommuneConfig
from services.access import may_request_report
from services.staff import active_staff, office_for_chat

NOT_STAFF = "Xin lỗi, chỉ cán bộ đã đăng ký của xã mới yêu cầu được báo cáo."
NOT_ALLOWED = "Xin lỗi, Anh/Chị không có quyền nhận báo cáo của phạm vi này."


@dataclass(frozen=True)
class ReportDecision:
    allowed: bool
    office_code: str | None  # None = commune-wide
    refusal: str | None = None


async def decide_report_scope(
    *,
    session: AsyncSession,
    commune: CommuneConfig,
    telegram_user_id: int,
    chat_id: int,
    private_chat: bool,
) -> ReportDecision:
    """An office group gets its office's report; the leaders' chat, or a leader writing
    privately, gets the commune-wide one; an officer writing privately gets their office's."""
    staff = await active_staff(session=session, telegram_user_id=telegram_user_id)
    if staff is None:
        return ReportDecision(False, None, NOT_STAFF)
    own_office = staff.office.code if staff.office else None
    role = staff.role
    group_office = await office_for_chat(session=session, chat_id=chat_id)
    if group_office is not None:
        requested: str | None = group_office.code
    elif chat_id == commune.commune.leaders_chat_id:
        requested = None
    elif private_chat:
        requested = None if own_office is None else own_office
        if may_request_report(role, own_office, None):
            requested = None
    else:
        return ReportDecision(False, None, NOT_ALLOWED)
    if not may_request_report(role, own_office, requested):
        return ReportDecision(False, requested, NOT_ALLOWED)
    return ReportDecision(True, requested)

"""Consent to personal data processing (Luật Bảo vệ dữ liệu cá nhân 91/2025/QH15).

Consent is an explicit act (a button press), never silence. Every press is a new row,
so the history shows which notice text was agreed to and when; the latest row decides.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ConsentRecord
from laikhe import clock

# Handling and answering an opinion (tickets with a name or a contact).
PURPOSE_FEEDBACK: Final = "feedback"

# Kept to what the law asks a notice to say: what, why, how long, who sees it, how to
# delete. The retention period is the commune's archive rule, not a number we invent.
CONSENT_NOTICE: Final = (
    "Theo Luật Bảo vệ dữ liệu cá nhân (91/2025/QH15), trước khi gửi, "
    "xin Anh/Chị đọc và đồng ý:\n"
    "• Dữ liệu lưu: họ tên, số điện thoại/email, nội dung ý kiến, ảnh, thôn "
    "và mã cuộc trò chuyện.\n"
    "• Mục đích: xử lý và trả lời ý kiến của Anh/Chị.\n"
    "• Thời gian lưu: lịch sử trò chuyện 90 ngày; ý kiến đến 24 tháng sau khi "
    "xử lý xong, sau đó chỉ giữ số liệu thống kê.\n"
    "• Người được xem: cán bộ bộ phận phụ trách, lãnh đạo xã và quản trị viên.\n"
    "• Muốn xóa: gõ «xóa dữ liệu của tôi» bất cứ lúc nào.\n"
    "Anh/Chị có đồng ý không?"
)

# Derived from the text, so no edit of the notice can keep the old version by mistake: a
# record names the exact text agreed to, and a changed text is asked again (has_consent).
CONSENT_NOTICE_VERSION: Final = "pdp-" + hashlib.sha256(CONSENT_NOTICE.encode()).hexdigest()[:16]


async def record_consent(
    *,
    session: AsyncSession,
    channel: str,
    sender_id: str,
    purpose: str,
    notice_version: str,
    granted: bool,
    now: datetime | None = None,
) -> ConsentRecord:
    """Store one consent act; a refusal also marks earlier consents as withdrawn.

    A refusal is stored without the sender id: refusing is how a resident sends an
    anonymous suggestion, so the record of it must not name the chat. What the refusal
    changes for this chat is written on its earlier consents (withdrawn_at).
    """
    now = now or clock.now()
    if not granted:
        # Stamping the earlier rows keeps the audit trail readable on its own: each
        # consent shows when it stopped counting.
        await session.execute(
            update(ConsentRecord)
            .where(
                ConsentRecord.sender_id == sender_id,
                ConsentRecord.purpose == purpose,
                ConsentRecord.granted.is_(True),
                ConsentRecord.withdrawn_at.is_(None),
            )
            .values(withdrawn_at=now)
        )
    record = ConsentRecord(
        channel=channel,
        sender_id=sender_id if granted else None,
        purpose=purpose,
        notice_version=notice_version,
        granted=granted,
        given_at=now,
    )
    session.add(record)
    await session.flush()
    return record


async def has_consent(
    *,
    session: AsyncSession,
    sender_id: str,
    purpose: str,
    notice_version: str = CONSENT_NOTICE_VERSION,
) -> bool:
    """True when the sender's latest record for this purpose is a consent still in force
    to the notice shown now: agreeing to an earlier text is not agreeing to this one."""
    latest = await session.scalar(
        select(ConsentRecord)
        .where(ConsentRecord.sender_id == sender_id, ConsentRecord.purpose == purpose)
        .order_by(ConsentRecord.given_at.desc(), ConsentRecord.id.desc())
        .limit(1)
    )
    return (
        latest is not None
        and latest.granted
        and latest.withdrawn_at is None
        and latest.notice_version == notice_version
    )

"""Back office sign-in without a password: a one-time link the bot sends to a registered
staff member's private chat, and the web sessions it opens.

The link's token is random (256 bits) and stored only as its SHA-256, with an expiry
(LINK_LIFETIME) and the time it was used: it opens one session, once. A web session
carries the staff member's id, their web_session_version and when it was opened; it ends
after SESSION_LIFETIME (a working day) or as soon as the version is raised
(sign_out_everywhere), and with the member's removal.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db.models import StaffMember, WebSignInLink
from services.staff import active_staff

LINK_LIFETIME: Final = timedelta(minutes=10)
SESSION_LIFETIME: Final = timedelta(hours=9)
LINKS_PER_HOUR: Final = 5
RATE_WINDOW: Final = timedelta(hours=1)

NOT_STAFF: Final = "Xin lỗi, chỉ cán bộ đã đăng ký của xã mới đăng nhập được trang quản lý."
TOO_MANY: Final = (
    f"Anh/Chị đã xin {LINKS_PER_HOUR} đường dẫn đăng nhập trong một giờ qua. "
    "Anh/Chị dùng đường dẫn gần nhất hoặc thử lại sau ít phút."
)


class SignInRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _spent(now: datetime) -> ColumnElement[bool]:
    """Links past their ten minutes and outside the rate window: of no use to anyone."""
    return WebSignInLink.created_at <= now - RATE_WINDOW


async def count_spent_links(*, session: AsyncSession, now: datetime) -> int:
    return (
        await session.scalar(select(func.count()).select_from(WebSignInLink).where(_spent(now)))
        or 0
    )


async def purge_spent_links(*, session: AsyncSession, now: datetime) -> int:
    """The daily retention removes every member's spent links (a trace of who signed in
    when); flushes only."""
    removed = await session.execute(
        delete(WebSignInLink).where(_spent(now)).returning(WebSignInLink.id)
    )
    return len(removed.all())


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", errors="replace")).hexdigest()


async def create_sign_in_link(
    *,
    session: AsyncSession,
    telegram_user_id: int | None = None,
    staff_member: StaffMember | None = None,
    now: datetime,
) -> str:
    """A new one-time token for this staff member (the caller builds the URL), or
    SignInRefused: not active staff, or too many links in the last hour. The Telegram bot
    names the member by user id; the Zalo process passes the member it found."""
    if staff_member is not None:
        staff = staff_member if staff_member.active else None
    elif telegram_user_id is not None:
        staff = await active_staff(session=session, telegram_user_id=telegram_user_id)
    else:
        raise TypeError("a sign-in link needs telegram_user_id or staff_member")
    if staff is None:
        raise SignInRefused(NOT_STAFF)
    await session.execute(
        delete(WebSignInLink).where(WebSignInLink.staff_id == staff.id, _spent(now))
    )
    recent = await session.scalar(
        select(func.count())
        .select_from(WebSignInLink)
        .where(WebSignInLink.staff_id == staff.id, WebSignInLink.created_at > now - RATE_WINDOW)
    )
    if (recent or 0) >= LINKS_PER_HOUR:
        raise SignInRefused(TOO_MANY)
    token = secrets.token_urlsafe(32)
    session.add(
        WebSignInLink(
            staff_id=staff.id,
            token_hash=_hash(token),
            created_at=now,
            expires_at=now + LINK_LIFETIME,
        )
    )
    await session.flush()
    return token


@dataclass(frozen=True)
class WebSession:
    """What the signed cookie holds (no name, no office: read again on each request)."""

    staff_id: int
    version: int
    opened_at: datetime


async def redeem_sign_in_link(
    *, session: AsyncSession, token: str, now: datetime
) -> WebSession | None:
    """The session the link opens, or None: unknown, expired, already used, or its
    member removed. Marked used by a conditional update, so two requests racing with one
    link open one session."""
    link_id = await session.scalar(
        update(WebSignInLink)
        .where(
            WebSignInLink.token_hash == _hash(token),
            WebSignInLink.used_at.is_(None),
            WebSignInLink.expires_at > now,
        )
        .values(used_at=now)
        .returning(WebSignInLink.id)
    )
    if link_id is None:
        return None
    staff = await session.scalar(
        select(StaffMember)
        .join(WebSignInLink, WebSignInLink.staff_id == StaffMember.id)
        .where(WebSignInLink.id == link_id, StaffMember.active.is_(True))
    )
    if staff is None:
        return None
    return WebSession(staff.id, staff.web_session_version, now)


async def staff_of_session(
    *, session: AsyncSession, web_session: WebSession, now: datetime
) -> StaffMember | None:
    """The active staff member a web session still stands for, or None (expired, signed
    out everywhere, removed)."""
    if not web_session.opened_at <= now < web_session.opened_at + SESSION_LIFETIME:
        return None
    staff: StaffMember | None = await session.scalar(
        select(StaffMember)
        .options(selectinload(StaffMember.office))
        .where(
            StaffMember.id == web_session.staff_id,
            StaffMember.active.is_(True),
            StaffMember.web_session_version == web_session.version,
        )
    )
    return staff


async def sign_out_everywhere(*, session: AsyncSession, telegram_user_id: int) -> bool:
    """End every web session of this member (and make their unused links useless);
    whether such a member exists."""
    staff_id = await session.scalar(
        update(StaffMember)
        .where(StaffMember.telegram_user_id == telegram_user_id)
        .values(web_session_version=StaffMember.web_session_version + 1)
        .returning(StaffMember.id)
    )
    if staff_id is None:
        return False
    await session.execute(
        update(WebSignInLink)
        .where(WebSignInLink.staff_id == staff_id, WebSignInLink.used_at.is_(None))
        .values(expires_at=WebSignInLink.created_at)
    )
    return True

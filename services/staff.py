"""Registered staff: who may act for which office, and in what role."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db.models import Office, StaffMember, StaffRole


class StaffError(Exception):
    """A staff registry operation that cannot be done; the message is for the operator."""


async def register_staff(
    *,
    session: AsyncSession,
    telegram_user_id: int | None,
    full_name: str,
    office_code: str | None,
    role: StaffRole,
    can_read_confidential: bool = False,
    zalo_user_id: str | None = None,
) -> StaffMember:
    """Register (or update) a staff member by Telegram user id, by Zalo user id, or both
    (found by the Telegram one when given). An id left None stays as it was."""
    if zalo_user_id is not None:
        zalo_user_id = zalo_user_id.strip()
        if not zalo_user_id or len(zalo_user_id) > 64:
            raise StaffError("a Zalo user id is 1 to 64 characters")
    if telegram_user_id is None and zalo_user_id is None:
        raise StaffError("a staff member needs a Telegram or a Zalo user id")
    office = None
    if office_code is not None:
        office = await session.scalar(select(Office).where(Office.code == office_code.upper()))
        if office is None:
            raise StaffError(f"unknown office {office_code!r}")
    elif role not in (StaffRole.COMMUNE_LEADER, StaffRole.ADMIN):
        raise StaffError("officers and office leads need an office")
    holder = (
        None
        if zalo_user_id is None
        else await session.scalar(
            select(StaffMember).where(StaffMember.zalo_user_id == zalo_user_id)
        )
    )
    if telegram_user_id is None:
        member = holder
    else:
        member = await session.scalar(
            select(StaffMember).where(StaffMember.telegram_user_id == telegram_user_id)
        )
        if member is None and holder is not None and holder.telegram_user_id is None:
            member = holder  # known by Zalo only so far: now by Telegram too
        elif holder is not None and holder is not member:
            raise StaffError("this Zalo user id belongs to another staff member")
    if member is None:
        member = StaffMember(telegram_user_id=telegram_user_id)
        session.add(member)
    if telegram_user_id is not None:
        member.telegram_user_id = telegram_user_id
    if zalo_user_id is not None:
        member.zalo_user_id = zalo_user_id
    member.full_name = full_name
    member.office_id = office.id if office else None
    member.role = role
    member.can_read_confidential = can_read_confidential
    member.active = True
    await session.flush()
    return member


async def remove_staff(
    *, session: AsyncSession, telegram_user_id: int | None = None, zalo_user_id: str | None = None
) -> bool:
    """Deactivate (history keeps naming who acted), returning whether someone was removed."""
    if telegram_user_id is not None:
        found = StaffMember.telegram_user_id == telegram_user_id
    elif zalo_user_id is not None:
        found = StaffMember.zalo_user_id == zalo_user_id
    else:
        raise StaffError("name the member by Telegram or Zalo user id")
    member = await session.scalar(select(StaffMember).where(found))
    if member is None or not member.active:
        return False
    member.active = False
    await session.flush()
    return True


async def active_staff(*, session: AsyncSession, telegram_user_id: int) -> StaffMember | None:
    member: StaffMember | None = await session.scalar(
        select(StaffMember)
        .options(selectinload(StaffMember.office))
        .where(StaffMember.telegram_user_id == telegram_user_id, StaffMember.active.is_(True))
    )
    return member


async def active_zalo_staff(*, session: AsyncSession, zalo_user_id: str) -> StaffMember | None:
    member: StaffMember | None = await session.scalar(
        select(StaffMember)
        .options(selectinload(StaffMember.office))
        .where(StaffMember.zalo_user_id == zalo_user_id, StaffMember.active.is_(True))
    )
    return member


async def list_staff(*, session: AsyncSession) -> list[StaffMember]:
    result = await session.scalars(
        select(StaffMember).options(selectinload(StaffMember.office)).order_by(StaffMember.id)
    )
    return list(result.all())


@dataclass(frozen=True)
class StaffPrivateChats:
    """The private chats of registered staff (a private chat's id is the user's id):
    those still active, and those removed (deactivated, still named in the history)."""

    active: tuple[int, ...]
    removed: tuple[int, ...]


async def staff_private_chats(*, session: AsyncSession) -> StaffPrivateChats:
    rows = (
        await session.execute(
            select(StaffMember.telegram_user_id, StaffMember.active)
            .where(StaffMember.telegram_user_id.is_not(None))
            .order_by(StaffMember.id)
        )
    ).all()
    return StaffPrivateChats(
        active=tuple(user for user, active in rows if active),
        removed=tuple(user for user, active in rows if not active),
    )


async def office_for_chat(*, session: AsyncSession, chat_id: int) -> Office | None:
    office: Office | None = await session.scalar(
        select(Office).where(Office.staff_chat_id == chat_id)
    )
    return office

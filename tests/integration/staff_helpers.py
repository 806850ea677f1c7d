"""Shared set-up for the staff-side tests: office groups, registered staff, outbox reads."""

from __future__ import annotations

import json

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Office, OutboxMessage, StaffRole
from services.staff import register_staff

Sessions = async_sessionmaker[AsyncSession]

KT_GROUP = -100_200_1
VP_GROUP = -100_200_2
TTVHTT_GROUP = -100_200_3
LEADERS_CHAT = -100_200_9
KT_OFFICER = 5001
VP_OFFICER = 5002
LEADER = 5003
KT_LEAD_CLEARED = 5004
GROUPS = {"KT": KT_GROUP, "VP": VP_GROUP, "TTVHTT": TTVHTT_GROUP}


async def configure_groups(sessions: Sessions, groups: dict[str, int] = GROUPS) -> None:
    """What `make load-config` does once the offices' staff_chat_id are filled in."""
    async with sessions() as session:
        for code, chat in groups.items():
            await session.execute(
                update(Office).where(Office.code == code).values(staff_chat_id=chat)
            )
        await session.commit()


async def register_default_staff(sessions: Sessions) -> None:
    async with sessions() as session:
        for user, name, office, role, cleared in (
            (KT_OFFICER, "Trần Văn Kinh", "KT", StaffRole.OFFICER, False),
            (VP_OFFICER, "Lê Thị Văn", "VP", StaffRole.OFFICER, False),
            (LEADER, "Phạm Chủ Tịch", None, StaffRole.COMMUNE_LEADER, False),
            (KT_LEAD_CLEARED, "Đỗ Trưởng Phòng", "KT", StaffRole.OFFICE_LEAD, True),
        ):
            await register_staff(
                session=session,
                telegram_user_id=user,
                full_name=name,
                office_code=office,
                role=role,
                can_read_confidential=cleared,
            )
        await session.commit()


async def outbox_rows(sessions: Sessions, chat_id: int | None = None) -> list[OutboxMessage]:
    async with sessions() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if chat_id is not None:
            query = query.where(OutboxMessage.chat_id == chat_id)
        return list((await session.scalars(query)).all())


def buttons(row: OutboxMessage) -> list[tuple[str, str]]:
    if row.reply_markup is None:
        return []
    markup = json.loads(row.reply_markup)
    return [(b["text"], b["callback_data"]) for r in markup["inline_keyboard"] for b in r]

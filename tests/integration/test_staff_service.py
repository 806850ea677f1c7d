"""Staff registry and who gets which report, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Office, StaffRole
from laikhe.commune import CommuneConfig
from services.report_requests import NOT_ALLOWED, NOT_STAFF, decide_report_scope
from services.staff import (
    StaffError,
    StaffPrivateChats,
    active_staff,
    register_staff,
    remove_staff,
    staff_private_chats,
)

Sessions = async_sessionmaker[AsyncSession]
KT_GROUP = -100111
LEADERS_CHAT = -100999


@pytest.fixture
async def staffed(sessions: Sessions) -> Sessions:
    async with sessions() as session:
        await session.execute(
            update(Office).where(Office.code == "KT").values(staff_chat_id=KT_GROUP)
        )
        await register_staff(
            session=session,
            telegram_user_id=11,
            full_name="Cán bộ KT",
            office_code="KT",
            role=StaffRole.OFFICER,
        )
        await register_staff(
            session=session,
            telegram_user_id=12,
            full_name="Cán bộ VP",
            office_code="vp",
            role=StaffRole.OFFICE_LEAD,
        )
        await register_staff(
            session=session,
            telegram_user_id=13,
            full_name="Lãnh đạo xã",
            office_code=None,
            role=StaffRole.COMMUNE_LEADER,
        )
        await session.commit()
    return sessions  # fmt: skip


async def test_register_update_and_remove(staffed: Sessions) -> None:
    async with staffed() as session:
        member = await register_staff(session=session, telegram_user_id=11, full_name="Tên mới",
                                      office_code="VHXH", role=StaffRole.OFFICER)  # fmt: skip
        assert member.full_name == "Tên mới"
        with pytest.raises(StaffError):
            await register_staff(session=session, telegram_user_id=20, full_name="X",
                                 office_code="NOPE", role=StaffRole.OFFICER)  # fmt: skip
        with pytest.raises(StaffError):
            await register_staff(session=session, telegram_user_id=21, full_name="X",
                                 office_code=None, role=StaffRole.OFFICER)  # fmt: skip
        assert await remove_staff(session=session, telegram_user_id=11) is True
        assert await remove_staff(session=session, telegram_user_id=11) is False
        assert await active_staff(session=session, telegram_user_id=11) is None


async def test_private_chats_of_active_and_removed_staff(staffed: Sessions) -> None:
    """What the bot reads at start-up to give or take back the staff «/» menu."""
    async with staffed() as session:
        assert await staff_private_chats(session=session) == StaffPrivateChats((11, 12, 13), ())
        await remove_staff(session=session, telegram_user_id=12)
        assert await staff_private_chats(session=session) == StaffPrivateChats((11, 13), (12,))
        # Registered again: back among the active staff, in registration order.
        await register_staff(session=session, telegram_user_id=12, full_name="Cán bộ VP",
                             office_code="VP", role=StaffRole.OFFICER)  # fmt: skip
        assert await staff_private_chats(session=session) == StaffPrivateChats((11, 12, 13), ())


@pytest.mark.parametrize(
    ("user", "chat", "private", "allowed", "office", "refusal"),
    [
        (11, KT_GROUP, False, True, "KT", None),  # officer in own office group
        (12, KT_GROUP, False, False, "KT", NOT_ALLOWED),  # VP lead in the KT group
        (13, KT_GROUP, False, True, "KT", None),  # commune leader sees any office
        (99, KT_GROUP, False, False, None, NOT_STAFF),  # not registered
        (11, 11, True, True, "KT", None),  # officer privately: own office
        (13, 13, True, True, None, None),  # leader privately: commune-wide
        (11, -555, False, False, None, NOT_ALLOWED),  # some other group
    ],
)
async def test_report_scope(
    staffed: Sessions, commune: CommuneConfig, user: int, chat: int, private: bool,
    allowed: bool, office: str | None, refusal: str | None,
) -> None:  # fmt: skip
    async with staffed() as session:
        decision = await decide_report_scope(
            session=session, commune=commune, telegram_user_id=user, chat_id=chat,
            private_chat=private,
        )  # fmt: skip
    assert (decision.allowed, decision.office_code, decision.refusal) == (allowed, office, refusal)

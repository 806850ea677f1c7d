"""A group upgraded to a supergroup: its office and its waiting messages follow the new id."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Office, OutboxMessage, OutboxStatus
from services import outbox
from services.chat_migration import follow_chat_migration
from tests.integration.staff_helpers import configure_groups

OLD, NEW, OTHER = -4242, -1_004_242, -1_009_999


async def test_office_and_waiting_messages_move_sent_ones_stay(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await configure_groups(sessions, {"KT": OLD, "VP": OTHER})
    async with sessions() as session:
        waiting = await outbox.enqueue(session=session, chat_id=OLD, purpose="t", text="a")
        done = await outbox.enqueue(session=session, chat_id=OLD, purpose="t", text="b")
        elsewhere = await outbox.enqueue(session=session, chat_id=OTHER, purpose="t", text="c")
        assert waiting and done and elsewhere
        done.status = OutboxStatus.SENT
        await session.commit()
        ids = (waiting.id, done.id, elsewhere.id)

    async with sessions() as session:
        moved = await follow_chat_migration(session=session, old_chat_id=OLD, new_chat_id=NEW)
        await session.commit()
    assert moved == ["KT"]

    async with sessions() as session:
        chats = dict((await session.execute(select(Office.code, Office.staff_chat_id))).all())
        rows = {row.id: row.chat_id for row in (await session.scalars(select(OutboxMessage))).all()}
    assert (chats["KT"], chats["VP"]) == (NEW, OTHER)
    assert [rows[i] for i in ids] == [NEW, OLD, OTHER]

    async with sessions() as session:  # an unknown group: nothing to move
        assert await follow_chat_migration(session=session, old_chat_id=-1, new_chat_id=-2) == []

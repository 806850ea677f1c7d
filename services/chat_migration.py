"""A Telegram group upgraded to a supergroup gets a new chat id: the office keeps its group.

Telegram announces the upgrade with a service message (migrate_to_chat_id in the old chat,
migrate_from_chat_id in the new one). The office's staff_chat_id and the messages still
waiting in the outbox move to the new id, so cards, digests and /baocao keep working.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Office, OutboxMessage, OutboxStatus


async def follow_chat_migration(
    *, session: AsyncSession, old_chat_id: int, new_chat_id: int
) -> list[str]:
    """Move every office group link and waiting outbox message; the moved offices' codes."""
    offices = list(
        (await session.scalars(select(Office).where(Office.staff_chat_id == old_chat_id))).all()
    )
    for office in offices:
        office.staff_chat_id = new_chat_id
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.chat_id == old_chat_id,
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(chat_id=new_chat_id)
    )
    await session.flush()
    return [office.code for office in offices]

"""What every front-end process (Telegram, Zalo) wires the same way."""

from __future__ import annotations

from pydantic_core import ErrorDetails
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.session import unit_of_work
from services.privacy import (
    conversation_messages,
    erase_conversation,
    forget_unanswered_questions,
)


async def eraser_for(
    sessions: async_sessionmaker[AsyncSession], tracker_store_url: str, sender_id: str
) -> int:
    # The unanswered questions first: only the conversation links them to the sender.
    said = await conversation_messages(tracker_store_url=tracker_store_url, sender_id=sender_id)
    async with unit_of_work(sessions) as session:
        await forget_unanswered_questions(session=session, messages=said)
    return await erase_conversation(tracker_store_url=tracker_store_url, sender_id=sender_id)


def describe_config_problem(problem: ErrorDetails) -> str:
    """One configuration problem: the setting and what is wrong, never its value."""
    where = ".".join(str(part) for part in problem["loc"]).upper()
    message = problem["msg"].removeprefix("Value error, ")
    return f"- {where}: {message}" if where else f"- {message}"

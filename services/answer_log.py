"""What the report counts about the assistant's answers: the questions it could not
answer (without the sender) and residents' votes on FAQ answers. Flushes only; the
caller's unit of work commits."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import FaqVote, UnansweredQuestion
from laikhe import clock

MAX_LOGGED_CHARS: Final = 500


async def record_unanswered_question(
    *, session: AsyncSession, text: str, channel: str, at: datetime | None = None
) -> None:
    session.add(
        UnansweredQuestion(text=text[:MAX_LOGGED_CHARS], channel=channel, at=at or clock.now())
    )
    await session.flush()


async def record_faq_vote(
    *, session: AsyncSession, topic: str, useful: bool, channel: str, at: datetime | None = None
) -> None:
    session.add(FaqVote(topic=topic, useful=useful, channel=channel, at=at or clock.now()))
    await session.flush()

"""The questions the assistant could not answer in a period, grouped by similarity for
the back office (services.question_groups does the grouping). Reads only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import UnansweredQuestion
from services.question_groups import QuestionGroup, group_questions


async def unanswered_groups(
    *, session: AsyncSession, since: datetime | None
) -> list[QuestionGroup]:
    """Groups of the questions asked from `since` (all kept ones when None); retention
    (services.retention) already deletes those older than the commune's setting."""
    query = select(UnansweredQuestion.text, UnansweredQuestion.at)
    if since is not None:
        query = query.where(UnansweredQuestion.at >= since)
    rows = await session.execute(query)
    return group_questions((text, at) for text, at in rows.all())

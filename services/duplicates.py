"""Spot an open ticket about the same problem before a resident files it again.

The result is only a suggestion: the action shows the earlier code and the resident
decides whether to send anyway, so a wrong guess costs one button press.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Category, Ticket, Village
from laikhe import clock
from laikhe.vntext import normalize
from services.lifecycle import OPEN

# token_set_ratio of normalised texts on a labelled set of same-category, same-village
# pairs (tests/unit/test_duplicates.py): paraphrases of one problem scored 86.1-100,
# different problems at most 78.8. 82 sits in the middle of that gap. Known limit: two
# short sentences differing in one key word ("mất điện" / "mất nước cả thôn từ sáng",
# 88) look alike to any word-overlap measure; the resident's confirmation catches it.
SAME_PROBLEM_THRESHOLD: Final = 82.0
# token_set_ratio is 100 whenever one text's words are a subset of the other's, so a
# short generic text ("hỏng rồi") would match everything; demand real overlap first.
MIN_SHARED_WORDS: Final = 3
# The newest candidates are enough for a commune; this bounds the work per message.
MAX_CANDIDATES: Final = 200


def same_problem_score(first: str, second: str) -> float:
    """0-100 similarity of two resident texts, 0 when they share too few words."""
    a, b = normalize(first), normalize(second)
    if len(set(a.split()) & set(b.split())) < MIN_SHARED_WORDS:
        return 0.0
    return float(fuzz.token_set_ratio(a, b))


async def same_problem_tickets(
    *,
    session: AsyncSession,
    category_code: str | None,
    village_code: str | None,
    text: str,
    since: datetime,
    before: datetime | None = None,
    exclude_id: int | None = None,
) -> list[Ticket]:
    """The open, non-confidential tickets created from `since` (and before `before`) in
    this category and village whose text looks like the same problem, best first (the
    newest first among equal scores)."""
    conditions = [
        Ticket.state.in_(OPEN),
        Ticket.created_at >= since,
        # A complaint or denunciation is never shown to someone else, not even as
        # "already reported".
        Ticket.confidential.is_(False),
        Category.code == category_code if category_code else Ticket.category_id.is_(None),
        Village.code == village_code if village_code else Ticket.village_id.is_(None),
    ]
    if before is not None:
        conditions.append(Ticket.created_at < before)
    if exclude_id is not None:
        conditions.append(Ticket.id != exclude_id)
    query = (
        select(Ticket)
        .outerjoin(Category, Ticket.category_id == Category.id)
        .outerjoin(Village, Ticket.village_id == Village.id)
        .where(*conditions)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(MAX_CANDIDATES)
    )
    scored = [
        (same_problem_score(text, candidate.content), candidate)
        for candidate in (await session.scalars(query)).all()
    ]
    # sorted() is stable: equal scores keep the newest-first order of the query.
    ranked = sorted(
        ((score, t) for score, t in scored if score >= SAME_PROBLEM_THRESHOLD),
        key=lambda pair: -pair[0],
    )
    return [ticket for _, ticket in ranked]


async def find_likely_duplicate(
    *,
    session: AsyncSession,
    category_code: str | None,
    village_code: str | None,
    text: str,
    now: datetime | None = None,
    days: int = 30,
) -> Ticket | None:
    """The open, non-confidential ticket of the last `days` most like `text`, if any."""
    now = now or clock.now()
    found = await same_problem_tickets(
        session=session,
        category_code=category_code,
        village_code=village_code,
        text=text,
        since=now - timedelta(days=days),
    )
    return found[0] if found else None

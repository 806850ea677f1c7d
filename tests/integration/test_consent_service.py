"""Consent records on real migrated databases (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import ConsentRecord
from services.consent import (
    CONSENT_NOTICE_VERSION,
    PURPOSE_FEEDBACK,
    has_consent,
    record_consent,
)
from services.tickets import VIETNAM

Sessions = async_sessionmaker[AsyncSession]
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=VIETNAM)


async def _record(session: AsyncSession, granted: bool, at: datetime, sender: str = "1001") -> None:
    await record_consent(
        session=session,
        channel="telegram",
        sender_id=sender,
        purpose=PURPOSE_FEEDBACK,
        notice_version=CONSENT_NOTICE_VERSION,
        granted=granted,
        now=at,
    )


async def test_no_record_means_no_consent(sessions: Sessions) -> None:
    async with sessions() as session:
        assert not await has_consent(session=session, sender_id="1001", purpose=PURPOSE_FEEDBACK)


async def test_latest_record_wins_and_withdrawal_is_stamped(sessions: Sessions) -> None:
    async with sessions() as session:
        await _record(session, True, T0)
        await session.commit()
    async with sessions() as session:
        assert await has_consent(session=session, sender_id="1001", purpose=PURPOSE_FEEDBACK)
        assert not await has_consent(session=session, sender_id="1001", purpose="other")
        assert not await has_consent(session=session, sender_id="2002", purpose=PURPOSE_FEEDBACK)
        await _record(session, False, T0 + timedelta(hours=1))
        await session.commit()
    async with sessions() as session:
        assert not await has_consent(session=session, sender_id="1001", purpose=PURPOSE_FEEDBACK)
        rows = (await session.scalars(select(ConsentRecord).order_by(ConsentRecord.id))).all()
        # The first consent now shows when it stopped counting.
        assert [(r.granted, r.withdrawn_at is not None) for r in rows] == [
            (True, True),
            (False, False),
        ]
        assert rows[0].notice_version == CONSENT_NOTICE_VERSION
        await _record(session, True, T0 + timedelta(hours=2))
        await session.commit()
    async with sessions() as session:
        assert await has_consent(session=session, sender_id="1001", purpose=PURPOSE_FEEDBACK)


async def test_a_withdrawn_consent_alone_counts_as_no(sessions: Sessions) -> None:
    async with sessions() as session:
        await _record(session, True, T0)
        row = await session.scalar(select(ConsentRecord))
        assert row is not None
        row.withdrawn_at = T0 + timedelta(minutes=5)
        await session.commit()
    async with sessions() as session:
        assert not await has_consent(session=session, sender_id="1001", purpose=PURPOSE_FEEDBACK)


async def test_refusal_of_one_sender_leaves_another_alone(sessions: Sessions) -> None:
    async with sessions() as session:
        await _record(session, True, T0, sender="1001")
        await _record(session, True, T0, sender="2002")
        await _record(session, False, T0 + timedelta(hours=1), sender="2002")
        await session.commit()
    async with sessions() as session:
        assert await has_consent(session=session, sender_id="1001", purpose=PURPOSE_FEEDBACK)
        assert not await has_consent(session=session, sender_id="2002", purpose=PURPOSE_FEEDBACK)

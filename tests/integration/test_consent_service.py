"""Consent records on real migrated databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from actions.consent import chat_has_consent
from actions.request_human import ValidateHumanRequestForm
from db.models import ConsentRecord
from laikhe.clock import commune_zone
from services.consent import (
    CONSENT_NOTICE,
    CONSENT_NOTICE_VERSION,
    PURPOSE_FEEDBACK,
    has_consent,
    record_consent,
)

Sessions = async_sessionmaker[AsyncSession]
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=commune_zone())


def _tracker(sender_id: str, slots: dict[str, Any] | None = None) -> Tracker:
    return Tracker(
        sender_id=sender_id,
        slots=slots or {},
        latest_message={"text": "", "intent": {}, "entities": []},
        events=[{"event": "user", "text": "x", "input_channel": "telegram"}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


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


async def test_a_consent_to_an_earlier_notice_does_not_count_for_a_new_one(
    sessions: Sessions,
) -> None:
    """A chat that agreed to version N is asked again once the notice is N+1."""
    async with sessions() as session:
        await record_consent(
            session=session,
            channel="telegram",
            sender_id="1001",
            purpose=PURPOSE_FEEDBACK,
            notice_version="pdp-n",
            granted=True,
            now=T0,
        )
        await session.commit()
    async with sessions() as session:

        async def agreed(version: str) -> bool:
            return await has_consent(
                session=session, sender_id="1001", purpose=PURPOSE_FEEDBACK, notice_version=version
            )

        assert await agreed("pdp-n")
        assert not await agreed("pdp-n+1")
        await record_consent(
            session=session,
            channel="telegram",
            sender_id="1001",
            purpose=PURPOSE_FEEDBACK,
            notice_version="pdp-n+1",
            granted=True,
            now=T0 + timedelta(days=30),
        )
        await session.commit()
        assert await agreed("pdp-n+1")


@pytest.mark.usefixtures("action_runtime")
async def test_the_forms_ask_again_when_the_notice_changed(sessions: Sessions) -> None:
    """What every form asks (actions.consent.chat_has_consent): a consent on file to an
    older notice text is not taken as agreement to the notice shown now."""
    async with sessions() as session:
        await record_consent(
            session=session,
            channel="telegram",
            sender_id="1001",
            purpose=PURPOSE_FEEDBACK,
            notice_version="pdp-2026-11-v1",  # the text before the current one
            granted=True,
            now=T0,
        )
        await session.commit()
    assert CONSENT_NOTICE_VERSION != "pdp-2026-11-v1"
    assert not await chat_has_consent("1001")
    slots = await ValidateHumanRequestForm().required_slots(
        [], CollectingDispatcher(), _tracker("1001"), {}
    )
    assert slots == ["human_consent", "human_question"]
    async with sessions() as session:
        await _record(session, True, T0 + timedelta(days=1))
        await session.commit()
    assert await chat_has_consent("1001")


def test_the_notice_version_follows_the_text() -> None:
    """No edit of the notice can keep its old version: the version is the text's digest."""
    assert (
        "pdp-" + hashlib.sha256(CONSENT_NOTICE.encode()).hexdigest()[:16]
    ) == CONSENT_NOTICE_VERSION
    assert len(CONSENT_NOTICE_VERSION) <= 32  # consent_records.notice_version


async def test_a_refusal_is_stored_without_the_chat_id(sessions: Sessions) -> None:
    """Refusing is how a resident sends an anonymous suggestion: the record of the refusal
    must not name the chat, and still ends the chat's earlier consent."""
    async with sessions() as session:
        await _record(session, True, T0)
        await _record(session, False, T0 + timedelta(hours=1))
        await session.commit()
    async with sessions() as session:
        rows = (await session.scalars(select(ConsentRecord).order_by(ConsentRecord.id))).all()
        assert [(r.sender_id, r.granted) for r in rows] == [("1001", True), (None, False)]
        assert rows[0].withdrawn_at is not None
        assert not await has_consent(session=session, sender_id="1001", purpose=PURPOSE_FEEDBACK)

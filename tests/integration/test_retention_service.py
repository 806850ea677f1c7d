"""Retention periods on real migrated databases (SQLite and PostgreSQL): rows just inside
each period stay, rows just outside go, and the dry run changes nothing."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from sqlalchemy import delete, func, select, update

from db.models import (
    AttachmentKind,
    OutboxMessage,
    OutboxStatus,
    StaffRole,
    Ticket,
    TicketAttachment,
    TicketEvent,
    TicketKind,
    TicketState,
    UnansweredQuestion,
    WebChatMessage,
    WebSignInLink,
)
from laikhe.clock import commune_zone
from laikhe.commune import CommuneConfig, RetentionConfig
from services import retention
from services.consent import CONSENT_NOTICE
from services.outbox import enqueue
from services.resident import add_attachment
from services.staff import register_staff
from services.web_sessions import create_sign_in_link
from tests.conftest import ROOT, PostgresDatabase
from tests.integration.ticket_helpers import T0, Sessions, load, move, new_ticket

ENGINE_PYTHON = ROOT / ".venv" / "engine" / "bin" / "python"
TRACKER_TOOL = ROOT / "tests" / "engine" / "rasa_tracker_store.py"
# 03:00 on 01/03/2028: finished tickets anonymised if their last step was before
# 03:00 on 01/03/2026 (24 months), conversations and message texts kept 90 days,
# unanswered questions 365 days, log files 30 days.
NOW = datetime(2028, 3, 1, 3, 0, tzinfo=commune_zone())
TICKET_CUTOFF = datetime(2026, 3, 1, 3, 0, tzinfo=commune_zone())
MARGIN = timedelta(minutes=1)


def _config(log_directory: Path | None) -> RetentionConfig:
    return RetentionConfig(
        conversation_days=90,
        outbox_text_days=90,
        ticket_months=24,
        unanswered_question_days=365,
        log_days=30,
        log_directory=log_directory,
    )


def test_the_default_periods_are_the_commune_files(commune: CommuneConfig) -> None:
    # The consent notice states these; a change to the file must be a change to it.
    assert commune.retention == _config(Path("var/logs"))


def test_the_consent_notice_states_the_configured_periods(commune: CommuneConfig) -> None:
    # What residents agree to is what the purge enforces.
    periods = commune.retention
    assert f"lịch sử trò chuyện {periods.conversation_days} ngày" in CONSENT_NOTICE
    assert f"ý kiến đến {periods.ticket_months} tháng sau khi xử lý xong" in CONSENT_NOTICE
    # Message texts are part of the conversation the notice promises to forget.
    assert periods.outbox_text_days <= periods.conversation_days


def test_months_are_calendar_months() -> None:
    assert retention.months_before(NOW, 24) == TICKET_CUTOFF
    end_of_march = datetime(2028, 3, 31, 12, 0, tzinfo=commune_zone())
    assert retention.months_before(end_of_march, 1) == datetime(
        2028, 2, 29, 12, 0, tzinfo=commune_zone()
    )
    assert retention.months_before(end_of_march, 13) == datetime(
        2027, 2, 28, 12, 0, tzinfo=commune_zone()
    )


# --- the ticket database -----------------------------------------------------------


@dataclass
class Seeded:
    expired_closed: str
    expired_rejected: str
    kept_closed: str
    kept_open: str


async def _seed(sessions: Sessions, commune: CommuneConfig) -> Seeded:
    expired_closed = await new_ticket(
        sessions, commune, contact_name="Nguyễn Văn An", contact_phone="+84912345678"
    )
    expired_rejected = await new_ticket(
        sessions, commune, kind=TicketKind.KHIEU_NAI_TO_CAO, contact_name="Trần Thị Bình"
    )
    kept_closed = await new_ticket(sessions, commune, contact_name="Lê Văn Cường")
    # Open for two years (nobody handled it): still being handled, so it stays whole.
    kept_open = await new_ticket(sessions, commune, contact_name="Phạm Thị Dung")
    async with sessions() as session:
        await add_attachment(
            session=session,
            code=expired_closed,
            sender_id="1001",
            telegram_file_id="AgACAgUAAxkBAAIB",
            kind=AttachmentKind.PHOTO,
            now=T0,
        )
        await session.commit()
    await move(sessions, expired_closed, TicketState.CLOSED, TICKET_CUTOFF - MARGIN)
    await move(sessions, expired_rejected, TicketState.REJECTED, TICKET_CUTOFF - MARGIN)
    await move(sessions, kept_closed, TicketState.CLOSED, TICKET_CUTOFF + MARGIN)

    outbox_cutoff = NOW - timedelta(days=90)
    async with sessions() as session:
        rows = [
            ("sent", OutboxStatus.SENT, outbox_cutoff - MARGIN, "expired"),
            ("failed", OutboxStatus.FAILED, outbox_cutoff - MARGIN, "expired"),
            ("recent", OutboxStatus.SENT, outbox_cutoff + MARGIN, "kept"),
            # Not settled: the dispatcher or the staff still need the text.
            ("pending", OutboxStatus.PENDING, outbox_cutoff - MARGIN, "kept"),
            ("unknown", OutboxStatus.UNKNOWN, outbox_cutoff - MARGIN, "kept"),
        ]
        for name, status, at, _ in rows:
            row = await enqueue(
                session=session, chat_id=1001, purpose=name, text=f"Trả lời {name}", now=at
            )
            assert row is not None
            row.status = status
        photo = await enqueue(
            session=session,
            chat_id=-100,
            purpose="photo",
            method="sendPhoto",
            file_id="AgACAgUAAxkBAAIC",
            now=outbox_cutoff - MARGIN,
        )
        assert photo is not None
        photo.status = OutboxStatus.SENT
        question_cutoff = NOW - timedelta(days=365)
        for text, at in (
            ("câu hỏi cũ", question_cutoff - MARGIN),
            ("câu hỏi mới", question_cutoff + MARGIN),
        ):
            session.add(UnansweredQuestion(text=text, channel="telegram", at=at))
        # A sign-in link of yesterday is spent; one of five minutes ago may still be used.
        for user, at in ((5001, NOW - timedelta(days=1)), (5002, NOW - timedelta(minutes=5))):
            await register_staff(
                session=session,
                telegram_user_id=user,
                full_name="Trần Văn Kinh",
                office_code="KT",
                role=StaffRole.OFFICER,
            )
            await create_sign_in_link(session=session, telegram_user_id=user, now=at)
        await session.commit()
    return Seeded(expired_closed, expired_rejected, kept_closed, kept_open)


def _logs(directory: Path) -> None:
    directory.mkdir()
    cutoff = (NOW - timedelta(days=30)).timestamp()
    for name, mtime in (
        ("bot.log.1", cutoff - 60),
        ("engine.log", cutoff + 60),
        ("haproxy.cfg", cutoff - 60),  # not a log file
    ):
        path = directory / name
        path.write_text("x", encoding="utf-8")
        os.utime(path, (mtime, mtime))


EXPECTED = retention.RetentionReport(
    conversation_events=0,
    outbox_messages=3,
    tickets=2,
    unanswered_questions=1,
    log_files=1,
    sign_in_links=1,
)


async def _snapshot(sessions: Sessions) -> dict[str, object]:
    async with sessions() as session:
        tickets = (
            await session.execute(
                select(Ticket.code, Ticket.sender_id, Ticket.contact_name, Ticket.content).order_by(
                    Ticket.id
                )
            )
        ).all()
        outbox = (
            await session.execute(
                select(OutboxMessage.purpose, OutboxMessage.text, OutboxMessage.file_id).order_by(
                    OutboxMessage.id
                )
            )
        ).all()
        questions = (await session.scalars(select(UnansweredQuestion.text))).all()
        photos = await session.scalar(select(func.count()).select_from(TicketAttachment))
        links = (await session.scalars(select(WebSignInLink.created_at))).all()
    return {
        "sign_in_links": sorted(links),
        "tickets": [tuple(t) for t in tickets],
        "outbox": [tuple(o) for o in outbox],
        "questions": sorted(questions),
        "photos": photos,
    }


async def test_dry_run_counts_and_changes_nothing(
    sessions: Sessions, commune: CommuneConfig, tmp_path: Path
) -> None:
    await _seed(sessions, commune)
    _logs(tmp_path / "logs")
    before = await _snapshot(sessions)
    config = _config(tmp_path / "logs")
    async with sessions() as session:
        planned = await retention.plan(session, NOW, config)
        await session.commit()
    assert planned == EXPECTED
    assert await _snapshot(sessions) == before
    assert sorted(p.name for p in (tmp_path / "logs").iterdir()) == [
        "bot.log.1",
        "engine.log",
        "haproxy.cfg",
    ]
    text = retention.describe(planned, retention.Cutoffs.at(NOW, config), applied=False)
    assert "sẽ xóa 8 mục" in text and "trước 2026-03-01 (ẩn danh hóa): 2" in text


async def test_apply_removes_just_what_outlived_its_period(
    sessions: Sessions, commune: CommuneConfig, tmp_path: Path
) -> None:
    seeded = await _seed(sessions, commune)
    _logs(tmp_path / "logs")
    config = _config(tmp_path / "logs")
    async with sessions() as session:
        applied = await retention.apply(session, NOW, config)
        await session.commit()
    assert applied == EXPECTED

    for code in (seeded.expired_closed, seeded.expired_rejected):
        ticket, events = await load(sessions, code)
        assert ticket.sender_id is None
        assert (ticket.contact_name, ticket.contact_phone, ticket.contact_email) == (None,) * 3
        assert ticket.content == retention.EXPIRED_CONTENT
        assert ticket.search_text is None  # the back office search finds nothing of it
        assert ticket.anonymised_at is not None
        # What the six-monthly report counts stays: code, kind, state, category,
        # village, dates.
        assert ticket.category_id is not None and ticket.village_id is not None
        assert ticket.created_at is not None and ticket.due_date is not None
        assert [e.note for e in events[:-1]] == [None] * (len(events) - 1)
        assert (events[-1].actor, events[-1].note) == (
            retention.RETENTION_ACTOR,
            retention.EXPIRED_NOTE,
        )
        assert events[-1].from_state == events[-1].to_state == ticket.state
    closed, _ = await load(sessions, seeded.expired_closed)
    rejected, _ = await load(sessions, seeded.expired_rejected)
    assert (closed.state, closed.kind) == ("closed", "phan_anh")
    assert (rejected.state, rejected.kind, rejected.confidential) == (
        "rejected",
        "khieu_nai_to_cao",
        True,
    )
    for code, name in ((seeded.kept_closed, "Lê Văn Cường"), (seeded.kept_open, "Phạm Thị Dung")):
        ticket, events = await load(sessions, code)
        assert (ticket.sender_id, ticket.contact_name, ticket.anonymised_at) == ("1001", name, None)
        assert ticket.content != retention.EXPIRED_CONTENT and ticket.search_text
        assert all(e.actor != retention.RETENTION_ACTOR for e in events)

    after = await _snapshot(sessions)
    assert after["photos"] == 0
    assert after["outbox"] == [
        ("sent", None, None),
        ("failed", None, None),
        ("recent", "Trả lời recent", None),
        ("pending", "Trả lời pending", None),
        ("unknown", "Trả lời unknown", None),
        ("photo", None, None),
    ]
    assert after["questions"] == ["câu hỏi mới"]
    assert after["sign_in_links"] == [NOW - timedelta(minutes=5)]
    assert sorted(p.name for p in (tmp_path / "logs").iterdir()) == ["engine.log", "haproxy.cfg"]
    # The delivery record stays: when, where, about what.
    async with sessions() as session:
        kept = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert [(m.chat_id, m.status) for m in kept][:2] == [(1001, "sent"), (1001, "failed")]

    # Idempotent: nothing left to do, and the anonymisation is not stamped again.
    async with sessions() as session:
        again = await retention.apply(session, NOW, config)
        await session.commit()
    assert again == retention.RetentionReport()


async def test_an_anonymised_tickets_delivery_records_go_with_its_chat(
    sessions: Sessions, commune: CommuneConfig, tmp_path: Path
) -> None:
    seeded = await _seed(sessions, commune)
    async with sessions() as session:
        for code in (seeded.expired_closed, seeded.kept_closed):
            ticket_id = await session.scalar(select(Ticket.id).where(Ticket.code == code))
            row = await enqueue(
                session=session,
                chat_id=1001,
                purpose=f"answer {code}",
                text="Trả lời",
                ticket_id=ticket_id,
                now=NOW - timedelta(days=1),
            )
            assert row is not None
            row.status = OutboxStatus.SENT
        await session.commit()
    async with sessions() as session:
        await retention.apply(session, NOW, _config(tmp_path / "logs"))
        await session.commit()
    async with sessions() as session:
        purposes = (
            await session.scalars(
                select(OutboxMessage.purpose).where(OutboxMessage.ticket_id.is_not(None))
            )
        ).all()
    assert purposes == [f"answer {seeded.kept_closed}"]


async def test_a_reopened_ticket_is_not_anonymised(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    code = await new_ticket(sessions, commune)
    await move(sessions, code, TicketState.CLOSED, TICKET_CUTOFF - timedelta(days=40))
    await move(sessions, code, TicketState.REOPENED, TICKET_CUTOFF - MARGIN)
    async with sessions() as session:
        report = await retention.apply(session, NOW, _config(None))
        await session.commit()
    assert report.tickets == 0
    ticket, _ = await load(sessions, code)
    assert ticket.anonymised_at is None


async def test_a_ticket_without_history_uses_its_last_update(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    code = await new_ticket(sessions, commune)
    async with sessions() as session:
        await session.execute(
            update(Ticket)
            .where(Ticket.code == code)
            .values(state=TicketState.WITHDRAWN.value, updated_at=TICKET_CUTOFF - MARGIN)
        )
        ticket = await session.scalar(select(Ticket).where(Ticket.code == code))
        assert ticket is not None
        await session.execute(delete(TicketEvent).where(TicketEvent.ticket_id == ticket.id))
        await session.commit()
    async with sessions() as session:
        assert (await retention.plan(session, NOW, _config(None))).tickets == 1
        assert (await retention.plan(session, NOW - 2 * MARGIN, _config(None))).tickets == 0


# --- Rasa's tracker store ----------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def tracker_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind for Rasa's SQL tracker store."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tracker.db'}"
        return
    database = PostgresDatabase()
    try:
        yield database.url
    finally:
        database.drop()


def _rasa(url: str, *args: str) -> str:
    """Rasa's own SQLTrackerStore, in the engine environment."""
    if not ENGINE_PYTHON.exists():
        pytest.skip("the engine environment is not installed")
    done = subprocess.run(
        [str(ENGINE_PYTHON), str(TRACKER_TOOL), url, *args],
        cwd=ROOT,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


async def test_tracker_events_older_than_the_period_go(
    sessions: Sessions, tracker_url: str
) -> None:
    cutoff = (NOW - timedelta(days=90)).timestamp()
    old, recent = cutoff - 1, cutoff + 1
    _rasa(tracker_url, "fill", json.dumps({"1001": [old - 50, old, recent], "2002": [old]}))
    config = _config(None)
    async with sessions() as session:
        planned = await retention.plan(session, NOW, config, tracker_store_url=tracker_url)
        assert planned.conversation_events == 3
        # The dry run left every event in place.
        assert json.loads(_rasa(tracker_url, "read", "1001", "2002")) == {
            "1001": [old - 50, old, recent],
            "2002": [old],
        }
        applied = await retention.apply(session, NOW, config, tracker_store_url=tracker_url)
        await session.commit()
    assert applied.conversation_events == 3
    # Rasa still reads the store: the recent turn stays, the old ones are gone.
    assert json.loads(_rasa(tracker_url, "read", "1001", "2002")) == {
        "1001": [recent],
        "2002": [],
    }


async def test_a_missing_tracker_store_table_is_nothing_to_purge(
    sessions: Sessions, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    async with sessions() as session:
        report = await retention.apply(session, NOW, _config(None), tracker_store_url=url)
    assert report.conversation_events == 0


# --- daily schedule and command line -------------------------------------------------


def test_the_purge_runs_once_a_day_from_its_time() -> None:
    config = _config(None)  # daily_at 02:30
    day = NOW.date()
    before = datetime(2028, 3, 1, 2, 29, tzinfo=commune_zone())
    at = datetime(2028, 3, 1, 2, 30, tzinfo=commune_zone())
    assert not retention.retention_due(before, config, None)
    assert retention.retention_due(at, config, None)
    assert not retention.retention_due(at + timedelta(hours=5), config, day)
    assert retention.retention_due(at + timedelta(days=1), config, day)
    # Commune time, whatever the server's zone: 19:30 UTC is 02:30 the next day.
    utc = datetime(2028, 3, 1, 19, 30, tzinfo=timezone.utc)
    assert retention.retention_due(utc, config, day)


async def test_daily_retention_task_purges_once(
    sessions: Sessions, commune: CommuneConfig, tmp_path: Path
) -> None:
    old = await new_ticket(sessions, commune, at=datetime(2020, 1, 6, 9, 0, tzinfo=commune_zone()))
    await move(sessions, old, TicketState.CLOSED, datetime(2020, 1, 7, 9, 0, tzinfo=commune_zone()))
    task = retention.DailyRetention(
        _config(None).model_copy(update={"daily_at": datetime.min.time()}),
        tracker_store_url=None,
    )
    await task(sessions)
    ticket, _ = await load(sessions, old)
    assert ticket.anonymised_at is not None
    # The same day again: not run (a second ticket that expired stays for tomorrow).
    second = await new_ticket(
        sessions, commune, at=datetime(2020, 1, 6, 9, 0, tzinfo=commune_zone())
    )
    await move(
        sessions, second, TicketState.CLOSED, datetime(2020, 1, 7, 9, 0, tzinfo=commune_zone())
    )
    await task(sessions)
    ticket, _ = await load(sessions, second)
    assert ticket.anonymised_at is None


async def test_admin_retention_dry_run_then_apply(
    sessions: Sessions, commune: CommuneConfig, database_url: str, tmp_path: Path
) -> None:
    old = await new_ticket(
        sessions,
        commune,
        at=datetime(2020, 1, 6, 9, 0, tzinfo=commune_zone()),
        contact_name="Nguyễn Văn An",
    )
    await move(sessions, old, TicketState.CLOSED, datetime(2020, 1, 7, 9, 0, tzinfo=commune_zone()))
    data = yaml.safe_load((ROOT / "config" / "commune.yml").read_text(encoding="utf-8"))
    data["retention"]["log_directory"] = str(tmp_path / "no-logs")
    config_file = tmp_path / "commune.yml"
    config_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TRACKER_STORE_URL": f"sqlite:///{tmp_path / 'tracker.db'}",
        "PYTHONPATH": str(ROOT),
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "admin", "retention", "--file", str(config_file), *args]
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)

    dry = run("--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "sẽ xóa 1 mục" in dry.stdout
    assert "Nguyễn Văn An" not in dry.stdout and old not in dry.stdout
    ticket, _ = await load(sessions, old)
    assert ticket.contact_name == "Nguyễn Văn An"

    done = run()
    assert done.returncode == 0, done.stderr
    assert "đã xóa 1 mục" in done.stdout
    ticket, _ = await load(sessions, old)
    assert (ticket.contact_name, ticket.content) == (None, retention.EXPIRED_CONTENT)
    assert "đã xóa 0 mục" in run().stdout


async def test_two_bot_processes_purging_at_once_anonymise_once(
    sessions: Sessions, commune: CommuneConfig, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks: PostgreSQL (SQLite writers are serialised as a whole)")
    code = await new_ticket(sessions, commune)
    await move(sessions, code, TicketState.CLOSED, TICKET_CUTOFF - MARGIN)
    config = _config(None)
    async with sessions() as first, sessions() as second:
        assert (await retention.apply(first, NOW, config)).tickets == 1
        # The second process found the same ticket expired and now waits for the lock.
        racing = asyncio.create_task(retention.apply(second, NOW, config))
        await asyncio.sleep(0.5)
        assert not racing.done()
        await first.commit()
        assert (await racing).tickets == 0
        await second.commit()
    _, events = await load(sessions, code)
    assert [e.actor for e in events].count(retention.RETENTION_ACTOR) == 1


async def test_the_website_chat_windows_history_goes_after_the_conversation_period(
    sessions: Sessions,
) -> None:
    cutoff = NOW - timedelta(days=90)
    async with sessions() as session:
        for at, text in ((cutoff - MARGIN, "cũ"), (cutoff + MARGIN, "mới")):
            session.add(
                WebChatMessage(
                    sender_id="web:abcdefghijklmnop", from_resident=True, text=text, at=at
                )
            )
        await session.commit()
    config = _config(None)
    async with sessions() as session:
        assert (await retention.plan(session, NOW, config)).conversation_events == 1
        assert (await retention.apply(session, NOW, config)).conversation_events == 1
        await session.commit()
    async with sessions() as session:
        left = (await session.scalars(select(WebChatMessage.text))).all()
    assert left == ["mới"]

"""Retention: personal data is kept only as long as the consent notice says.

Each day the bot (or `python -m admin retention`) removes what has outlived its period
in config/commune.yml (`retention:`):

- the engine's conversation: Rasa tracker store events older than `conversation_days`,
  and the website chat window's copy of it (`web_chat_messages`) after as long;
- the text, photo and buttons of Telegram messages sent or failed more than
  `outbox_text_days` ago (the delivery record stays: when, which chat, which ticket);
- finished tickets (not being handled) whose last step is more than `ticket_months`
  old: anonymised like «xóa dữ liệu của tôi» does (name, phone, e-mail, chat id,
  photos, business identity, every free text), keeping code, kind, category, office,
  village, state, dates and satisfaction for the six-monthly report;
- unanswered questions older than `unanswered_question_days`;
- log files under `log_directory` not written for `log_days`.

`plan` counts what would go (counts only: a dry-run report must not itself show the
personal data it is about); `apply` removes it and returns the same counts.
"""

from __future__ import annotations

import asyncio
import calendar
import logging
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Final

import sqlalchemy as sa
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from db.models import (
    OutboxMessage,
    OutboxStatus,
    Ticket,
    TicketEvent,
    UnansweredQuestion,
    WebChatMessage,
)
from db.session import unit_of_work
from laikhe import clock
from laikhe.commune import RetentionConfig
from laikhe.settings import PROJECT_ROOT, to_sync_url
from services import lifecycle, web_sessions
from services.photo_store import PhotoStore, sweep_unattached
from services.privacy import TRACKER_EVENTS_TABLE, strip_personal_fields

logger = logging.getLogger(__name__)

EXPIRED_CONTENT: Final = "[Nội dung đã xóa khi hết thời hạn lưu trữ]"
EXPIRED_NOTE: Final = "Đã xóa dữ liệu cá nhân khi hết thời hạn lưu trữ"
_RETENTION: Final = lifecycle.Actor.system("retention")
RETENTION_ACTOR: Final = _RETENTION.label
# Messages whose fate is settled; pending, sending and unknown ones are still the
# dispatcher's or the staff's business.
SETTLED_OUTBOX: Final = (OutboxStatus.SENT, OutboxStatus.FAILED)
# Only files a logger writes (bot.log, bot.log.1, bot.log.2026-11-30...), never the
# generated configuration files that live beside them.
LOG_FILE_PATTERN: Final = "*.log*"


@dataclass(frozen=True)
class Cutoffs:
    """Everything older than these goes. Times are aware; the tracker's is epoch seconds."""

    conversation: datetime
    outbox: datetime
    tickets: datetime
    unanswered: datetime
    logs: datetime

    @classmethod
    def at(cls, now: datetime, config: RetentionConfig) -> Cutoffs:
        local = clock.to_local(now)
        return cls(
            conversation=local - timedelta(days=config.conversation_days),
            outbox=local - timedelta(days=config.outbox_text_days),
            tickets=months_before(local, config.ticket_months),
            unanswered=local - timedelta(days=config.unanswered_question_days),
            logs=local - timedelta(days=config.log_days),
        )


@dataclass(frozen=True)
class RetentionReport:
    conversation_events: int = 0
    outbox_messages: int = 0
    tickets: int = 0
    unanswered_questions: int = 0
    log_files: int = 0
    sign_in_links: int = 0

    @property
    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))


def months_before(moment: datetime, months: int) -> datetime:
    """The same wall-clock time `months` calendar months earlier (31/03 -> 28 or 29/02)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def describe(report: RetentionReport, cutoffs: Cutoffs, *, applied: bool) -> str:
    """A short report for staff; counts and dates only."""
    verb = "đã xóa" if applied else "sẽ xóa"

    def day(moment: datetime) -> str:
        return clock.to_local(moment).date().isoformat()

    return "\n".join(
        [
            f"Thời hạn lưu trữ: {verb} {report.total} mục",
            f"- lịch sử trò chuyện trước {day(cutoffs.conversation)}: "
            f"{report.conversation_events} sự kiện",
            f"- nội dung tin nhắn đã gửi trước {day(cutoffs.outbox)}: {report.outbox_messages} tin",
            f"- ý kiến xong trước {day(cutoffs.tickets)} (ẩn danh hóa): {report.tickets}",
            f"- câu hỏi chưa trả lời được trước {day(cutoffs.unanswered)}: "
            f"{report.unanswered_questions}",
            f"- tệp nhật ký không ghi từ {day(cutoffs.logs)}: {report.log_files}",
            f"- đường dẫn đăng nhập trang quản lý đã hết hạn: {report.sign_in_links}",
        ]
    )


# --- tickets -----------------------------------------------------------------------


def _expired_tickets(cutoff: datetime) -> sa.Select[tuple[int]]:
    last_step = (
        select(func.max(TicketEvent.at))
        # Staff's internal notes are not the resident's business with the ticket: a
        # note must not keep personal data past the period.
        .where(TicketEvent.ticket_id == Ticket.id, TicketEvent.internal.is_(False))
        .correlate(Ticket)
        .scalar_subquery()
    )
    return select(Ticket.id).where(
        Ticket.state.not_in(lifecycle.OPEN),
        Ticket.anonymised_at.is_(None),
        # The last thing that happened to it (answer, closing, rating, withdrawal...):
        # a resident may still reopen or rate for a while after the answer.
        func.coalesce(last_step, Ticket.updated_at) < cutoff,
    )


def _anonymise(session: AsyncSession, ticket: Ticket, *, now: datetime) -> None:
    # The same fields «xóa dữ liệu của tôi» erases; the state stays as it is, since the
    # ticket is finished.
    strip_personal_fields(ticket, content=EXPIRED_CONTENT)
    lifecycle.apply(session, ticket, lifecycle.Step.NOTE, by=_RETENTION, now=now, note=EXPIRED_NOTE)
    ticket.anonymised_at = now


# --- outbox ------------------------------------------------------------------------


def _expired_outbox(cutoff: datetime) -> list[sa.ColumnElement[bool]]:
    return [
        OutboxMessage.status.in_(SETTLED_OUTBOX),
        OutboxMessage.created_at < cutoff,
        sa.or_(
            OutboxMessage.text.is_not(None),
            OutboxMessage.file_id.is_not(None),
            OutboxMessage.reply_markup.is_not(None),
        ),
    ]


# --- Rasa tracker store ------------------------------------------------------------


def _tracker_events_sync(url: str, cutoff: float, *, purge: bool) -> int:
    sync_url = to_sync_url(url)
    # The engine may be writing to a SQLite tracker store at the same moment: wait.
    connect_args = {"timeout": 30} if sync_url.startswith("sqlite") else {}
    engine = sa.create_engine(sync_url, connect_args=connect_args)
    try:
        with engine.begin() as connection:
            if not sa.inspect(connection).has_table(TRACKER_EVENTS_TABLE):
                return 0
            events = sa.table(TRACKER_EVENTS_TABLE, sa.column("timestamp", sa.Float))
            old = events.c.timestamp < cutoff
            if purge:
                return connection.execute(sa.delete(events).where(old)).rowcount or 0
            return connection.execute(
                select(func.count()).select_from(events).where(old)
            ).scalar_one()
    finally:
        engine.dispose()


async def _tracker_events(url: str | None, cutoff: datetime, *, purge: bool) -> int:
    if url is None:
        return 0
    # Rasa stores each event's time as epoch seconds.
    return await asyncio.to_thread(_tracker_events_sync, url, cutoff.timestamp(), purge=purge)


# --- log files ---------------------------------------------------------------------


def _old_log_files(directory: Path | None, cutoff: datetime) -> list[Path]:
    if directory is None or not directory.is_dir():
        return []
    limit = cutoff.timestamp()
    return sorted(
        path
        for path in directory.rglob(LOG_FILE_PATTERN)
        if path.is_file() and not path.is_symlink() and path.stat().st_mtime < limit
    )


def _log_directory(config: RetentionConfig, root: Path) -> Path | None:
    if config.log_directory is None:
        return None
    return (
        config.log_directory if config.log_directory.is_absolute() else root / config.log_directory
    )


# --- plan and apply ----------------------------------------------------------------


async def plan(
    session: AsyncSession,
    now: datetime,
    config: RetentionConfig,
    *,
    tracker_store_url: str | None = None,
    root: Path = PROJECT_ROOT,
) -> RetentionReport:
    """What `apply` would remove at `now`, counted; changes nothing."""
    cutoffs = Cutoffs.at(now, config)
    expired = _expired_tickets(cutoffs.tickets).subquery()
    web_lines = await session.scalar(
        select(func.count(WebChatMessage.id)).where(WebChatMessage.at < cutoffs.conversation)
    )
    return RetentionReport(
        conversation_events=await _tracker_events(
            tracker_store_url, cutoffs.conversation, purge=False
        )
        + (web_lines or 0),
        outbox_messages=await session.scalar(
            select(func.count(OutboxMessage.id)).where(*_expired_outbox(cutoffs.outbox))
        )
        or 0,
        tickets=await session.scalar(select(func.count()).select_from(expired)) or 0,
        unanswered_questions=await session.scalar(
            select(func.count(UnansweredQuestion.id)).where(
                UnansweredQuestion.at < cutoffs.unanswered
            )
        )
        or 0,
        log_files=len(
            await asyncio.to_thread(_old_log_files, _log_directory(config, root), cutoffs.logs)
        ),
        sign_in_links=await web_sessions.count_spent_links(session=session, now=now),
    )


async def apply(
    session: AsyncSession,
    now: datetime,
    config: RetentionConfig,
    *,
    tracker_store_url: str | None = None,
    root: Path = PROJECT_ROOT,
) -> RetentionReport:
    """Remove what has outlived its period. Idempotent: a second run finds nothing.

    Flushes the ticket database only; the caller commits. The tracker store and the
    log files are separate stores and are purged at once.
    """
    cutoffs = Cutoffs.at(now, config)
    local_now = clock.to_local(now)

    ids = (await session.scalars(_expired_tickets(cutoffs.tickets))).all()
    tickets = (
        await session.scalars(
            select(Ticket)
            .options(selectinload(Ticket.events), selectinload(Ticket.attachments))
            # Checked again under the lock: a second bot process purging at the same
            # moment finds them already anonymised and leaves them alone.
            .where(Ticket.id.in_(ids), Ticket.anonymised_at.is_(None))
            .with_for_update()
        )
    ).all()
    for ticket in tickets:
        _anonymise(session, ticket, now=local_now)
    if tickets:
        # Their delivery records name the resident's chat: after the period only the
        # statistics stay, as the notice says.
        await session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.ticket_id.in_([t.id for t in tickets]),
                OutboxMessage.status.in_(SETTLED_OUTBOX),
            )
        )

    outbox = await session.execute(
        update(OutboxMessage)
        .where(*_expired_outbox(cutoffs.outbox))
        .values(text=None, file_id=None, reply_markup=None)
        .returning(OutboxMessage.id)
    )
    outbox_count = len(outbox.all())
    questions = await session.execute(
        delete(UnansweredQuestion)
        .where(UnansweredQuestion.at < cutoffs.unanswered)
        .returning(UnansweredQuestion.id)
    )
    questions_count = len(questions.all())
    links_count = await web_sessions.purge_spent_links(session=session, now=now)
    web_lines = await session.execute(
        delete(WebChatMessage)
        .where(WebChatMessage.at < cutoffs.conversation)
        .returning(WebChatMessage.id)
    )
    web_count = len(web_lines.all())
    await session.flush()

    conversation = web_count + await _tracker_events(
        tracker_store_url, cutoffs.conversation, purge=True
    )
    old_logs = await asyncio.to_thread(_old_log_files, _log_directory(config, root), cutoffs.logs)
    removed_logs = 0
    for path in old_logs:
        try:
            await asyncio.to_thread(path.unlink)
            removed_logs += 1
        except OSError as error:
            logger.warning("retention: could not remove a log file: %s", error.strerror)
    return RetentionReport(
        conversation_events=conversation,
        outbox_messages=outbox_count,
        tickets=len(tickets),
        unanswered_questions=questions_count,
        log_files=removed_logs,
        sign_in_links=links_count,
    )


# --- daily run in the bot ----------------------------------------------------------


def retention_due(now: datetime, config: RetentionConfig, last_run: date | None) -> bool:
    """Once a commune day, from `daily_at` (commune time) on."""
    local = clock.to_local(now)
    return local.time() >= config.daily_at and last_run != local.date()


async def run_retention_and_commit(
    *,
    sessions: async_sessionmaker[AsyncSession],
    config: RetentionConfig,
    tracker_store_url: str | None,
    now: datetime | None = None,
    root: Path = PROJECT_ROOT,
    photos: PhotoStore | None = None,
) -> RetentionReport:
    now = now or clock.now()
    async with unit_of_work(sessions) as session:
        report = await apply(session, now, config, tracker_store_url=tracker_store_url, root=root)
    if photos is not None:
        async with sessions() as session:
            swept = await sweep_unattached(session=session, store=photos, now=now)
        logger.info("retention: %s photos no ticket took", swept)
    # Counts only: nothing personal in the log.
    logger.info(
        "retention: %s conversation events, %s message texts, %s tickets anonymised, "
        "%s unanswered questions, %s log files",
        report.conversation_events,
        report.outbox_messages,
        report.tickets,
        report.unanswered_questions,
        report.log_files,
    )
    return report


class DailyRetention:
    """The bot's daily purge: `run_retention_and_commit` once a commune day, from `daily_at`.

    The bot's JobQueue calls it at `daily_at` and once at start-up (bot/daily_jobs.py);
    the day of the last run keeps the two from purging twice the same day. Run by every
    bot process; a second run the same day finds nothing.
    """

    def __init__(
        self,
        config: RetentionConfig,
        tracker_store_url: str | None,
        photos: PhotoStore | None = None,
    ) -> None:
        self._config = config
        self._photos = photos
        self._tracker_store_url = tracker_store_url
        self._last_run: date | None = None

    async def __call__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        now = clock.now()
        if not retention_due(now, self._config, self._last_run):
            return
        # Marked first: a failing purge is logged by the job and tried again tomorrow (or
        # at the next start-up), not again by this process today.
        self._last_run = now.date()
        await run_retention_and_commit(
            sessions=sessions,
            config=self._config,
            tracker_store_url=self._tracker_store_url,
            now=now,
            photos=self._photos,
        )

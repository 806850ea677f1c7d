"""Delivers the outbox from inside the bot process, with retries and backoff.

One loop: claim due rows (committed), send each, settle it at once (sent / retry later /
failed for good). A restart picks up whatever is still pending; a row caught mid-request
by a crash is never resent blindly (see services.outbox.expire_stale_claims).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from db.models import Office, OutboxMessage, OutboxStatus, Ticket, TicketEvent
from services import outbox
from services.notifications import resident_chat
from services.tickets import VIETNAM

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DispatchSettings:
    poll_interval: float = 1.0
    batch_size: int = 20
    backoff_base: float = 1.0
    backoff_max: float = 300.0
    # Transient failures before giving up (about a day with the 5-minute cap).
    max_attempts: int = 300
    # A claim older than this is treated as interrupted (requests time out well before).
    lease: timedelta = timedelta(minutes=2)
    read_timeout: float = 20.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DispatchSettings:
        """Tuning knobs for operators and tests (OUTBOX_POLL_SECONDS, ...)."""
        default = cls()
        return cls(
            poll_interval=float(env.get("OUTBOX_POLL_SECONDS", default.poll_interval)),
            backoff_base=float(env.get("OUTBOX_BACKOFF_BASE_SECONDS", default.backoff_base)),
            backoff_max=float(env.get("OUTBOX_BACKOFF_MAX_SECONDS", default.backoff_max)),
        )


@dataclass(frozen=True)
class Outcome:
    kind: str  # sent | retry | failed | unknown
    message_id: int | None = None
    delay: float = 0.0
    error: str = ""
    new_chat_id: int | None = None
    count_attempt: bool = True
    flood: bool = False  # 429: the whole bot must wait


def _seconds(value: object) -> float:
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)  # type: ignore[arg-type]


def classify(error: TelegramError) -> Outcome:
    """What a Telegram error means for a message that was not (knowingly) delivered."""
    if isinstance(error, RetryAfter):
        return Outcome("retry", delay=_seconds(error.retry_after), error=str(error), flood=True)
    if isinstance(error, ChatMigrated):
        # A group upgraded to a supergroup: same people, new id.
        return Outcome(
            "retry", new_chat_id=int(error.new_chat_id), error=str(error), count_attempt=False
        )
    if isinstance(error, Forbidden):
        return Outcome("failed", error=f"bị chặn hoặc không còn trong nhóm: {error.message}")
    if isinstance(error, BadRequest):
        return Outcome("failed", error=f"Telegram từ chối: {error.message}")
    if isinstance(error, TimedOut):
        cause = error.__cause__
        if isinstance(cause, (httpx.ConnectTimeout, httpx.PoolTimeout)) or "Pool timeout" in str(
            error
        ):
            return Outcome("retry", error=f"hết thời gian kết nối: {error}")
        # The request reached Telegram and the answer did not come back: it may have
        # been delivered, and there is no idempotency key to ask. Not resent.
        return Outcome("unknown", error=f"không nhận được phản hồi: {error}")
    if isinstance(error, NetworkError):
        # Connection refused/reset and 5xx answers: nothing was delivered.
        return Outcome("retry", error=f"lỗi mạng hoặc máy chủ Telegram: {error.message}")
    return Outcome("retry", error=f"lỗi Telegram: {error}")


PeriodicTask = Callable[[async_sessionmaker[AsyncSession]], Awaitable[None]]


class OutboxDispatcher:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        bot: Bot,
        settings: DispatchSettings | None = None,
        periodic: list[tuple[float, PeriodicTask]] | None = None,
    ) -> None:
        self._sessions = sessions
        self._bot = bot
        self._settings = settings or DispatchSettings()
        self._periodic = [(every, task, [0.0]) for every, task in periodic or []]
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._paused_until = 0.0  # flood control: Telegram asked the whole bot to wait

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="outbox-dispatcher")

    def wake(self) -> None:
        """Something was just committed: do not wait for the next poll."""
        self._wake.set()

    async def stop(self, timeout: float = 30.0) -> None:
        """Finish the message in flight (so it is settled, not left 'sending'), then stop."""
        if self._task is None:
            return
        self._stopping.set()
        self._wake.set()
        try:
            await asyncio.wait_for(self._task, timeout)
        except asyncio.TimeoutError:
            logger.warning("outbox dispatcher did not stop in %ss; cancelled", timeout)
        self._task = None

    async def _run(self) -> None:
        logger.info("outbox dispatcher started")
        while not self._stopping.is_set():
            try:
                await self._run_periodic()
                busy = await self.run_once()
            except Exception:
                # The database may be briefly unavailable; keep the loop alive.
                logger.exception("outbox dispatcher cycle failed")
                busy = 0
            if busy or self._stopping.is_set():
                continue
            self._wake.clear()
            wait = max(self._settings.poll_interval, self._paused_until - time.monotonic())
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)
        logger.info("outbox dispatcher stopped")

    async def _run_periodic(self) -> None:
        for every, task, last in self._periodic:
            if time.monotonic() - last[0] >= every:
                last[0] = time.monotonic()
                try:
                    await task(self._sessions)
                except Exception:
                    logger.exception("periodic task %s failed", getattr(task, "__name__", task))

    async def run_once(self, now: datetime | None = None) -> int:
        """One claim-and-send cycle; returns how many rows were attempted."""
        if time.monotonic() < self._paused_until:
            return 0
        async with self._sessions() as session:
            stale = await outbox.expire_stale_claims(
                session=session, lease=self._settings.lease, now=now
            )
            for row in stale:
                logger.error("outbox message %s interrupted mid-send: marked unknown", row.id)
                await self._record_failure(session, row, outbox.INTERRUPTED)
            await session.commit()
            rows = await outbox.claim_batch(
                session=session, limit=self._settings.batch_size, now=now
            )
        attempted = 0
        try:
            for row in rows:
                if self._stopping.is_set() or time.monotonic() < self._paused_until:
                    break
                attempted += 1
                async with self._sessions() as session:
                    await self._deliver(session, row)
        finally:
            # Claims never attempted (stopping, a flood pause, or a database error just
            # now) go back to pending: they were certainly not sent.
            await self._release(rows[attempted:])
        return attempted

    async def _release(self, rows: list[OutboxMessage]) -> None:
        if not rows:
            return
        try:
            async with self._sessions() as session:
                for row in rows:
                    await outbox.release(session=session, row=row)
        except Exception:
            # They stay "sending" and are reported as unknown after the lease.
            logger.exception("could not release %d outbox claims", len(rows))

    async def _send(self, row: OutboxMessage) -> Message | None:
        if row.method == outbox.DELETE_METHOD:
            # A card about a resident who erased their data (services.privacy).
            await self._bot.delete_message(
                row.chat_id, row.telegram_message_id or 0, read_timeout=self._settings.read_timeout
            )
            return None
        markup = (
            InlineKeyboardMarkup.de_json(json.loads(row.reply_markup), self._bot)
            if row.reply_markup
            else None
        )
        timeout = self._settings.read_timeout
        if row.method == "sendPhoto":
            return await self._bot.send_photo(
                row.chat_id, row.file_id or "", caption=row.text, reply_markup=markup,
                read_timeout=timeout,
            )  # fmt: skip
        if row.method == "sendDocument":
            return await self._bot.send_document(
                row.chat_id, row.file_id or "", caption=row.text, reply_markup=markup,
                read_timeout=timeout,
            )  # fmt: skip
        return await self._bot.send_message(
            row.chat_id, row.text or "", reply_markup=markup, read_timeout=timeout
        )

    def _backoff(self, attempts: int) -> float:
        delay: float = min(self._settings.backoff_base * 2.0**attempts, self._settings.backoff_max)
        return delay * random.uniform(0.8, 1.2)

    async def _deliver(self, session: AsyncSession, row: OutboxMessage) -> None:
        try:
            sent = await self._send(row)
        except TelegramError as error:
            outcome = classify(error)
        except Exception as error:  # a bug or an unexpected client failure: retry later
            logger.exception("outbox message %s: unexpected error", row.id)
            outcome = Outcome("retry", error=f"lỗi không xác định: {error!r}")
        else:
            await outbox.mark_sent(
                session=session,
                row=row,
                telegram_message_id=row.telegram_message_id if sent is None else sent.message_id,
            )
            logger.info("outbox message %s (%s) sent to %s", row.id, row.purpose, row.chat_id)
            return
        if outcome.kind == "retry" and row.attempts + 1 >= self._settings.max_attempts:
            outcome = Outcome("failed", error=f"hết số lần thử: {outcome.error}")
        if outcome.kind == "retry":
            delay = outcome.delay if outcome.delay else self._backoff(row.attempts)
            if outcome.flood:
                # 429 is flood control for the whole bot, not only this chat.
                self._paused_until = max(self._paused_until, time.monotonic() + outcome.delay)
            await outbox.mark_retry(
                session=session,
                row=row,
                delay=timedelta(seconds=delay),
                error=outcome.error,
                chat_id=outcome.new_chat_id,
                count_attempt=outcome.count_attempt,
            )
            logger.warning(
                "outbox message %s to %s: retry in %.1fs (%s)",
                row.id, row.chat_id, delay, outcome.error,
            )  # fmt: skip
            return
        status = OutboxStatus.FAILED if outcome.kind == "failed" else OutboxStatus.UNKNOWN
        await outbox.mark_failed(session=session, row=row, error=outcome.error, status=status)
        logger.error("outbox message %s to %s %s: %s", row.id, row.chat_id, status, outcome.error)
        await self._record_failure(session, row, outcome.error)
        await session.commit()

    async def _record_failure(self, session: AsyncSession, row: OutboxMessage, error: str) -> None:
        """Staff see a failed message in the ticket's history and in their group."""
        if row.ticket_id is None:
            return
        ticket = await session.scalar(select(Ticket).where(Ticket.id == row.ticket_id))
        if ticket is None:
            return
        to_resident = resident_chat(ticket) == row.chat_id
        who = "người gửi" if to_resident else f"nhóm {row.chat_id}"
        note = f"Không gửi được tin nhắn #{row.id} ({row.purpose}) cho {who}: {error}"
        session.add(
            TicketEvent(
                ticket_id=ticket.id,
                at=datetime.now(VIETNAM),
                actor="system:outbox",
                from_state=ticket.state,
                to_state=ticket.state,
                note=note,
            )
        )
        await session.flush()
        if to_resident:
            office = await session.get(Office, ticket.office_id)
            group = office.staff_chat_id if office is not None else None
            if group is not None and group != row.chat_id:
                await outbox.enqueue(
                    session=session,
                    chat_id=group,
                    purpose="delivery_failed",
                    text=f"⚠ {note}",
                    ticket_id=ticket.id,
                )

"""Delivers the outbox with retries and backoff: Telegram's rows from inside the bot
process (OutboxDispatcher), Zalo's from the Zalo process (zalo/dispatcher.py), each
claiming only its channel's rows.

One loop: claim due rows (committed), renew the claim and send each through the
channel's one sending path (bot.sender, zalo.sender), settle it at once (sent / retry
later / failed for good / unknown). A restart picks up whatever is still pending; a row
caught mid-request by a crash, or whose answer was lost after the request was written,
is never resent blindly (see services.outbox.expire_stale_claims_and_commit): staff are
told and decide.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, InlineKeyboardMarkup

from bot.sender import Outcome, Outgoing, Sender, backoff, classify
from db.models import OutboxMessage, OutboxStatus
from db.session import unit_of_work
from laikhe import clock
from services import delivery, outbox

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DispatchSettings:
    poll_interval: float = 1.0
    batch_size: int = 20
    backoff_base: float = 1.0
    backoff_max: float = 300.0
    # Transient failures before giving up (about a day with the 5-minute cap).
    max_attempts: int = 300
    # A claim not renewed for this long is treated as interrupted. The claimant renews
    # its batch before each send, so only one request must fit: 20 s read timeout plus
    # connect/write/pool timeouts (5 s each by default) stay well within it.
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


__all__ = ["BaseOutboxDispatcher", "DispatchSettings", "OutboxDispatcher", "Outcome", "classify"]


class BaseOutboxDispatcher(ABC):
    """The claim / send / settle loop for one channel's rows; a channel says how a row is
    sent (`_send`) and how long its platform asked everyone to wait (`flood_wait`)."""

    channel: ClassVar[str]

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: DispatchSettings | None = None,
        leaders_chat_id: int | None = None,
    ) -> None:
        self._sessions = sessions
        self._settings = settings or DispatchSettings()
        self._leaders_chat_id = leaders_chat_id
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    @abstractmethod
    def flood_wait(self) -> float:
        """Seconds left of a pause the platform asked of the whole bot."""

    @abstractmethod
    async def _send(self, row: OutboxMessage) -> Outcome:
        """One try at the row's message, in its chat's turn (`busy` when the turn is taken)."""

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
                busy = await self.run_once()
            except Exception:
                # The database may be briefly unavailable; keep the loop alive.
                logger.exception("outbox dispatcher cycle failed")
                busy = 0
            if busy or self._stopping.is_set():
                continue
            self._wake.clear()
            wait = max(self._settings.poll_interval, self.flood_wait)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)
        logger.info("outbox dispatcher stopped")

    async def run_once(self, now: datetime | None = None) -> int:
        """One claim-and-send cycle; returns how many rows were attempted."""
        if self.flood_wait > 0:
            return 0
        async with unit_of_work(self._sessions) as session:
            stale = await outbox.expire_stale_claims_and_commit(
                session=session, lease=self._settings.lease, now=now, channel=self.channel
            )
            for row in stale:
                logger.error("outbox message %s interrupted mid-send: marked unknown", row.id)
                await self._record_failure(session, row, outbox.INTERRUPTED, unknown=True)
        async with unit_of_work(self._sessions) as session:
            rows = await outbox.claim_batch_and_commit(
                session=session, limit=self._settings.batch_size, now=now, channel=self.channel
            )
        attempted = 0
        try:
            for row in rows:
                if self._stopping.is_set() or self.flood_wait > 0:
                    break
                attempted += 1
                async with unit_of_work(self._sessions) as session:
                    # Right before the request: the batch's lease is renewed, and a row
                    # this dispatcher no longer owns (its lease ran out while it was
                    # stalled, so another one marked it unknown) is not sent.
                    if not await outbox.renew_claim_and_commit(session=session, row=row, now=now):
                        logger.warning("outbox message %s: claim lost, not sent", row.id)
                        continue
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
            async with unit_of_work(self._sessions) as session:
                for row in rows:
                    await outbox.release_and_commit(session=session, row=row)
        except Exception:
            # They stay "sending" and are reported as unknown after the lease.
            logger.exception("could not release %d outbox claims", len(rows))

    async def _deliver(self, session: AsyncSession, row: OutboxMessage) -> None:
        # A conversation reply being retried in the same chat keeps its turn: this row
        # waits (unattempted, `busy`) instead of the whole outbox waiting behind it.
        outcome = await self._send(row)
        if outcome.kind == "sent":
            # A deleted card keeps the id of the message it removed.
            message_id = (
                row.telegram_message_id if outcome.message_id is None else outcome.message_id
            )
            await outbox.mark_sent_and_commit(
                session=session, row=row, telegram_message_id=message_id
            )
            logger.info("outbox message %s (%s) sent", row.id, row.purpose)
            return
        if outcome.kind == "busy":
            delay = max(self._settings.poll_interval, self.flood_wait)
            await outbox.mark_retry_and_commit(
                session=session,
                row=row,
                delay=timedelta(seconds=delay),
                error=outcome.error,
                count_attempt=False,
            )
            return
        if outcome.kind == "retry" and row.attempts + 1 >= self._settings.max_attempts:
            outcome = Outcome("failed", error=f"hết số lần thử: {outcome.error}")
        if outcome.kind == "retry":
            delay = outcome.delay or backoff(
                row.attempts, self._settings.backoff_base, self._settings.backoff_max
            )
            await outbox.mark_retry_and_commit(
                session=session,
                row=row,
                delay=timedelta(seconds=delay),
                error=outcome.error,
                chat_id=outcome.new_chat_id,
                count_attempt=outcome.count_attempt,
            )
            logger.warning("outbox message %s: retry in %.1fs (%s)", row.id, delay, outcome.error)
            return
        unknown = outcome.kind == "unknown"
        status = OutboxStatus.UNKNOWN if unknown else OutboxStatus.FAILED
        if not await outbox.mark_failed_and_commit(
            session=session, row=row, error=outcome.error, status=status
        ):
            return
        logger.error("outbox message %s %s: %s", row.id, status.value, outcome.error)
        await self._record_failure(session, row, outcome.error, unknown=unknown)

    async def _record_failure(
        self, session: AsyncSession, row: OutboxMessage, error: str, *, unknown: bool
    ) -> None:
        await delivery.record_failure(
            session,
            row,
            error,
            unknown=unknown,
            leaders_chat_id=self._leaders_chat_id,
            now=clock.now(),
        )


class OutboxDispatcher(BaseOutboxDispatcher):
    """Telegram's rows, sent through the bot's Sender."""

    channel: ClassVar[str] = outbox.TELEGRAM

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        bot: Bot | Sender,
        settings: DispatchSettings | None = None,
        leaders_chat_id: int | None = None,
    ) -> None:
        super().__init__(sessions, settings, leaders_chat_id)
        # The bot process passes the Sender its conversation replies use, so both keep
        # one order per chat and one flood pause.
        timeout = self._settings.read_timeout
        self._sender = bot if isinstance(bot, Sender) else Sender(bot, read_timeout=timeout)

    @property
    def flood_wait(self) -> float:
        return self._sender.flood_wait

    def _outgoing(self, row: OutboxMessage) -> Outgoing:
        if row.chat_id is None:
            raise ValueError("a Telegram row without a chat id")
        if row.method == outbox.DELETE_METHOD:
            # A card about a resident who erased their data (services.privacy).
            return Outgoing(
                chat_id=row.chat_id, method=row.method, message_id=row.telegram_message_id or 0
            )
        markup = (
            InlineKeyboardMarkup.de_json(json.loads(row.reply_markup), self._sender.bot)
            if row.reply_markup
            else None
        )
        return Outgoing(
            chat_id=row.chat_id,
            text=row.text,
            method=row.method,
            file_id=row.file_id,
            reply_markup=markup,
        )

    async def _send(self, row: OutboxMessage) -> Outcome:
        try:
            outgoing = self._outgoing(row)
        except Exception as error:  # a stored keyboard that does not parse: a bug
            logger.exception("outbox message %s: cannot be built", row.id)
            return Outcome("failed", error=f"tin nhắn hỏng: {type(error).__name__}")
        outcome, _ = await self._sender.attempt(outgoing, wait=False)
        return outcome

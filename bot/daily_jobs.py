"""The bot's scheduled work on python-telegram-bot's JobQueue: the working-morning digest
and the retention purge, each once a day at its time in the commune's time zone.

The job fires every day; whether today is a working day is decided by
services.digest.digest_due (holidays, days off, make-up Saturdays), not by the
scheduler's weekdays. Each job also runs once at start-up, so a bot (re)started after
the hour still sends that morning's digest and runs that night's purge, as before. A
second run is harmless: the digest's per-day dedupe keys and the purge finding nothing
keep each day's work once, across restarts and bot processes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any, Final

from telegram.ext import JobQueue

from bot.context import BotContext, StaffContext
from db.session import unit_of_work
from services import photo_store
from services.digest import DIGEST_TIME, queue_digest_if_due
from services.retention import DailyRetention

logger = logging.getLogger(__name__)

DIGEST_JOB: Final = "digest"
RETENTION_JOB: Final = "retention"
STARTUP_JOB: Final = "digest-and-retention-at-startup"
# A digest that could not be queued (the database briefly away at 07:00) is tried again
# this often until it is, or until the day is over.
DIGEST_RETRY_SECONDS: Final = 60.0
# APScheduler drops a run more than 1 s late by default; a busy event loop at 07:00 would
# lose the day's digest. Late is fine: the decision is made when the job runs.
RUN_EVEN_IF_LATE: Final[dict[str, Any]] = {"misfire_grace_time": None}


def schedule_daily_work(
    job_queue: JobQueue[BotContext],
    staff: StaffContext,
    tracker_store_url: str,
    zone: tzinfo,
    clock: Callable[[], datetime] | None = None,
) -> None:
    """Add the daily jobs; `clock` (commune time by default) is for tests."""
    now = clock or (lambda: datetime.now(zone))
    leaders_chat_id = staff.commune.commune.leaders_chat_id
    purge = DailyRetention(staff.commune.retention, tracker_store_url, photo_store.configured())

    async def digest(context: BotContext) -> None:
        try:
            async with unit_of_work(staff.sessions) as session:
                queued = await queue_digest_if_due(
                    session=session, leaders_chat_id=leaders_chat_id, now=now()
                )
        except Exception:
            logger.exception("daily digest failed; trying again in %ss", DIGEST_RETRY_SECONDS)
            job_queue.run_once(digest, DIGEST_RETRY_SECONDS, name=DIGEST_JOB)
            return
        if queued is not None:
            context.bot_data.wake_dispatcher()  # sent now, not at the next poll

    async def retention(context: BotContext) -> None:
        try:
            await purge(staff.sessions)
        except Exception:
            logger.exception("retention purge failed; tried again tomorrow")

    async def at_startup(context: BotContext) -> None:
        # One after the other, as before: two writers at once on SQLite would wait.
        await digest(context)
        await retention(context)

    job_queue.run_daily(
        digest, DIGEST_TIME.replace(tzinfo=zone), name=DIGEST_JOB, job_kwargs=RUN_EVEN_IF_LATE
    )
    job_queue.run_daily(
        retention,
        staff.commune.retention.daily_at.replace(tzinfo=zone),
        name=RETENTION_JOB,
        job_kwargs=RUN_EVEN_IF_LATE,
    )
    job_queue.run_once(at_startup, 0, name=STARTUP_JOB)

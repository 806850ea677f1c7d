"""The bot's daily jobs on python-telegram-bot's JobQueue: when they fire, what the digest
job does on a working morning and a day off, and that a failed digest is tried again."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from telegram.ext import ApplicationBuilder, JobQueue

from bot.context import CONTEXT_TYPES, BotApplication, BotContext, StaffContext
from bot.daily_jobs import (
    DIGEST_JOB,
    DIGEST_RETRY_SECONDS,
    RETENTION_JOB,
    STARTUP_JOB,
    schedule_daily_work,
)
from db.models import OutboxMessage
from laikhe.clock import commune_zone
from laikhe.commune import CommuneConfig
from services.calendar import add_working_days
from tests.integration.staff_helpers import KT_GROUP, Sessions, configure_groups, outbox_rows
from tests.integration.ticket_helpers import T0, load, new_ticket

COMMUNE_ZONE = commune_zone()


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Dispatcher:
    """Stands for the outbox dispatcher: counts the wake-ups."""

    def __init__(self) -> None:
        self.woken = 0

    def wake(self) -> None:
        self.woken += 1


def application() -> BotApplication:
    return (
        ApplicationBuilder()
        .token("1:JOBS")
        .context_types(CONTEXT_TYPES)
        .job_queue(JobQueue[BotContext]())
        .build()
    )


def fire_time(app: BotApplication, name: str, after: datetime) -> datetime:
    assert app.job_queue is not None
    (job,) = app.job_queue.get_jobs_by_name(name)
    fire: datetime = job.job.trigger.get_next_fire_time(None, after)
    return fire


async def test_the_digest_and_the_purge_fire_every_day_at_their_time_in_the_commune_zone(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    app = application()
    assert app.job_queue is not None
    schedule_daily_work(app.job_queue, StaffContext(sessions, commune), "", COMMUNE_ZONE)
    # 18:00 UTC on Friday 06/02/2026 is 01:00 on Saturday in the commune.
    friday_night = datetime(2026, 2, 6, 18, 0, tzinfo=timezone.utc)
    # The job fires on a Saturday too: the decision (digest_due), not the scheduler,
    # skips days off, so a make-up Saturday gets its digest.
    digest = fire_time(app, DIGEST_JOB, friday_night)
    assert digest == datetime(2026, 2, 7, 7, 0, tzinfo=COMMUNE_ZONE)
    assert fire_time(app, DIGEST_JOB, digest + timedelta(seconds=1)) == datetime(
        2026, 2, 8, 7, 0, tzinfo=COMMUNE_ZONE
    )
    purge = fire_time(app, RETENTION_JOB, friday_night)
    assert purge == datetime(2026, 2, 7, 2, 30, tzinfo=COMMUNE_ZONE)  # retention.daily_at
    assert commune.retention.daily_at == time(2, 30)
    for name in (DIGEST_JOB, RETENTION_JOB):
        (job,) = app.job_queue.get_jobs_by_name(name)
        # Late (a busy event loop) still runs; unset, APScheduler's default drops a run
        # more than 1 s late.
        assert getattr(job.job, "misfire_grace_time", 1) is None
    # And once at start-up, for a bot started after the hour.
    assert len(app.job_queue.get_jobs_by_name(STARTUP_JOB)) == 1


async def run_job(app: BotApplication, name: str) -> None:
    assert app.job_queue is not None
    (job,) = app.job_queue.get_jobs_by_name(name)
    await job.run(app)


async def digests(sessions: Sessions) -> list[OutboxMessage]:
    return [r for r in await outbox_rows(sessions, KT_GROUP) if r.purpose == "digest"]


async def test_the_digest_job_queues_on_a_working_morning_only_and_once(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    await configure_groups(sessions)
    code = await new_ticket(sessions, commune, at=T0)
    due = (await load(sessions, code))[0].due_date
    app = application()
    assert app.job_queue is not None
    dispatcher = Dispatcher()
    app.bot_data.dispatcher = dispatcher  # type: ignore[assignment]
    saturday = date(2026, 2, 28)
    assert saturday.weekday() == 5 and saturday >= due
    clock = Clock(datetime.combine(saturday, time(7, 0), tzinfo=COMMUNE_ZONE))
    schedule_daily_work(
        app.job_queue, StaffContext(sessions, commune), "", COMMUNE_ZONE, clock=clock
    )

    await run_job(app, DIGEST_JOB)  # a day off: nothing
    assert await digests(sessions) == [] and dispatcher.woken == 0

    clock.now = datetime.combine(add_working_days(due, 1), time(7, 0), tzinfo=COMMUNE_ZONE)
    await run_job(app, DIGEST_JOB)
    (digest,) = await digests(sessions)
    assert code in (digest.text or "")
    assert dispatcher.woken == 1  # sent at once, not at the next poll

    # The start-up run the same morning (a restart) queues nothing more.
    clock.now += timedelta(hours=2)
    await run_job(app, STARTUP_JOB)
    assert [r.id for r in await digests(sessions)] == [digest.id]


async def test_a_digest_that_failed_is_tried_again_a_minute_later(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    def unavailable(*_: Any, **__: Any) -> Any:
        raise ConnectionError("database away")

    app = application()
    assert app.job_queue is not None
    monday = datetime(2026, 2, 9, 7, 0, tzinfo=COMMUNE_ZONE)
    schedule_daily_work(
        app.job_queue,
        StaffContext(unavailable, commune),  # type: ignore[arg-type]
        "",
        COMMUNE_ZONE,
        clock=Clock(monday),
    )
    (daily,) = app.job_queue.get_jobs_by_name(DIGEST_JOB)
    await daily.run(app)
    retries = [j for j in app.job_queue.get_jobs_by_name(DIGEST_JOB) if j is not daily]
    assert len(retries) == 1
    wait = retries[0].job.trigger.run_date - datetime.now(timezone.utc)
    assert timedelta(0) < wait <= timedelta(seconds=DIGEST_RETRY_SECONDS)

"""python -m bench.dashboard_timing [--tickets 100000] [--sqlite]

How long the overview page's figures (services/dashboard.dashboard_figures) take on a
large ticket table: a throw-away database (PostgreSQL on TEST_PG_ADMIN_DSN's server by
default, or SQLite) migrated and loaded with the commune configuration, N tickets spread
over two years with their history (received; most answered, many closed), then the
commune-wide and one office's figures for the default 26 weeks, 5 runs each. Prints the
median and the slowest run in milliseconds. A benchmark, not a test.

On 02/12/2026, PostgreSQL 100,000 tickets, a 2-core machine shared with other work (load
average 4-5): commune-wide, last 26 weeks, median 311 ms (slowest 426 ms); one office
194 ms (369 ms); commune-wide, the 26 weeks before (state at the cut-off read from the
history) 336 ms (397 ms). SQLite, with the covering indexes of migration 398111ce9fc4,
load 3: 251 ms (259 ms), 218 ms (221 ms), 497 ms (722 ms); see docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import insert, select, text

from admin.database import prepare
from db.models import Office, Ticket, TicketEvent, TicketKind, TicketState, Village
from db.session import sessionmaker_for
from laikhe import clock
from laikhe.settings import get_settings
from reports.periods import Period
from services.dashboard import Scope, dashboard_figures, default_period

PG_ADMIN_DSN = os.environ.get("TEST_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
BATCH = 5000


async def _fill(database_url: str, tickets: int) -> None:
    sessions = sessionmaker_for(database_url)
    rng = random.Random(57)
    now = clock.now()
    try:
        async with sessions() as session:
            offices = list((await session.scalars(select(Office.id))).all())
            villages = list((await session.scalars(select(Village.id))).all())
            kinds = list(TicketKind)
            for first in range(0, tickets, BATCH):
                rows: list[dict[str, Any]] = []
                histories: list[list[tuple[TicketState, Any]]] = []
                for n in range(first, min(first + BATCH, tickets)):
                    created = now - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
                    history = [(TicketState.NEW, created)]
                    if rng.random() < 0.8:
                        history.append(
                            (TicketState.ANSWERED, created + timedelta(days=rng.randrange(1, 25)))
                        )
                        if rng.random() < 0.6:
                            history.append((TicketState.CLOSED, history[-1][1] + timedelta(days=1)))
                    history = [(state, at) for state, at in history if at < now]
                    state, updated = history[-1]
                    kind = rng.choice(kinds)
                    rows.append(
                        {
                            # Ids given here: a fresh table, and no RETURNING round trip.
                            "id": n + 1,
                            "code": f"BENCH-{n:07d}",
                            "kind": kind,
                            "state": state,
                            "office_id": rng.choice(offices),
                            "village_id": rng.choice([*villages, None]),
                            "content": "Nội dung thử",
                            "confidential": kind is TicketKind.KHIEU_NAI_TO_CAO,
                            "anonymous": False,
                            "channel": "telegram",
                            "created_at": created,
                            "updated_at": updated,
                            "due_date": (created + timedelta(days=14)).date(),
                            "closed_at": updated if state is TicketState.CLOSED else None,
                            "satisfaction": rng.randint(1, 5)
                            if state is TicketState.CLOSED and rng.random() < 0.5
                            else None,
                        }
                    )
                    histories.append(history)
                ids = [row["id"] for row in rows]
                events = [
                    {"ticket_id": ticket_id, "at": at, "actor": "system:bench", "to_state": state}
                    for ticket_id, history in zip(ids, histories, strict=True)
                    for state, at in history
                ]
                await session.execute(insert(Ticket), rows)
                await session.execute(insert(TicketEvent), events)
                await session.commit()
        # Fresh planner statistics, as autovacuum keeps them on a running server.
        async with sessions() as session:
            await session.execute(text("ANALYZE"))
            await session.commit()
    finally:
        await sessions.kw["bind"].dispose()


async def _time(database_url: str, runs: int) -> dict[str, list[float]]:
    sessions = sessionmaker_for(database_url)
    period = default_period(clock.today())
    timings: dict[str, list[float]] = {}
    try:
        async with sessions() as session:
            office = await session.scalar(select(Office.id).where(Office.code == "KT"))
        # A past period reads the state at its end from the history (the slower path).
        past = Period(period.start - timedelta(weeks=26), period.start - timedelta(days=1))
        for name, scope, when in (
            ("toàn xã, 26 tuần gần nhất", Scope(None), period),
            ("một đơn vị (KT), 26 tuần gần nhất", Scope(office), period),
            ("toàn xã, 26 tuần trước đó", Scope(None), past),
        ):
            for _ in range(runs + 1):  # the first run warms the caches; not counted
                async with sessions() as session:
                    began = time.perf_counter()
                    await dashboard_figures(
                        session=session, scope=scope, period=when, now=clock.now()
                    )
                    timings.setdefault(name, []).append((time.perf_counter() - began) * 1000)
            timings[name] = timings[name][1:]
    finally:
        await sessions.kw["bind"].dispose()
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard_timing")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the database; print its URL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        name = f"laikhe_bench_{uuid.uuid4().hex[:12]}"
        if args.sqlite:
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
        else:
            with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            url = PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"
        try:
            prepare(url, get_settings().commune_config)
            began = time.perf_counter()
            asyncio.run(_fill(url, args.tickets))
            print(f"{args.tickets} tickets written in {time.perf_counter() - began:.0f} s")
            for scope, values in asyncio.run(_time(url, args.runs)).items():
                print(
                    f"{scope}: median {statistics.median(values):.0f} ms, "
                    f"slowest {max(values):.0f} ms ({len(values)} runs)"
                )
        finally:
            if args.keep:
                print(url)
            elif not args.sqlite:
                with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

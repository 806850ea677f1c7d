"""`make bench-back-office`: the back office queue and search pages on 100,000 tickets.

A benchmark, not a test. Seeds demo tickets (testkit.demo_data, the bulk path) into a
SQLite file and into a temporary PostgreSQL database on 127.0.0.1:5432 (created and
dropped here), signs in through a real one-time link and times whole requests through
the real Starlette app (TestClient: routing, session cookie, the queries, the template;
a search is posted once, as the form does, then the queue page showing it is timed).
Prints a Markdown table of p50 / p95 per page; on PostgreSQL the search cases are timed
again without the trigram index, to show what it buys. The machine is shared: numbers
are contended ones, and the load average is printed with them.

    .venv/app/bin/python -m bench.back_office [--tickets 100000] [--runs 30] [--only sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import psycopg
from sqlalchemy import select, text
from starlette.testclient import TestClient

from admin.database import prepare
from db.models import StaffMember
from db.session import sessionmaker_for, unit_of_work
from laikhe.clock import commune_zone
from laikhe.commune import load_commune_config
from laikhe.settings import Settings
from services.web_sessions import create_sign_in_link
from testkit import demo_data
from web.app import create_app

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_DSN = os.environ.get("BENCH_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=commune_zone())
SECRET = "bench-only-" + "k" * 40
LEADER = demo_data.DEMO_STAFF_BASE + 1
# The first officer of KT, the fourth office in config/commune.yml (demo_data._demo_staff).
OFFICER = demo_data.DEMO_STAFF_BASE + 41
CASES: tuple[tuple[str, int, dict[str, str]], ...] = (
    ("queue, first page", OFFICER, {}),
    ("queue, first page (commune-wide)", LEADER, {}),
    ("queue, page 200 (commune-wide)", LEADER, {"trang": "200"}),
    ("open + overdue, due soonest", OFFICER,
     {"trang_thai": "dang_xu_ly", "qua_han": "1", "sap_xep": "han_som"}),
    ("village + kind, oldest", LEADER,
     {"thon": "THON-MAU-2", "loai": "phan_anh", "sap_xep": "cu_nhat"}),
    ("due within 3 days", LEADER, {"han": "3"}),
    ("search «mat mang» (common)", LEADER, {"tim": "mat mang"}),
    ("search «Bộ chia quang» (answers)", LEADER, {"tim": "Bộ chia quang"}),
    ("search «cáp quang» + finished (office)", OFFICER,
     {"tim": "cáp quang", "trang_thai": "da_xong"}),
    ("search, no match", LEADER, {"tim": "khong co tu nay"}),
)  # fmt: skip
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
SEARCH = tuple(case for case in CASES if "tim" in case[2])


def percentile(values: list[float], fraction: float) -> float:
    """Nearest rank, as bench/__main__.py: every reported value was observed."""
    ordered = sorted(values)
    return ordered[max(1, min(len(ordered), round(fraction * len(ordered) + 0.5))) - 1]


async def _seed(url: str, tickets: int) -> tuple[float, int]:
    factory = sessionmaker_for(url)
    started = time.perf_counter()
    try:
        async with unit_of_work(factory) as session:
            summary = await demo_data.fill(
                session,
                load_commune_config(ROOT / "config" / "commune.yml"),
                count=tickets,
                months=6,
                seed=1,
                now=NOW,
            )
        async with unit_of_work(factory) as session:
            await session.execute(text("ANALYZE"))  # planner statistics, as after a day's work
    finally:
        await factory.kw["bind"].dispose()
    return time.perf_counter() - started, summary.events


async def _token(url: str, telegram_user_id: int) -> str:
    factory = sessionmaker_for(url)
    try:
        async with unit_of_work(factory) as session:
            member = await session.scalar(
                select(StaffMember).where(StaffMember.telegram_user_id == telegram_user_id)
            )
            assert member is not None, telegram_user_id
            return await create_sign_in_link(
                session=session, telegram_user_id=telegram_user_id, now=NOW
            )
    finally:
        await factory.kw["bind"].dispose()


def _time_cases(
    url: str, cases: tuple[tuple[str, int, dict[str, str]], ...], runs: int
) -> dict[str, tuple[float, float, int]]:
    """(p50 ms, p95 ms, tickets found) per case, `runs` requests each after 3 warm-ups."""
    results = {}
    # One app (its own engine and pool) per member: asyncpg connections belong to the
    # event loop of the TestClient that opened them.
    for member in (OFFICER, LEADER):
        app = create_app(Settings(database_url=url), secret_key=SECRET, now=lambda: NOW)
        with TestClient(app) as client:
            token = asyncio.run(_token(url, member))
            assert client.post(f"/dang-nhap/{token}", follow_redirects=False).status_code == 303
            for name, who, params in cases:
                if who != member:
                    continue
                # The search words go into the session by the form (never the URL); each
                # timed request is the queue page showing that search.
                filters = {k: v for k, v in params.items() if k != "tim"}
                csrf = CSRF.search(client.get("/hang-doi").text)
                assert csrf is not None
                client.post("/hang-doi/tim", data={"csrf": csrf[1], "tim": params.get("tim", "")})
                seconds = []
                for run in range(runs + 3):
                    started = time.perf_counter()
                    response = client.get("/hang-doi", params=filters)
                    elapsed = time.perf_counter() - started
                    assert response.status_code == 200, (name, response.status_code)
                    if run >= 3:
                        seconds.append(elapsed)
                found = int(response.text.split('<p class="count">', 1)[1].split(" ", 1)[0])
                results[name] = (
                    percentile(seconds, 0.5) * 1000,
                    percentile(seconds, 0.95) * 1000,
                    found,
                )
    return {name: results[name] for name, _, _ in cases}


@contextmanager
def _postgres() -> Iterator[str]:
    name = f"laikhe_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _drop_trigram_index(url: str) -> None:
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("DROP INDEX IF EXISTS ix_tickets_search_text_trgm")
        conn.execute("ANALYZE tickets")


def _backend(
    label: str, url: str, args: argparse.Namespace, after: Callable[[str], None] | None = None
) -> list[str]:
    prepare(url)
    seeded, events = asyncio.run(_seed(url, args.tickets))
    print(f"{label}: {args.tickets} tickets, {events} history rows seeded in {seeded:.0f} s")
    rows = [
        f"| {label} | {name} | {p50:.0f} | {p95:.0f} | {found} |"
        for name, (p50, p95, found) in _time_cases(url, CASES, args.runs).items()
    ]
    if after is not None:
        after(url)
        rows += [
            f"| {label}, no trigram index | {name} | {p50:.0f} | {p95:.0f} | {found} |"
            for name, (p50, p95, found) in _time_cases(url, SEARCH, args.runs).items()
        ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.back_office")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30, help="timed requests per case")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    load = os.getloadavg()
    cpu_start = time.process_time()
    rows = []
    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as tmp:
            rows += _backend("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}", args)
    if args.only != "sqlite":
        with _postgres() as url:
            rows += _backend("PostgreSQL", url, args, after=_drop_trigram_index)
    print()
    print(
        f"{args.tickets} tickets, {args.runs} requests per case after 3 warm-ups, "
        f"{os.cpu_count()} cores, load average at start {load[0]:.1f}; "
        f"CPU {time.process_time() - cpu_start:.0f} s"
    )
    print()
    print("| database | page | p50 ms | p95 ms | tickets found |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()

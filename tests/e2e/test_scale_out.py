"""Scale-out on real components: two engine replicas and two action servers behind HAProxy,
tickets and tracker store on PostgreSQL, a Redis lock store, the bot in webhook mode.
HAProxy routes each conversation to one engine (hash of the sender id), so different
conversations spread over both replicas.

Conversations run concurrently across the replicas. Each one's events must read as whole
turns (a user message, its actions, listen; then the next message) and every ticket must
exist exactly once, with the code the resident was told.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import redis

from admin.database import prepare
from scripts.model import ensure_model
from scripts.stack import ROOT, Stack, free_port
from testkit.residents import TelegramResidents
from testkit.scenario import FEEDBACK_SUBMISSION, OPEN_CHAT, STATUS_LOOKUP
from testkit.telegram import FakeTelegramServer
from tests.conftest import PostgresDatabase

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
BOT_TOKEN = "654321:SCALE-OUT-TOKEN"
RESIDENTS = 6
BURST_SENDERS = 4
BURST = ("xin chào", "nghị quyết 57 là gì", "cảm ơn")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tickets, tracker = PostgresDatabase(), PostgresDatabase()
    prefix = "t" + uuid.uuid4().hex[:10]
    stack: Stack | None = None
    try:
        prepare(tickets.url)
        stack = Stack(
            model=ensure_model(),
            database_url=tickets.url,
            tracker_store_url=tracker.url,
            log_dir=tmp_path_factory.mktemp("scale-out") / "logs",
            engine_port=free_port(),
            action_port=free_port(),
            engine_replicas=2,
            action_replicas=2,
            lock_store_url=REDIS_URL,
            lock_store_prefix=prefix,
        )
        stack.start(timeout=900)
        yield stack
    finally:
        if stack is not None:
            stack.stop()
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        tickets.drop()
        tracker.drop()


@pytest.fixture(scope="module")
def webhook_bot(
    cluster: Stack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FakeTelegramServer]:
    telegram = FakeTelegramServer(BOT_TOKEN).start()
    port = free_port()
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(ROOT),
        TELEGRAM_BOT_TOKEN=BOT_TOKEN,
        TELEGRAM_API_BASE_URL=telegram.base_url,
        TELEGRAM_FILE_BASE_URL=telegram.base_file_url,
        TELEGRAM_MODE="webhook",
        TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/",
        TELEGRAM_WEBHOOK_LISTEN="127.0.0.1",
        TELEGRAM_WEBHOOK_PORT=str(port),
        # Webhook mode refuses a short or guessable secret (docs/security.md).
        TELEGRAM_WEBHOOK_SECRET=secrets.token_urlsafe(32),
        **cluster.client_env(),
        # Correctness, not speed, is tested here: a loaded CI machine must not time out.
        RASA_TIMEOUT_SECONDS="120",
        DATABASE_URL=cluster.database_url,
    )
    log = (Path(cluster.log_dir) / "bot.log").open("ab")
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        # A loaded machine takes a minute or more to import the bot.
        telegram.wait_for(lambda: telegram.webhook_info["url"], timeout=300)
        yield telegram
    finally:
        bot.terminate()
        bot.wait(timeout=20)
        telegram.stop()


def tracker_events(cluster: Stack, senders: list[str]) -> dict[str, list[dict[str, Any]]]:
    with psycopg.connect(cluster.tracker_store_url) as conn:
        rows = conn.execute(
            "SELECT sender_id, type_name, action_name, data FROM events "
            "WHERE sender_id = ANY(%s) ORDER BY id",
            (senders,),
        ).fetchall()
    events: dict[str, list[dict[str, Any]]] = {sender: [] for sender in senders}
    for sender, type_name, action_name, data in rows:
        events[sender].append({"type": type_name, "action": action_name, "data": data})
    return events


def assert_whole_turns(sender: str, events: list[dict[str, Any]], sent: int) -> None:
    """Every user message is answered and listened after before the next one starts."""
    turns, open_turn = 0, False
    for event in events:
        if event["type"] == "user":
            assert not open_turn, f"{sender}: a message started inside another turn: {events}"
            turns, open_turn = turns + 1, True
        elif event["type"] == "action" and event["action"] == "action_listen":
            open_turn = False
    assert not open_turn, f"{sender}: the last turn never finished"
    assert turns == sent, f"{sender}: {turns} user events for {sent} messages"


async def burst(cluster: Stack, sender: str) -> list[int]:
    """Several messages of one conversation at once, straight to the entry point. Rasa's
    open-source Redis lock store alone lost one of three such messages when they reached
    both engines (RasaHQ/rasa#9213), so the entry point sends a conversation to one engine
    and the lock store serialises it there."""
    async with httpx.AsyncClient(
        base_url=cluster.engine_url, timeout=120, headers=cluster.client_headers
    ) as client:
        responses = await asyncio.gather(
            *(
                client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
                for text in BURST
            )
        )
    return [response.status_code for response in responses]


def test_concurrent_conversations_across_replicas(
    cluster: Stack, webhook_bot: FakeTelegramServer
) -> None:
    chats = [8_100_000 + i for i in range(RESIDENTS)]
    steps = OPEN_CHAT + FEEDBACK_SUBMISSION + STATUS_LOOKUP
    burst_senders = [f"burst-{i}" for i in range(BURST_SENDERS)]  # fresh databases each run

    async def drive() -> tuple[list[Any], list[list[int]]]:
        residents = TelegramResidents(webhook_bot, timeout=120)
        return await asyncio.gather(
            residents.run(chats, steps),
            asyncio.gather(*(burst(cluster, sender) for sender in burst_senders)),
        )

    outcomes, statuses = asyncio.run(drive())
    assert [o.errors for o in outcomes] == [[]] * RESIDENTS
    assert statuses == [[200] * len(BURST)] * BURST_SENDERS

    # Every ticket exists once, with the code its resident was told.
    told = {str(chat): outcome.codes for chat, outcome in zip(chats, outcomes, strict=True)}
    with psycopg.connect(cluster.database_url) as conn:
        stored = conn.execute(
            "SELECT sender_id, code FROM tickets WHERE sender_id = ANY(%s)", (list(told),)
        ).fetchall()
    assert sorted(stored) == sorted((sender, codes[0]) for sender, codes in told.items())
    assert all(len(codes) == 1 for codes in told.values())

    # No conversation's events interleave, through the bot or in a burst.
    events = tracker_events(cluster, list(told) + burst_senders)
    for chat in told:
        assert_whole_turns(chat, events[chat], len(steps))
    for sender in burst_senders:
        assert_whole_turns(sender, events[sender], len(BURST))

    # Both replicas of each kind served traffic.
    counts = cluster.balancer_counts()
    assert {
        name: counts[name] > 0 for name in ("engines1", "engines2", "actions1", "actions2")
    } == {
        "engines1": True,
        "engines2": True,
        "actions1": True,
        "actions2": True,
    }

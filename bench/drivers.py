"""Simulated residents: the same step list through Telegram (fake Bot API -> bot) or
straight at the engine's REST channel, so the bot's share of the time is visible."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.scenario import Step
from bot.conversation import ENGINE_DOWN
from bot.telegram_app import SOMETHING_WENT_WRONG
from services.tickets import TICKET_CODE_PATTERN
from tests.fake_telegram import FakeTelegramServer, SentMessage

# Replies that mean the system failed the resident, whatever the step expected.
ERROR_MARKERS = (ENGINE_DOWN, SOMETHING_WENT_WRONG, "đang gặp sự cố")
# What the bot sends the engine for a command (bot/telegram_app.py on_start/on_help).
COMMAND_PAYLOADS = {"/start": "/greet", "/menu": "/greet", "/help": "/help"}


@dataclass
class Turn:
    kind: str
    seconds: float


@dataclass
class Outcome:
    turns: list[Turn] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    stray_messages: int = 0


class StepFailed(Exception):
    pass


class Pacing:
    """How long a resident takes to read a reply and answer it.

    `think` is the mean in seconds; each pause is uniform in [0.5, 1.5] × think, drawn
    from a generator seeded with the resident's id so every run repeats. The first
    message comes after a pause in [0, think], so N residents do not all start on the
    same instant. think = 0: every resident answers at once (the saturation case).
    """

    def __init__(self, think: float, resident: object) -> None:
        self._think = think
        self._random = random.Random(f"bench-{resident}")
        self._first = True

    async def pause(self) -> None:
        if self._think <= 0:
            return
        if self._first:
            self._first = False
            seconds = self._random.uniform(0, self._think)
        else:
            seconds = self._random.uniform(0.5 * self._think, 1.5 * self._think)
        await asyncio.sleep(seconds)


def _fill(template: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


def _check(step: Step, texts: list[str], values: dict[str, str]) -> bool:
    """True when the turn is complete; raises on an apology."""
    for text in texts:
        if any(marker in text for marker in ERROR_MARKERS):
            raise StepFailed(f"{step.kind}: apology {text[:80]!r}")
    return any(_fill(step.expect, values) in text for text in texts)


def _capture(step: Step, texts: list[str], values: dict[str, str]) -> None:
    if step.captures_code:
        for text in texts:
            match = TICKET_CODE_PATTERN.search(text)
            if match:
                values["code"] = match.group(0)
                return
        raise StepFailed(f"{step.kind}: no ticket code in {texts!r}")


class TelegramResidents:
    """Residents typing into private chats of the fake Bot API server."""

    def __init__(self, telegram: FakeTelegramServer, timeout: float, think: float = 0.0) -> None:
        self._telegram = telegram
        self._timeout = timeout
        self._think = think
        self._queues: dict[int, asyncio.Queue[tuple[SentMessage, float]]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    def _deliver(self, message: SentMessage, arrived: float) -> None:
        queue = self._queues.get(message.chat_id)
        if queue is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(queue.put_nowait, (message, arrived))

    async def run(self, chat_ids: Sequence[int], steps: Sequence[Step]) -> list[Outcome]:
        self._loop = asyncio.get_running_loop()
        self._queues = {chat: asyncio.Queue() for chat in chat_ids}
        remove = self._telegram.on_bot_message(self._deliver)
        try:
            return list(await asyncio.gather(*(self._resident(c, steps) for c in chat_ids)))
        finally:
            remove()

    def _offer(self, chat: int, step: Step, values: dict[str, str]) -> None:
        if step.command is not None:
            self._telegram.send_command(chat, step.command)
        elif step.button is not None:
            self._telegram.press_button_with_text(chat, step.button)
        else:
            self._telegram.send_text(chat, _fill(step.text or "", values))

    async def _resident(self, chat: int, steps: Sequence[Step]) -> Outcome:
        outcome = Outcome()
        queue = self._queues[chat]
        values = {"n": str(chat)}
        pacing = Pacing(self._think, chat)
        for step in steps:
            await pacing.pause()
            while not queue.empty():  # a late message of an earlier turn
                queue.get_nowait()
                outcome.stray_messages += 1
            offered = time.time()
            texts: list[str] = []
            try:
                self._offer(chat, step, values)
                deadline = time.monotonic() + self._timeout
                while True:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise StepFailed(f"{step.kind}: no {step.expect!r} after {texts!r}")
                    message, arrived = await asyncio.wait_for(queue.get(), remaining)
                    texts.append(message.text or "")
                    if _check(step, texts, values):
                        break
                _capture(step, texts, values)
            except (StepFailed, AssertionError, asyncio.TimeoutError) as error:
                # asyncio.TimeoutError has no message: fall back to its name.
                outcome.errors.append((str(error).splitlines() or [repr(error)])[0][:200])
                return outcome
            outcome.turns.append(Turn(step.kind, arrived - offered))
            if "code" in values and step.captures_code:
                outcome.codes.append(values["code"])
        return outcome


class RestResidents:
    """The same residents talking to the engine's REST channel directly (no bot)."""

    def __init__(
        self,
        engine_url: str,
        timeout: float,
        think: float = 0.0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self._engine_url = engine_url
        self._timeout = timeout
        self._think = think
        self._headers = dict(headers or {})  # the shared secret the engine requires

    async def run(self, sender_ids: Sequence[str], steps: Sequence[Step]) -> list[Outcome]:
        limits = httpx.Limits(max_connections=len(sender_ids), max_keepalive_connections=100)
        async with httpx.AsyncClient(
            base_url=self._engine_url, timeout=self._timeout, limits=limits, headers=self._headers
        ) as client:
            return list(
                await asyncio.gather(*(self._resident(client, s, steps) for s in sender_ids))
            )

    async def _resident(
        self, client: httpx.AsyncClient, sender: str, steps: Sequence[Step]
    ) -> Outcome:
        outcome = Outcome()
        values = {"n": sender}
        buttons: dict[str, str] = {}
        pacing = Pacing(self._think, sender)
        for step in steps:
            await pacing.pause()
            if step.command is not None:
                message = COMMAND_PAYLOADS[step.command]
            elif step.button is not None:
                if step.button not in buttons:
                    outcome.errors.append(f"{step.kind}: no button {step.button!r}")
                    return outcome
                message = buttons[step.button]
            else:
                message = _fill(step.text or "", values)
            started = time.perf_counter()
            try:
                response = await client.post(
                    "/webhooks/rest/webhook", json={"sender": sender, "message": message}
                )
                response.raise_for_status()
                answer: list[dict[str, Any]] = response.json()
                elapsed = time.perf_counter() - started
                texts = [str(item.get("text") or "") for item in answer]
                if not _check(step, texts, values):
                    raise StepFailed(f"{step.kind}: no {step.expect!r} in {texts!r}")
                _capture(step, texts, values)
            except (StepFailed, httpx.HTTPError, ValueError) as error:
                outcome.errors.append((str(error) or repr(error))[:200])
                return outcome
            for item in answer:
                for button in item.get("buttons") or []:
                    buttons[str(button.get("title"))] = str(button.get("payload"))
            outcome.turns.append(Turn(step.kind, elapsed))
            if step.captures_code:
                outcome.codes.append(values["code"])
        return outcome


async def parse_load(
    engine_url: str,
    token: str,
    texts: Sequence[str],
    clients: int,
    rounds: int,
    timeout: float,
    headers: Mapping[str, str] | None = None,
) -> tuple[list[float], int, float]:
    """/model/parse alone (NLU only): latencies, errors, wall seconds."""
    latencies: list[float] = []
    errors = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        for _ in range(rounds):
            for text in texts:
                started = time.perf_counter()
                try:
                    response = await client.post(
                        "/model/parse", params={"token": token}, json={"text": text}
                    )
                    response.raise_for_status()
                    latencies.append(time.perf_counter() - started)
                except httpx.HTTPError:
                    errors += 1

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=100)
    async with httpx.AsyncClient(
        base_url=engine_url, timeout=timeout, limits=limits, headers=dict(headers or {})
    ) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        wall = time.perf_counter() - started
    return latencies, errors, wall

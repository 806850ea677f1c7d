"""Simulated residents typing a step list (testkit.scenario) into private chats of the fake
Bot API server: the benchmark's load and the scale-out test's conversations. What a turn
counts as (done, failed, the ticket code it gave) is defined here once, so the benchmark's
REST driver (bench/drivers.py) judges turns the same way."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.conversation import ENGINE_DOWN
from bot.telegram_app import SOMETHING_WENT_WRONG
from services.tickets import TICKET_CODE_PATTERN
from testkit.scenario import Step
from testkit.telegram import FakeTelegramServer, SentMessage

# Replies that mean the system failed the resident, whatever the step expected.
ERROR_MARKERS = (ENGINE_DOWN, SOMETHING_WENT_WRONG, "đang gặp sự cố")


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


def fill(template: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


def check(step: Step, texts: list[str], values: dict[str, str]) -> bool:
    """True when the turn is complete; raises on an apology."""
    for text in texts:
        if any(marker in text for marker in ERROR_MARKERS):
            raise StepFailed(f"{step.kind}: apology {text[:80]!r}")
    return any(fill(step.expect, values) in text for text in texts)


def capture(step: Step, texts: list[str], values: dict[str, str]) -> None:
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
            self._telegram.send_text(chat, fill(step.text or "", values))

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
                    if check(step, texts, values):
                        break
                capture(step, texts, values)
            except (StepFailed, AssertionError, asyncio.TimeoutError) as error:
                # asyncio.TimeoutError has no message: fall back to its name.
                outcome.errors.append((str(error).splitlines() or [repr(error)])[0][:200])
                return outcome
            outcome.turns.append(Turn(step.kind, arrived - offered))
            if "code" in values and step.captures_code:
                outcome.codes.append(values["code"])
        return outcome

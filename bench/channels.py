"""The benchmark's Zalo and web drivers (issue #19): the same residents and steps as the
Telegram driver (testkit.residents, testkit.scenario), as Zalo chats through the fake Zalo
server and as website chat-window sessions over HTTP.

A turn is judged as on Telegram (testkit.residents.check / capture). What differs:

- Zalo has no buttons: a button is pressed by typing the number the last turn gave its
  title (zalo/app.py numbers them). The Zalo process paces its sends (zalo/sender.py, at
  most one message a second per chat and ZALO_MESSAGES_PER_SECOND in all), so a turn of
  several messages takes about a second per message after the first: the driver records when the
  turn's first message came as well as its last, and how many messages it had.
- The web window posts a typed text or a pressed button's payload and reads the reply in
  the same HTTP answer (web/widget.py).
- Neither has a /start command: the first step types a greeting instead.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from testkit.residents import Outcome, Pacing, StepFailed, Turn, capture, check, fill
from testkit.scenario import Step
from testkit.zalo import FakeZaloServer, Sent
from web.widget import CSRF_HEADER

# What a resident of Zalo or the website types where a Telegram one sends /start.
GREETING = "xin chào"
WIDGET_API = "/widget/api/messages"


@dataclass
class ChannelOutcome(Outcome):
    """An Outcome with, per completed turn, the time to its first message and the number
    of messages (Zalo: the sender's pacing shows in their difference)."""

    first_replies: list[Turn] = field(default_factory=list)
    messages: list[int] = field(default_factory=list)


def numbered_choice(texts: Sequence[str], title: str) -> str | None:
    """The number a Zalo turn's texts gave the button `title` («  [3] Gửi»), or None."""
    shown = "\n".join(texts)
    found = re.search(rf"^  \[(\d+)\] {re.escape(title)}$", shown, re.MULTILINE)
    return found.group(1) if found else None


def widget_replies(answer: Mapping[str, Any]) -> tuple[list[str], dict[str, str], int]:
    """From the widget's answer to a post: the assistant's texts, the buttons they offer
    (title -> payload), and the newest message id (for ?after=). Raises StepFailed on
    an answer that is not the widget's message list."""
    lines = answer.get("messages")
    if not isinstance(lines, list):
        raise StepFailed(f"no messages in the answer: {str(answer)[:120]!r}")
    texts: list[str] = []
    buttons: dict[str, str] = {}
    newest = 0
    for line in lines:
        newest = max(newest, int(line.get("id") or 0))
        if line.get("from_resident"):
            continue
        texts.append(str(line.get("text") or ""))
        for button in line.get("buttons") or []:
            buttons[str(button.get("title"))] = str(button.get("payload"))
    return texts, buttons, newest


class ZaloResidents:
    """Residents typing into private chats of the fake Zalo server."""

    def __init__(self, zalo: FakeZaloServer, timeout: float, think: float = 0.0) -> None:
        self._zalo = zalo
        self._timeout = timeout
        self._think = think
        self._queues: dict[str, asyncio.Queue[tuple[Sent, float]]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    def _deliver(self, sent: Sent, arrived: float) -> None:
        queue = self._queues.get(sent.chat_id)
        if queue is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(queue.put_nowait, (sent, arrived))

    async def run(self, chat_ids: Sequence[str], steps: Sequence[Step]) -> list[ChannelOutcome]:
        self._loop = asyncio.get_running_loop()
        self._queues = {chat: asyncio.Queue() for chat in chat_ids}
        remove = self._zalo.on_sent(self._deliver)
        try:
            return list(await asyncio.gather(*(self._resident(c, steps) for c in chat_ids)))
        finally:
            remove()

    def _message(self, step: Step, values: dict[str, str], shown: list[str]) -> str:
        if step.command is not None:
            return GREETING
        if step.button is not None:
            number = numbered_choice(shown, step.button)
            if number is None:
                raise StepFailed(f"{step.kind}: no choice {step.button!r}")
            return number
        return fill(step.text or "", values)

    async def _resident(self, chat: str, steps: Sequence[Step]) -> ChannelOutcome:
        outcome = ChannelOutcome()
        queue = self._queues[chat]
        values = {"n": chat.rsplit("-", 1)[-1]}
        pacing = Pacing(self._think, chat)
        shown: list[str] = []  # the last turn's texts: its numbered choices
        for step in steps:
            await pacing.pause()
            while not queue.empty():  # a late message of an earlier turn
                queue.get_nowait()
                outcome.stray_messages += 1
            texts: list[str] = []
            first = 0.0
            try:
                message = self._message(step, values, shown)
                offered = time.time()
                self._zalo.say(chat, message)
                deadline = time.monotonic() + self._timeout
                while True:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise StepFailed(f"{step.kind}: no {step.expect!r} after {texts!r}")
                    sent, arrived = await asyncio.wait_for(queue.get(), remaining)
                    first = first or arrived
                    texts.append(sent.text)
                    if check(step, texts, values):
                        break
                capture(step, texts, values)
            except (StepFailed, asyncio.TimeoutError) as error:
                outcome.errors.append((str(error).splitlines() or [repr(error)])[0][:200])
                return outcome
            shown = texts
            outcome.turns.append(Turn(step.kind, arrived - offered))
            outcome.first_replies.append(Turn(step.kind, first - offered))
            outcome.messages.append(len(texts))
            if step.captures_code:
                outcome.codes.append(values["code"])
        return outcome


class WebResidents:
    """Residents as chat-window sessions of `python -m web`, over HTTP as widget.js talks
    to it: a session and its CSRF token from the first fetch, then one post per turn."""

    def __init__(self, base_url: str, timeout: float, think: float = 0.0) -> None:
        self._base_url = base_url
        self._timeout = timeout
        self._think = think

    async def run(self, names: Sequence[str], steps: Sequence[Step]) -> list[ChannelOutcome]:
        return list(await asyncio.gather(*(self._resident(n, steps) for n in names)))

    async def _resident(self, name: str, steps: Sequence[Step]) -> ChannelOutcome:
        # A client each, as each browser has its own cookie; the page's origin is the web
        # process's own address, which is always allowed.
        async with httpx.AsyncClient(
            base_url=self._base_url, timeout=self._timeout, headers={"Origin": self._base_url}
        ) as client:
            return await self._talk(client, name, steps)

    async def _talk(
        self, client: httpx.AsyncClient, name: str, steps: Sequence[Step]
    ) -> ChannelOutcome:
        outcome = ChannelOutcome()
        values = {"n": name.rsplit("-", 1)[-1]}
        pacing = Pacing(self._think, name)
        try:
            opened = await client.get(WIDGET_API)
            opened.raise_for_status()
            session = opened.json()
        except (httpx.HTTPError, ValueError) as error:
            outcome.errors.append(f"open: {error!r}"[:200])
            return outcome
        auth = {CSRF_HEADER: session["csrf"]}  # the session is the client's cookie
        buttons: dict[str, str] = {}
        newest = 0
        for step in steps:
            await pacing.pause()
            if step.command is not None:
                body = {"text": GREETING}
            elif step.button is not None:
                if step.button not in buttons:
                    outcome.errors.append(f"{step.kind}: no button {step.button!r}")
                    return outcome
                body = {"payload": buttons[step.button]}
            else:
                body = {"text": fill(step.text or "", values)}
            started = time.perf_counter()
            try:
                response = await client.post(
                    WIDGET_API, params={"after": newest}, json=body, headers=auth
                )
                elapsed = time.perf_counter() - started
                if response.status_code != 200:
                    raise StepFailed(f"{step.kind}: {response.status_code} {response.text[:120]}")
                texts, offered, latest = widget_replies(response.json())
                if not check(step, texts, values):
                    raise StepFailed(f"{step.kind}: no {step.expect!r} in {texts!r}")
                capture(step, texts, values)
            except (StepFailed, httpx.HTTPError, ValueError) as error:
                outcome.errors.append((str(error) or repr(error))[:200])
                return outcome
            buttons, newest = offered, max(newest, latest)
            outcome.turns.append(Turn(step.kind, elapsed))
            outcome.first_replies.append(Turn(step.kind, elapsed))
            outcome.messages.append(len(texts))
            if step.captures_code:
                outcome.codes.append(values["code"])
        return outcome

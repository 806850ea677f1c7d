"""The benchmark's other drivers: the same residents straight at the engine's REST channel
(no bot), so the bot's share of the time is visible, and /model/parse alone (NLU only)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from testkit.residents import Outcome, Pacing, StepFailed, Turn, capture, check, fill
from testkit.scenario import Step

# What the bot sends the engine for a command (bot/telegram_app.py on_start/on_help).
COMMAND_PAYLOADS = {"/start": "/greet", "/menu": "/greet", "/help": "/help"}


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
                message = fill(step.text or "", values)
            started = time.perf_counter()
            try:
                response = await client.post(
                    "/webhooks/rest/webhook", json={"sender": sender, "message": message}
                )
                response.raise_for_status()
                answer: list[dict[str, Any]] = response.json()
                elapsed = time.perf_counter() - started
                texts = [str(item.get("text") or "") for item in answer]
                if not check(step, texts, values):
                    raise StepFailed(f"{step.kind}: no {step.expect!r} in {texts!r}")
                capture(step, texts, values)
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

"""Engine measurements quoted in docs/performance.md, for anyone to rerun.

Runs in the ENGINE environment:
    PYTHONPATH=. .venv/engine/bin/python scripts/engine_probe.py memory [MODEL]
    PYTHONPATH=. .venv/engine/bin/python scripts/engine_probe.py validation
    PYTHONPATH=. .venv/engine/bin/python scripts/engine_probe.py vote [MODEL]
    PYTHONPATH=. .venv/engine/bin/python scripts/engine_probe.py load [MODEL]

`memory`: resident set size (MB) after importing TensorFlow, after importing Rasa, and
after loading MODEL (default: the model `make model` builds) and parsing one message.
`validation`: milliseconds per check of one form-turn action answer, Rasa's
`jsonschema.validate` against the validator compiled once (engine_addons).
`vote`: median milliseconds of IntentVote per parse against the whole parse, over 320
parses of eight resident messages (the first 20 of each left out as warm-up).
`load`: seconds to load MODEL with Rasa's Agent (Rasa imported first), resident set size
(MB) once loaded and one message parsed, and the median parse in milliseconds over the
development sentences (tests/nlu/dev*.yml, the first 20 parses left out as warm-up).
Run it for the shipped and the lean model in turn (docs/lean-engine.md).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import timeit
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent


def rss_mb() -> int:
    for line in Path(f"/proc/{os.getpid()}/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) // 1024
    return 0


def model_file(model: str | None) -> str:
    if model is None:
        model = subprocess.run(
            [str(ROOT / ".venv" / "app" / "bin" / "python"), "scripts/model.py", "path"],
            cwd=ROOT, check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
    if not Path(model).is_file():  # Agent.load would quietly pick another model
        sys.exit(f"no model file {model}")
    return model


def memory(model: str | None) -> None:
    model = model_file(model)
    print(f"start: {rss_mb()} MB")
    import tensorflow  # noqa: F401

    print(f"tensorflow imported: {rss_mb()} MB")
    from rasa.core.agent import Agent

    print(f"rasa imported: {rss_mb()} MB")
    agent = Agent.load(model)
    asyncio.run(agent.parse_message("xin chao"))
    print(f"model {Path(model).name} loaded, one message parsed: {rss_mb()} MB")


def validation() -> None:
    from jsonschema import validate
    from rasa.core.actions.action import RemoteAction
    from rasa.utils.endpoints import EndpointConfig

    from engine_addons.action_validation import validate_action_result

    spec = RemoteAction.action_response_format_spec()
    answer = {
        "events": [
            {"event": "slot", "name": "requested_slot", "value": "content", "timestamp": None},
            {"event": "active_loop", "name": "feedback_form", "timestamp": None},
        ],
        "responses": [{"text": "Xin chào", "buttons": []}],
    }
    action = RemoteAction("probe", EndpointConfig("http://127.0.0.1:1"))
    calls = 50
    for name, check in (
        ("rasa jsonschema.validate", lambda: validate(answer, spec)),
        ("compiled once", lambda: validate_action_result(action, answer)),
    ):
        best = min(timeit.repeat(check, number=calls, repeat=5)) / calls
        print(f"{name}: {best * 1000:.2f} ms per check")


def vote(model: str | None) -> None:
    import statistics
    import time

    from rasa.core.agent import Agent

    from engine_addons.intent_vote import IntentVote

    spent: list[float] = []
    original = IntentVote.process

    def timed(self: IntentVote, messages: list) -> list:  # type: ignore[type-arg]
        started = time.perf_counter()
        result = original(self, messages)
        spent.append(time.perf_counter() - started)
        return result

    IntentVote.process = timed  # type: ignore[method-assign]
    agent = Agent.load(model_file(model))
    texts = [
        "lam sao dang ky vneid", "quen mk vneid", "chào bạn", "thôi chào nhé",
        "giá vàng hôm nay", "tôi muốn góp ý về đường làng", "nghị quyết 57 là gì",
        "dk tk muc 2 o dau",
    ] * 40  # fmt: skip
    whole: list[float] = []

    async def run() -> None:
        for text in texts:
            started = time.perf_counter()
            await agent.parse_message(text)
            whole.append(time.perf_counter() - started)

    asyncio.run(run())
    parse_ms = statistics.median(whole[20:]) * 1000
    vote_ms = statistics.median(spent[20:]) * 1000
    print(f"median parse {parse_ms:.2f} ms, IntentVote {vote_ms:.2f} ms ({vote_ms / parse_ms:.0%})")


def load(model: str | None) -> None:
    import logging
    import statistics
    import time

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    from scripts.evaluate_nlu import load_examples

    model = model_file(model)
    # Unconfigured structlog logs every parse at debug level, and its cost with it.
    configure_structlog(logging.WARNING)
    started = time.perf_counter()
    agent = Agent.load(model)
    seconds = time.perf_counter() - started
    asyncio.run(agent.parse_message("xin chao"))
    resident = rss_mb()
    texts = [
        example.text
        for name in ("dev.yml", "dev2.yml", "dev3.yml")
        for example in load_examples(ROOT / "tests" / "nlu" / name)
    ]
    spent: list[float] = []

    async def run() -> None:
        for text in texts:
            begun = time.perf_counter()
            await agent.parse_message(text)
            spent.append(time.perf_counter() - begun)

    asyncio.run(run())
    print(
        f"{Path(model).name}: load {seconds:.1f} s, {resident} MB resident, "
        f"median parse {statistics.median(spent[20:]) * 1000:.2f} ms over {len(texts) - 20}"
    )


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    if what == "memory":
        memory(sys.argv[2] if len(sys.argv) > 2 else None)
    elif what == "validation":
        validation()
    elif what == "load":
        load(sys.argv[2] if len(sys.argv) > 2 else None)
    elif what == "vote":
        vote(sys.argv[2] if len(sys.argv) > 2 else None)
    else:
        sys.exit(__doc__)

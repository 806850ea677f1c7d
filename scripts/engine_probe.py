"""Two engine measurements quoted in docs/performance.md, for anyone to rerun.

Runs in the ENGINE environment:
    PYTHONPATH=. .venv/engine/bin/python scripts/engine_probe.py memory [MODEL]
    PYTHONPATH=. .venv/engine/bin/python scripts/engine_probe.py validation

`memory`: resident set size (MB) after importing TensorFlow, after importing Rasa, and
after loading MODEL (default: the model `make model` builds) and parsing one message.
`validation`: milliseconds per check of one form-turn action answer, Rasa's
`jsonschema.validate` against the validator compiled once (engine_addons).
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


def memory(model: str | None) -> None:
    if model is None:
        model = subprocess.run(
            [str(ROOT / ".venv" / "app" / "bin" / "python"), "scripts/model.py", "path"],
            cwd=ROOT, check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
    if not Path(model).is_file():  # Agent.load would quietly pick another model
        sys.exit(f"no model file {model}")
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


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    if what == "memory":
        memory(sys.argv[2] if len(sys.argv) > 2 else None)
    elif what == "validation":
        validation()
    else:
        sys.exit(__doc__)

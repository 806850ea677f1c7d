"""The engine's own log lines carry no resident data once our launcher set it up.

Rasa's REST channel logs the resident's text when a message times out or fails
(`rest.message.received.timeout`, text=...); its SQL tracker store, like any SQLAlchemy
engine, would print the bound values (the conversation's events) of a failed statement.
Run in a child process: the launcher patches Rasa's logging set-up process-wide.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEXT = "Tôi là Lê Thị Mai, số 0901234567"

SCRIPT = f"""
import json, logging, sys
from engine_addons import serve
serve._install_log_protection()
import rasa.__main__
rasa.__main__.configure_structlog(logging.INFO)
from rasa.core.channels import rest
rest.structlogger.error("rest.message.received.timeout", text={TEXT!r})
try:
    raise ValueError({TEXT!r})
except ValueError:
    rest.structlogger.exception("rest.message.received.failure", text={TEXT!r})
    logging.getLogger("rasa.core.processor").exception("action failed")
from rasa.core.tracker_store import SQLTrackerStore
store = SQLTrackerStore(dialect="sqlite", db=sys.argv[1])
print(json.dumps({{"hide_parameters": store.engine.hide_parameters}}))
"""


def test_engine_logs_redact_resident_text(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "tracker.db")],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    output = result.stdout + result.stderr
    assert "rest.message.received.timeout" in output
    assert "rest.message.received.failure" in output
    assert "ValueError (message not logged)" in output
    assert "action failed" in output
    assert TEXT not in output
    assert "0901234567" not in output
    last = [line for line in result.stdout.splitlines() if line.startswith("{")][-1]
    assert json.loads(last) == {"hide_parameters": True}

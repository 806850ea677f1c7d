"""The engine as a commune runs it: the REST channel needs the shared secret, the HTTP API
is off, and no secret is visible in any process's command line (`ps` shows argv to every
user of the machine)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from laikhe.internal_auth import HEADER
from scripts.stack import Stack
from testkit.processes import children

pytestmark = pytest.mark.e2e


def test_engine_refuses_rest_messages_without_the_secret(stack: Stack) -> None:
    # The attack of issue #17: erase another resident's data by posting as their sender id.
    forged = {"sender": "424242", "message": "/delete_my_data"}
    url = f"{stack.engine_url}/webhooks/rest/webhook"
    assert httpx.post(url, json=forged, timeout=60).status_code == 403
    assert httpx.post(url, json=forged, headers={HEADER: "guess"}, timeout=60).status_code == 403
    assert httpx.get(f"{stack.engine_url}/", timeout=10).status_code == 200  # liveness only

    answer = httpx.post(
        url,
        json={"sender": "e2e-auth", "message": "xin chào"},
        headers=stack.client_headers,
        timeout=60,
    )
    assert answer.status_code == 200
    assert answer.json()  # the assistant greets back


def test_engine_http_api_is_off(stack: Stack) -> None:
    """Even with the right secret and token nothing reads a conversation over HTTP: the bot
    needs only the REST channel, and erases conversations in the tracker store itself."""
    params = {"token": stack.rasa_token}
    for path in ("/conversations/e2e-auth/tracker", "/status", "/model/parse"):
        response = httpx.get(
            f"{stack.engine_url}{path}", params=params, headers=stack.client_headers, timeout=10
        )
        assert response.status_code in (404, 405), path


def _command_lines(root_pids: list[int]) -> dict[int, str]:
    tree = children()
    lines: dict[int, str] = {}
    pending = list(root_pids)
    while pending:
        pid = pending.pop()
        try:
            raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        lines[pid] = raw.replace(b"\0", b" ").decode(errors="replace")
        pending.extend(tree.get(pid, ()))
    return lines


def test_no_secret_in_any_command_line(stack: Stack, bot: subprocess.Popen[bytes]) -> None:
    pids = [process.pid for process in stack.processes.values()] + [bot.pid]
    lines = _command_lines(pids)
    assert len(lines) >= 3  # engine, action server, bot (and their children)
    assert any("engine_addons.serve" in line for line in lines.values())
    for pid, line in lines.items():
        assert stack.internal_secret not in line, pid
        assert stack.rasa_token not in line, pid
        assert "--auth-token" not in line, pid

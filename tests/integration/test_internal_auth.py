"""The shared secret between our processes, on the real servers that check it.

HAProxy (Debian's, `make system-deps`) with the configuration scripts/stack.py generates,
in front of two small stand-in servers; the real action server (`python -m rasa_sdk`,
our protections through rasa_sdk_plugins/) started as the stack starts it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from laikhe.internal_auth import HEADER
from scripts.stack import APP_PYTHON, ROOT, _stats_rows, free_port, haproxy_config

SECRET = "test-secret-0123456789abcdef"
RESIDENT_NAME = "Nguyễn Thị Hoa"
RESIDENT_PHONE = "0912345678"
RESIDENT_TEXT = "đèn đường thôn Mẫu 1 hỏng"


class _Echo(BaseHTTPRequestHandler):
    """Answers 200 to everything: a stand-in for an engine or an action server."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = json.dumps({"served_by": self.server.server_address[1]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = _answer
    do_POST = _answer

    def log_message(self, *_args: object) -> None:
        pass


def _serve() -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _wait(url: str, ok: object, timeout: float = 60.0, **kwargs: object) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            response = httpx.get(url, timeout=2.0, **kwargs)  # type: ignore[arg-type]
            if callable(ok) and ok(response):
                return response
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(url)
        time.sleep(0.2)


# secrets.token_urlsafe may begin with "-", which HAProxy once read as a flag and refused.
@pytest.fixture(params=[SECRET, "-" + SECRET], ids=["secret", "leading-dash"])
def secret(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@pytest.fixture
def balancer(tmp_path: Path, secret: str) -> Iterator[tuple[int, int]]:
    if shutil.which("haproxy") is None:
        pytest.fail("haproxy is not installed; run `make system-deps`")
    engine, action = _serve(), _serve()
    engine_port, action_port, stats_port = free_port(), free_port(), free_port()
    config = tmp_path / "haproxy.cfg"
    config.write_text(
        haproxy_config(
            engines=[engine.server_address[1]],
            engine_port=engine_port,
            actions=[action.server_address[1]],
            action_port=action_port,
            stats_port=stats_port,
        )
    )
    assert secret not in config.read_text()  # the file holds no secret
    process = subprocess.Popen(
        ["haproxy", "-db", "-f", str(config)],
        env=dict(os.environ, INTERNAL_SECRET=secret),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(
            f"http://127.0.0.1:{stats_port}/stats;csv",
            lambda r: (
                r.status_code == 200 and all(row["status"] == "UP" for row in _stats_rows(r.text))
            ),
        )
        yield engine_port, action_port
    finally:
        process.terminate()
        process.wait(timeout=10)
        engine.shutdown()
        action.shutdown()


def test_haproxy_refuses_requests_without_the_secret(
    balancer: tuple[int, int], secret: str
) -> None:
    body = {"sender": "123456789", "message": "/delete_my_data"}
    for port, path in zip(balancer, ("/webhooks/rest/webhook", "/webhook"), strict=True):
        url = f"http://127.0.0.1:{port}{path}"
        assert httpx.post(url, json=body).status_code == 403
        assert httpx.post(url, json=body, headers={HEADER: "wrong-secret-value"}).status_code == 403
        assert httpx.post(url, json=body, headers={HEADER: secret + "x"}).status_code == 403
        assert httpx.get(url).status_code == 403
        assert httpx.post(url, json=body, headers={HEADER: secret}).status_code == 200


@pytest.fixture
def action_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The action server as scripts/stack.py starts it (command and environment)."""
    port = free_port()
    log = tmp_path / "actions.log"
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        SANIC_HOST="127.0.0.1",
        INTERNAL_SECRET=SECRET,
        DATABASE_URL=f"sqlite:///{tmp_path / 'none.db'}",
    )
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(APP_PYTHON), "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(f"{url}/health", lambda r: r.status_code == 200, timeout=120)
        yield url, log
    finally:
        process.terminate()
        process.wait(timeout=20)


def _action_call(action: str) -> dict[str, object]:
    """An action call whose tracker carries a resident's words, name and phone."""
    return {
        "next_action": action,
        "sender_id": "987654321",
        "version": "3.6.2",
        "domain": {},
        "tracker": {
            # no "sender_id" key in the tracker: the action server fails reading it
            "slots": {"contact_name": RESIDENT_NAME, "contact_phone": RESIDENT_PHONE},
            "latest_message": {"text": RESIDENT_TEXT, "intent": {}, "entities": []},
            "events": [{"event": "user", "text": RESIDENT_TEXT}],
        },
    }


def test_action_server_refuses_requests_without_the_secret(
    action_server: tuple[str, Path],
) -> None:
    url, _ = action_server
    call = _action_call("action_delete_my_data")
    assert httpx.post(f"{url}/webhook", json=call).status_code == 403
    assert httpx.post(f"{url}/webhook", json=call, headers={HEADER: "nope"}).status_code == 403
    assert httpx.get(f"{url}/actions").status_code == 403
    listed = httpx.get(f"{url}/actions", headers={HEADER: SECRET})
    assert listed.status_code == 200
    assert {"name": "action_delete_my_data"} in listed.json()


def test_action_server_errors_carry_no_personal_data(action_server: tuple[str, Path]) -> None:
    """rasa-sdk's own error answer echoes the request (the whole tracker), which the
    engine then logs; ours names the exception type only, and so does the log."""
    url, log = action_server
    response = httpx.post(
        f"{url}/webhook", json=_action_call("action_delete_my_data"), headers={HEADER: SECRET}
    )
    assert response.status_code == 500
    assert response.json() == {"error": "KeyError"}
    time.sleep(0.5)  # the log line is written after the answer
    logged = log.read_text(encoding="utf-8")
    assert "KeyError" in logged
    for personal in (RESIDENT_NAME, RESIDENT_PHONE, RESIDENT_TEXT, "987654321"):
        assert personal not in response.text
        assert personal not in logged

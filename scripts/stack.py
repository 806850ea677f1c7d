"""Start the engine and the action server as child processes, wait until they serve.

Used by `make run` (then the bot runs in the foreground) and by the end-to-end tests,
so tests exercise exactly the processes a commune runs.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
APP_PYTHON = ROOT / ".venv" / "app" / "bin" / "python"
ENGINE_PYTHON = ROOT / ".venv" / "engine" / "bin" / "python"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    model: Path
    database_url: str
    tracker_store_url: str
    log_dir: Path
    engine_port: int = 5005
    action_port: int = 5055
    rasa_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def engine_url(self) -> str:
        return f"http://127.0.0.1:{self.engine_port}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            PYTHONPATH=str(ROOT),
            DATABASE_URL=self.database_url,
            ACTION_ENDPOINT_URL=f"{self.action_url}/webhook",
            TRACKER_STORE_URL=self.tracker_store_url,
            RASA_TELEMETRY_ENABLED="false",
            TF_CPP_MIN_LOG_LEVEL="2",
            SANIC_HOST="127.0.0.1",
            **self.extra_env,
        )
        return env

    def _spawn(self, name: str, command: list[str]) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = (self.log_dir / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self._env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start(self, timeout: float = 180.0) -> None:
        self._spawn(
            "actions",
            [
                str(APP_PYTHON), "-m", "rasa_sdk",
                "--actions", "actions", "--port", str(self.action_port),
            ],
        )  # fmt: skip
        self._spawn_engine()
        self.wait_ready(timeout)

    def restart_engine(self, timeout: float = 180.0) -> None:
        """Stop and start the engine alone (conversations must survive: SQL tracker store)."""
        process = self.processes.pop("engine")
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        self._spawn_engine()
        self.wait_ready(timeout)

    def _spawn_engine(self) -> None:
        self._spawn(
            "engine",
            [
                str(ENGINE_PYTHON), "-m", "rasa", "run",
                "--model", str(self.model),
                "--interface", "127.0.0.1", "--port", str(self.engine_port),
                "--enable-api", "--auth-token", self.rasa_token,
                "--credentials", "credentials.yml", "--endpoints", "endpoints.yml",
                "--response-timeout", "60",
            ],
        )  # fmt: skip

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        checks = {
            "actions": f"{self.action_url}/health",
            "engine": f"{self.engine_url}/status?token={self.rasa_token}",
        }
        pending = dict(checks)
        while pending:
            for name, url in list(pending.items()):
                process = self.processes[name]
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited early; see {self.log_dir / (name + '.log')}")
                try:
                    response = httpx.get(url, timeout=2.0)
                    if response.status_code == 200 and (
                        name != "engine" or response.json().get("model_file")
                    ):
                        del pending[name]
                except httpx.HTTPError:
                    pass
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"not ready after {timeout}s: {', '.join(pending)}")
            time.sleep(0.5)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()


def main() -> None:
    """`make run`: engine + actions in the background, the bot in the foreground."""
    sys.path.insert(0, str(ROOT))
    from laikhe.settings import get_settings
    from scripts.model import model_path

    settings = get_settings()
    model = model_path()
    if not model.exists():
        raise SystemExit("no trained model; run `make run` (it trains one)")
    var = ROOT / "var"
    stack = Stack(
        model=model,
        database_url=settings.database_url,
        tracker_store_url=os.environ.get("TRACKER_STORE_URL", f"sqlite:///{var / 'tracker.db'}"),
        log_dir=var / "logs",
        engine_port=int(settings.rasa_url.rsplit(":", 1)[-1].split("/")[0]),
        action_port=settings.action_server_port,
    )
    print("starting the engine and the action server (logs in var/logs) ...", flush=True)
    started = time.monotonic()
    stack.start()
    print(f"ready in {time.monotonic() - started:.1f}s", flush=True)
    try:
        env = stack._env()
        env["RASA_URL"] = stack.engine_url
        env["RASA_TOKEN"] = stack.rasa_token
        subprocess.run([str(APP_PYTHON), "-m", "bot"], cwd=ROOT, env=env, check=False)
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()


if __name__ == "__main__":
    main()

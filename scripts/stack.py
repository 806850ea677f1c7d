"""Start the engine and the action server as child processes, wait until they serve.

Used by `make run` (then the bot runs in the foreground), by the end-to-end tests and by
the benchmark, so tests exercise exactly the processes a commune runs. With replicas
(`engine_replicas`/`action_replicas` > 1) HAProxy from Debian is the one entry point in
front of each kind, engines share a Redis lock store and the tracker store, as in a
province deployment (docs/deployment.md).

Every process listens on loopback only and takes its secrets from the environment, never
from argv (`ps` shows argv to every user): the shared secret `INTERNAL_SECRET` that the
engine, the action server and HAProxy require of their callers (laikhe/internal_auth.py),
and the engine's API token `RASA_TOKEN` when the HTTP API is on (the benchmark's NLU-only
case; the bot needs only the REST channel). The children's output goes to size-rotated
files in `log_dir`.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from laikhe.internal_auth import ENV as SECRET_ENV
from laikhe.internal_auth import HEADER as SECRET_HEADER

ROOT = Path(__file__).resolve().parent.parent
APP_PYTHON = ROOT / ".venv" / "app" / "bin" / "python"
ENGINE_PYTHON = ROOT / ".venv" / "engine" / "bin" / "python"
HAPROXY = "haproxy"
LOG_MAX_BYTES = 10 * 1024 * 1024  # per file; LOG_BACKUPS older files are kept
LOG_BACKUPS = 5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def haproxy_config(
    *, engines: list[int], engine_port: int, actions: list[int], action_port: int, stats_port: int
) -> str:
    """Engines by conversation, action servers round robin (they are stateless). A replica
    that fails three health checks in a row gets no traffic; a busy engine can take seconds
    to answer a check on a loaded machine, so the check timeout is generous: a replica is
    out when it is gone, not when it is slow.

    Both entry points refuse (403) a request without the shared secret header; HAProxy
    reads the secret from its environment (`"${INTERNAL_SECRET}"` is expanded when the
    configuration is loaded), so the file holds no secret. Health checks go to the
    replicas' liveness paths, which need none."""

    def backend(name: str, ports: list[int], check: str, balance: str) -> str:
        servers = "\n".join(
            f"  server {name}{i + 1} 127.0.0.1:{port} check inter 2s fall 3 rise 1"
            for i, port in enumerate(ports)
        )
        return f"backend {name}\n{balance}  option httpchk GET {check}\n{servers}\n"

    # One conversation, one engine: Rasa's open-source RedisLockStore does not keep two
    # engines from working on one conversation at once (its ticket update is not atomic,
    # RasaHQ/rasa#9213; the scale-out test lost a message that way), so the entry point
    # hashes the REST body's sender id. Consistent hashing moves only a stopped replica's
    # conversations; the Redis lock store still covers that hand-over.
    by_conversation = (
        "  option http-buffer-request\n"
        "  balance hash req.body,json_query('$.sender')\n"
        "  hash-type consistent\n"
    )

    require_secret = (
        "  http-request deny deny_status 403 unless "
        # "--": a random secret may begin with "-", which HAProxy would read as a flag.
        f'{{ req.hdr({SECRET_HEADER.lower()}) -m str -- "${{{SECRET_ENV}}}" }}\n'
    )
    return (
        "global\n  maxconn 2000\n"
        "defaults\n  mode http\n  option http-server-close\n"
        "  timeout connect 3s\n  timeout client 120s\n  timeout server 120s\n"
        "  timeout check 10s\n  retries 3\n  option redispatch\n"
        f"frontend engine_entry\n  bind 127.0.0.1:{engine_port}\n{require_secret}"
        "  default_backend engines\n"
        f"frontend action_entry\n  bind 127.0.0.1:{action_port}\n{require_secret}"
        "  default_backend actions\n"
        + backend("engines", engines, "/", by_conversation)
        + backend("actions", actions, "/health", "  balance roundrobin\n")
        + f"listen stats\n  bind 127.0.0.1:{stats_port}\n  stats enable\n  stats uri /stats\n"
    )


def _stats_rows(csv_text: str) -> list[dict[str, str]]:
    """HAProxy's CSV statistics, one dict per server (frontends and backends left out)."""
    lines = csv_text.lstrip("# ").splitlines()
    header = lines[0].split(",")
    rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]
    return [
        row
        for row in rows
        if row.get("svname") not in ("FRONTEND", "BACKEND") and row.get("pxname") != "stats"
    ]


@dataclass
class Stack:
    model: Path
    database_url: str
    tracker_store_url: str
    log_dir: Path
    engine_port: int = 5005  # the entry point: the engine itself, or the balancer
    action_port: int = 5055
    # The engine's HTTP API (/model/parse, /conversations, ...) is off unless asked for:
    # its token reads every conversation. The bot needs only the REST channel.
    enable_api: bool = False
    rasa_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    internal_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    extra_env: dict[str, str] = field(default_factory=dict)
    engine_replicas: int = 1
    action_replicas: int = 1
    lock_store_url: str | None = None  # redis://host:port/db; None = in-memory (one engine)
    lock_store_prefix: str = ""  # letters and digits: separates users of one Redis
    # "engine_addons.serve" (our fixes installed) or "rasa" (stock, for side-by-side runs)
    engine_module: str = "engine_addons.serve"
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    # Seconds from spawn to serving, per process, of the last start (for the benchmark).
    ready_seconds: dict[str, float] = field(default_factory=dict)
    _spawned_at: dict[str, float] = field(default_factory=dict)
    engine_ports: list[int] = field(default_factory=list)
    action_ports: list[int] = field(default_factory=list)
    stats_port: int | None = None
    web_url: str | None = None  # the back office, once start_web has spawned it

    def __post_init__(self) -> None:
        if self.engine_replicas > 1 and self.lock_store_url is None:
            raise ValueError("engine replicas need a shared (Redis) lock store")
        self.engine_ports = (
            [self.engine_port]
            if self.engine_replicas == 1
            else [free_port() for _ in range(self.engine_replicas)]
        )
        self.action_ports = (
            [self.action_port]
            if self.action_replicas == 1
            else [free_port() for _ in range(self.action_replicas)]
        )
        if self.balanced:
            self.stats_port = free_port()

    @property
    def balanced(self) -> bool:
        return self.engine_replicas > 1 or self.action_replicas > 1

    @property
    def engine_url(self) -> str:
        return f"http://127.0.0.1:{self.engine_port}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}"

    @property
    def client_headers(self) -> dict[str, str]:
        """What a client of the engine (the bot, a test) sends with every request."""
        return {SECRET_HEADER: self.internal_secret}

    def client_env(self) -> dict[str, str]:
        """Environment for a bot process talking to this stack."""
        return {"RASA_URL": self.engine_url, SECRET_ENV: self.internal_secret}

    @staticmethod
    def _name(kind: str, index: int) -> str:
        return kind if index == 0 else f"{kind}-{index + 1}"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        lock_store = {
            "LOCK_STORE_TYPE": "in_memory",
            "LOCK_STORE_URL": "",
            "LOCK_STORE_PORT": "6379",
            "LOCK_STORE_DB": "0",
        }
        if self.lock_store_url:
            # redis://host:port/db -> Rasa's RedisLockStore takes host, port and db apart.
            address = self.lock_store_url.removeprefix("redis://")
            host_port, _, db = address.partition("/")
            host, _, port = host_port.partition(":")
            lock_store = {
                "LOCK_STORE_TYPE": "redis",
                "LOCK_STORE_URL": host,
                "LOCK_STORE_PORT": port or "6379",
                "LOCK_STORE_DB": db or "0",
            }
        lock_store["LOCK_STORE_KEY_PREFIX"] = self.lock_store_prefix
        env.update(
            PYTHONPATH=str(ROOT),
            DATABASE_URL=self.database_url,
            ACTION_ENDPOINT_URL=f"{self.action_url}/webhook",
            TRACKER_STORE_URL=self.tracker_store_url,
            RASA_TELEMETRY_ENABLED="false",
            TF_CPP_MIN_LOG_LEVEL="2",
            SANIC_HOST="127.0.0.1",
            # glibc gives every thread that allocates its own arena; TensorFlow's thread
            # pools then keep hundreds of MB of freed memory resident (docs/performance.md).
            MALLOC_ARENA_MAX="2",
            **lock_store,
            **self.extra_env,
        )
        env[SECRET_ENV] = self.internal_secret
        env.pop("RASA_TOKEN", None)  # only the engine gets it, and only with the API on
        return env

    def _spawn(
        self, name: str, command: list[str], extra_env: dict[str, str] | None = None
    ) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._spawned_at[name] = time.monotonic()
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**self._env(), **(extra_env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        assert process.stdout is not None
        threading.Thread(
            target=_copy_to_rotating_log,
            args=(process.stdout, self.log_dir / f"{name}.log"),
            name=f"log-{name}",
            daemon=True,
        ).start()

    def start(
        self, timeout: float = 180.0, while_engine_loads: Callable[[], None] | None = None
    ) -> None:
        """Spawn everything at once: the engine's minute of model loading (TensorFlow
        building its graphs, docs/performance.md) overlaps the rest, including
        `while_engine_loads` (e.g. database migrations, which the engine does not need)."""
        for index in range(self.engine_replicas):
            self._spawn_engine(index)
        if while_engine_loads is not None:
            while_engine_loads()
        for index, port in enumerate(self.action_ports):
            self._spawn(
                self._name("actions", index),
                [
                    str(APP_PYTHON), "-m", "rasa_sdk",
                    "--actions", "actions", "--port", str(port),
                ],
            )  # fmt: skip
        if self.balanced:
            self._spawn_balancer()
        self.wait_ready(timeout)

    def _spawn_balancer(self) -> None:
        if shutil.which(HAPROXY) is None:
            raise RuntimeError("haproxy is not installed; run `make system-deps`")
        assert self.stats_port is not None
        config = self.log_dir / "haproxy.cfg"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        config.write_text(
            haproxy_config(
                engines=self.engine_ports,
                engine_port=self.engine_port,
                actions=self.action_ports,
                action_port=self.action_port,
                stats_port=self.stats_port,
            )
        )
        self._spawn("balancer", [HAPROXY, "-db", "-f", str(config)])

    def start_web(self, url: str, secret_key: str, timeout: float = 30.0) -> None:
        """The web process (`python -m web`: the back office and the website's chat window,
        which talks to the engine) on WEB_HOST:WEB_PORT of the settings; the key reaches it
        through the environment only."""
        self.web_url = url
        self._spawn(
            "web",
            [str(APP_PYTHON), "-m", "web"],
            {**self.client_env(), "WEB_SECRET_KEY": secret_key},
        )
        self.wait_ready(timeout)

    def start_zalo(self) -> None:
        """The Zalo front end and its outbox dispatcher (`python -m zalo`) in the background;
        it takes ZALO_BOT_TOKEN and the rest of its settings from the environment."""
        self._spawn("zalo", [str(APP_PYTHON), "-m", "zalo"], self.client_env())

    def restart_engine(self, timeout: float = 180.0) -> None:
        """Stop and start the engine alone (conversations must survive: SQL tracker store)."""
        process = self.processes.pop("engine")
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        self._spawn_engine(0)
        self.wait_ready(timeout)

    def _spawn_engine(self, index: int) -> None:
        # `rasa run` through our launcher (engine_addons/serve.py): it installs the secret
        # check and the log protections, and our performance fix unless --stock.
        launcher = ["-m", "engine_addons.serve"]
        if self.engine_module == "rasa":
            launcher.append("--stock")
        api = ["--enable-api"] if self.enable_api else []
        self._spawn(
            self._name("engine", index),
            [
                str(ENGINE_PYTHON), *launcher, "run",
                "--model", str(self.model),
                "--interface", "127.0.0.1", "--port", str(self.engine_ports[index]),
                *api,
                "--credentials", "credentials.yml", "--endpoints", "endpoints.yml",
                "--response-timeout", "60",
            ],
            {"RASA_TOKEN": self.rasa_token} if self.enable_api else None,
        )  # fmt: skip

    def _checks(self) -> dict[str, str]:
        checks = {}
        for index, port in enumerate(self.action_ports):
            checks[self._name("actions", index)] = f"http://127.0.0.1:{port}/health"
        for index, port in enumerate(self.engine_ports):
            # Rasa loads the model before it listens: `/` answers once the model is in.
            # With the API on, `/status` also names the model file.
            checks[self._name("engine", index)] = (
                f"http://127.0.0.1:{port}/status?token={self.rasa_token}"
                if self.enable_api
                else f"http://127.0.0.1:{port}/"
            )
        if self.web_url is not None:
            checks["web"] = f"{self.web_url}/static/style.css"
        if self.balanced:
            checks["balancer"] = f"http://127.0.0.1:{self.stats_port}/stats;csv"
        return {name: url for name, url in checks.items() if name in self.processes}

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = self._checks()
        while pending:
            for name, url in list(pending.items()):
                process = self.processes[name]
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited early; see {self.log_dir / (name + '.log')}")
                try:
                    response = httpx.get(url, timeout=2.0, headers=self.client_headers)
                    if response.status_code == 200 and self._serving(name, response):
                        del pending[name]
                        self.ready_seconds[name] = time.monotonic() - self._spawned_at[name]
                except httpx.HTTPError:
                    pass
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"not ready after {timeout}s: {', '.join(pending)}")
            time.sleep(0.25)

    @staticmethod
    def _serving(name: str, response: httpx.Response) -> bool:
        if name.startswith("engine"):
            if response.headers.get("content-type", "").startswith("application/json"):
                return bool(response.json().get("model_file"))
            return response.text.startswith("Hello from Rasa")
        if name == "balancer":  # every replica passed HAProxy's own health check
            return all(row["status"] == "UP" for row in _stats_rows(response.text))
        return True

    def balancer_counts(self) -> dict[str, int]:
        """Requests each replica served, from HAProxy's statistics (server name -> total)."""
        response = httpx.get(f"http://127.0.0.1:{self.stats_port}/stats;csv", timeout=5.0)
        response.raise_for_status()
        return {row["svname"]: int(row.get("stot") or 0) for row in _stats_rows(response.text)}

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


def _copy_to_rotating_log(stream: IO[bytes], path: Path) -> None:
    """A child's output, line by line, into `path` rotated by size: a commune server's
    disk must not fill up with months of engine logs."""
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(message)s"))
    try:
        for line in stream:
            text = line.decode("utf-8", errors="replace").rstrip("\n")
            handler.emit(logging.makeLogRecord({"msg": text, "levelno": logging.INFO}))
    finally:
        handler.close()
        stream.close()


def prepare_database() -> None:
    """Migrate to head and load the commune configuration (both idempotent)."""
    from admin.database import describe, prepare
    from laikhe.settings import get_settings

    (ROOT / "var").mkdir(exist_ok=True)
    print(describe(prepare(get_settings().database_url)), flush=True)


def main() -> None:
    """`make run`: engine + actions (+ the back office, + Zalo when ZALO_BOT_TOKEN is set)
    in the background, the bot (Telegram, or the terminal chat) in the foreground."""
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
    try:
        stack.start(while_engine_loads=prepare_database)
    except BaseException:
        stack.stop()  # the engine was already spawned, in its own session
        raise
    print(f"ready in {time.monotonic() - started:.1f}s", flush=True)
    try:
        # The back office and the website's chat window beside the bot. Without
        # WEB_SECRET_KEY a key is made for this run (web sessions, the residents' widget
        # sessions too, then end when the stack stops).
        key = settings.web_secret_key
        stack.start_web(
            f"http://{settings.web_host}:{settings.web_port}",
            key.get_secret_value() if key else secrets.token_urlsafe(32),
        )
        print(f"back office: {settings.web_url}/quan-ly (log in var/logs/web.log)", flush=True)
        print(f"website chat window (demo page): {settings.web_url}/", flush=True)
        if settings.zalo_bot_token is not None:
            stack.start_zalo()
            print(f"Zalo ({settings.zalo_mode}): log in var/logs/zalo.log", flush=True)
        env = stack._env() | stack.client_env()
        subprocess.run([str(APP_PYTHON), "-m", "bot"], cwd=ROOT, env=env, check=False)
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()


if __name__ == "__main__":
    main()

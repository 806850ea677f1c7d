"""`make bench`: the whole path under N simulated residents, and each layer alone.

fake Bot API server -> bot process (python -m bot) -> Rasa engine -> action server -> DB,
and beside it the fake Zalo server -> `python -m zalo` and HTTP -> the web chat window
(`python -m web`), with the same residents (bench/channels.py; `--channels`, `--quick`).
Results: printed, written to var/bench/<time>.json, and (unless --no-write) into the
generated block of docs/performance.md. The machine is shared: every run records the
load average, and the numbers are contended ones.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from admin.database import prepare
from bench.channels import ChannelOutcome, WebResidents, ZaloResidents
from bench.drivers import RestResidents, parse_load
from bench.report import CHANNELS_BEGIN, CHANNELS_END, render, render_channels, write_docs
from scripts.model import (
    ENGINE_PYTHON,
    PIPELINES,
    SHIPPED,
    engine_env,
    ensure_model,
    training_record,
)
from scripts.stack import ROOT, Stack, free_port
from testkit.processes import PeakMemory, cpu_seconds, load_average, rss_bytes
from testkit.residents import Outcome, TelegramResidents
from testkit.scenario import FAQ, RESIDENT, TICKET
from testkit.telegram import FakeTelegramServer
from testkit.zalo import FakeZaloServer

BOT_TOKEN = "123456:BENCH-TOKEN"
ZALO_TOKEN = "2718281828:BENCH-ZALO-TOKEN"
LAYERS = ("parse", "rest", "telegram", "zalo", "web")
# The widget's limits per session and per address (web/widget.py: 12 and 60 a minute)
# would refuse residents who all come from this one address: raised for this run only.
BENCH_WIDGET_LIMIT = "100000"


@dataclass
class Channels:
    """The fake platforms and the web address of the channels this run drives."""

    telegram: FakeTelegramServer | None = None
    zalo: FakeZaloServer | None = None
    web_url: str | None = None


APP_PYTHON = ROOT / ".venv" / "app" / "bin" / "python"


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (no interpolation: every reported value was observed)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summarise(outcomes: Sequence[Outcome], wall: float) -> dict[str, Any]:
    turns = [t for o in outcomes for t in o.turns]

    def stats(kind: str | None) -> dict[str, float]:
        seconds = [t.seconds for t in turns if kind is None or t.kind == kind]
        return {
            "p50_ms": percentile(seconds, 0.5) * 1000,
            "p95_ms": percentile(seconds, 0.95) * 1000,
            "n": len(seconds),
        }

    codes = [c for o in outcomes for c in o.codes]
    return {
        "all": stats(None),
        "faq": stats(FAQ),
        "ticket": stats(TICKET),
        "messages_per_s": len(turns) / wall if wall else 0.0,
        "errors": sum(len(o.errors) for o in outcomes),
        "error_samples": [e for o in outcomes for e in o.errors][:3],
        "stray": sum(o.stray_messages for o in outcomes),
        "tickets": len(codes),
        "duplicate_codes": len(codes) - len(set(codes)),
        "wall_s": wall,
    }


def start_bot(stack: Stack, telegram: FakeTelegramServer, log_dir: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(ROOT),
        TELEGRAM_BOT_TOKEN=BOT_TOKEN,
        TELEGRAM_API_BASE_URL=telegram.base_url,
        TELEGRAM_FILE_BASE_URL=telegram.base_file_url,
        **stack.client_env(),
        DATABASE_URL=stack.database_url,
    )
    log = (log_dir / "bot.log").open("ab")
    return subprocess.Popen(
        [str(APP_PYTHON), "-m", "bot"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )


def start_zalo(stack: Stack, zalo: FakeZaloServer, log_dir: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(ROOT),
        ZALO_BOT_TOKEN=ZALO_TOKEN,
        ZALO_API_BASE_URL=zalo.base_url,
        **stack.client_env(),
        DATABASE_URL=stack.database_url,
        TRACKER_STORE_URL=stack.tracker_store_url,
    )
    log = (log_dir / "zalo.log").open("ab")
    return subprocess.Popen(
        [str(APP_PYTHON), "-m", "zalo"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )


def start_web(stack: Stack, port: int, log_dir: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.pop("WEB_PUBLIC_URL", None)
    env.update(
        PYTHONPATH=str(ROOT),
        **stack.client_env(),
        DATABASE_URL=stack.database_url,
        TRACKER_STORE_URL=stack.tracker_store_url,
        WEB_HOST="127.0.0.1",
        WEB_PORT=str(port),
        WEB_SECRET_KEY=secrets.token_urlsafe(32),
        WIDGET_SESSION_LIMIT_PER_MINUTE=BENCH_WIDGET_LIMIT,
        WIDGET_ADDRESS_LIMIT_PER_MINUTE=BENCH_WIDGET_LIMIT,
        WIDGET_READ_LIMIT_PER_MINUTE=BENCH_WIDGET_LIMIT,
    )
    log = (log_dir / "web.log").open("ab")
    return subprocess.Popen(
        [str(APP_PYTHON), "-m", "web"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )


def wait_for_web(base: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{base}/static/style.css", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the web process did not start (see its log)")
        time.sleep(0.2)


def timed_training(workdir: Path, pipeline: str = SHIPPED) -> float:
    """A full `rasa train` of this repository's inputs into a throw-away directory, with
    an empty component cache (the model script's training may reuse cached parts)."""
    started = time.monotonic()
    subprocess.run(
        [
            str(ENGINE_PYTHON), "-m", "rasa", "train", "--config", PIPELINES[pipeline].config,
            "--domain", "domain.yml", "--data", "nlu", "--out", str(workdir),
        ],
        cwd=ROOT, env=engine_env() | {"RASA_CACHE_DIRECTORY": str(workdir / "cache")},
        check=True, capture_output=True,
    )  # fmt: skip
    return time.monotonic() - started


def say(quiet: bool, text: str) -> None:
    if not quiet:
        print(text, flush=True)


def median_of(runs: list[dict[str, Any]], *path: str) -> float:
    values = []
    for run in runs:
        value: Any = run
        for key in path:
            value = value[key]
        values.append(float(value))
    return statistics.median(values)


def aggregate(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over the runs of one case, and the worst error count."""
    out: dict[str, Any] = {"runs": len(runs)}
    for group in ("all", "faq", "ticket", "first"):
        if group in runs[0]:
            out[group] = {key: median_of(runs, group, key) for key in ("p50_ms", "p95_ms")}
    if "messages_per_turn" in runs[0]:
        out["messages_per_turn"] = median_of(runs, "messages_per_turn")
    out["messages_per_s"] = median_of(runs, "messages_per_s")
    out["errors"] = sum(int(r["errors"]) for r in runs)
    out["duplicate_codes"] = sum(int(r.get("duplicate_codes", 0)) for r in runs)
    if "cpu_ms_per_turn" in runs[0]:
        out["cpu_ms_per_turn"] = {
            name: statistics.median(float(r["cpu_ms_per_turn"][name]) for r in runs)
            for name in runs[0]["cpu_ms_per_turn"]
        }
    out["load"] = [r["load"] for r in runs]
    return out


async def run_cases(args: argparse.Namespace, stack: Stack, channels: Channels,
                    pids: dict[str, int], cases: dict[str, Any]) -> None:  # fmt: skip
    """Fills `cases` case by case, so an interrupted run keeps what it measured."""
    chosen = args.channels
    rest_residents = RestResidents(
        stack.engine_url, args.timeout, args.think, headers=stack.client_headers
    )
    parse_texts = [s.text for s in RESIDENT if s.text and "{" not in s.text]
    # Warm-up: the first messages pay for graph tracing and connection set-up.
    await RestResidents(stack.engine_url, args.timeout, headers=stack.client_headers).run(
        ["warm-rest"], RESIDENT
    )
    if channels.telegram is not None:
        await TelegramResidents(channels.telegram, args.timeout).run([9_000_000], RESIDENT)
    if channels.zalo is not None:
        await ZaloResidents(channels.zalo, args.timeout).run(["warm-9000000"], RESIDENT)
    if channels.web_url is not None:
        await WebResidents(channels.web_url, args.timeout).run(["warm-9000000"], RESIDENT)

    next_chat = 10_000_000
    for residents in args.residents:
        raw: dict[str, list[dict[str, Any]]] = {layer: [] for layer in chosen}
        # Every turn of every run per path: with one resident a run has 12 turns, whose
        # p95 is its slowest turn; pooled over the runs, it is a p95.
        pooled: dict[str, list[float]] = {layer: [] for layer in chosen}
        peak_memory: dict[str, int] = {}
        peak_total = 0
        for run in range(args.runs):
            say(args.quiet, f"N={residents} run {run + 1}/{args.runs} ...")
            if "parse" in chosen:
                load_before = load_average()
                latencies, errors, wall = await parse_load(
                    stack.engine_url,
                    stack.rasa_token,
                    parse_texts,
                    residents,
                    2,
                    args.timeout,
                    headers=stack.client_headers,
                )
                raw["parse"].append(
                    {
                        "all": {
                            "p50_ms": percentile(latencies, 0.5) * 1000,
                            "p95_ms": percentile(latencies, 0.95) * 1000,
                            "n": len(latencies),
                        },
                        "messages_per_s": len(latencies) / wall,
                        "errors": errors,
                        "load": load_before,
                    }
                )
            ids = [next_chat + i for i in range(residents)]
            next_chat += 1000
            for layer in in_turn(chosen, run):
                outcomes: Sequence[Outcome]
                cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
                with PeakMemory(pids) as memory:
                    started = time.perf_counter()
                    if layer == "rest":
                        outcomes = await rest_residents.run([f"rest-{i}" for i in ids], RESIDENT)
                    elif layer == "telegram":
                        assert channels.telegram is not None
                        outcomes = await TelegramResidents(
                            channels.telegram, args.timeout, args.think
                        ).run(ids, RESIDENT)
                    elif layer == "zalo":
                        assert channels.zalo is not None
                        outcomes = await ZaloResidents(channels.zalo, args.timeout, args.think).run(
                            [f"zb-{i + 10_000_000}" for i in ids], RESIDENT
                        )
                    else:
                        assert channels.web_url is not None
                        outcomes = await WebResidents(
                            channels.web_url, args.timeout, args.think
                        ).run([f"wb-{i + 20_000_000}" for i in ids], RESIDENT)
                    wall = time.perf_counter() - started
                pooled[layer] += [turn.seconds for o in outcomes for turn in o.turns]
                raw[layer].append(
                    summarise(outcomes, wall)
                    | channel_extras(outcomes)
                    | {
                        "load": load_average(),
                        "cpu_ms_per_turn": cpu_per_turn(pids, cpu_before, outcomes),
                    }
                )
                if layer != "rest":
                    for name, value in memory.peak.items():
                        peak_memory[name] = max(peak_memory.get(name, 0), value)
                    peak_total = max(peak_total, memory.peak_total)
            say(args.quiet, "  " + json.dumps({k: v[-1] for k, v in raw.items()}, default=str))
        cases[str(residents)] = {
            "layers": {layer: aggregate(runs) for layer, runs in raw.items()},
            "raw": raw,
            "pooled": {
                layer: {"p95_ms": percentile(seconds, 0.95) * 1000, "n": len(seconds)}
                for layer, seconds in pooled.items()
                if seconds
            },
            "peak_rss": peak_memory,
            "peak_rss_total": peak_total,
        }


def in_turn(layers: Sequence[str], run: int) -> list[str]:
    """The paths driven one after another in run `run`, the order rotated from run to run:
    a path driven last meets the tracker store and the ticket table that the others grew,
    so over as many runs as paths each path takes each place once."""
    paths = [layer for layer in layers if layer != "parse"]
    shift = run % len(paths) if paths else 0
    return paths[shift:] + paths[:shift]


def channel_extras(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """Zalo and web: the time to the turn's first message and messages per turn."""
    ours = [o for o in outcomes if isinstance(o, ChannelOutcome)]
    if not ours:
        return {}
    firsts = [t.seconds for o in ours for t in o.first_replies]
    counts = [n for o in ours for n in o.messages]
    return {
        "first": {
            "p50_ms": percentile(firsts, 0.5) * 1000,
            "p95_ms": percentile(firsts, 0.95) * 1000,
            "n": len(firsts),
        },
        "messages_per_turn": statistics.mean(counts) if counts else float("nan"),
    }


def cpu_per_turn(
    pids: dict[str, int], before: dict[str, float], outcomes: Sequence[Outcome]
) -> dict[str, float]:
    """CPU milliseconds each process spent per completed turn: the sizing basis that a
    busy shared machine distorts least."""
    turns = sum(len(o.turns) for o in outcomes) or 1
    return {name: (cpu_seconds(pid) - before[name]) * 1000 / turns for name, pid in pids.items()}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--residents", help="comma-separated N values (default 1,10,50)")
    parser.add_argument("--runs", type=int, help="runs per case, medians (default 3)")
    parser.add_argument(
        "--channels", default=",".join(LAYERS),
        help="comma-separated layers and channels to drive, of " + ", ".join(LAYERS)
        + " (e.g. `--channels zalo` alone; the ratios to Telegram need telegram)",
    )  # fmt: skip
    parser.add_argument(
        "--quick", action="store_true",
        help="N = 1 and 10, one run each (unless --residents / --runs say otherwise)",
    )  # fmt: skip
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per turn")
    parser.add_argument(
        "--think", type=float, default=3.0,
        help="mean seconds a resident takes to answer a reply (0: all answer at once)",
    )  # fmt: skip
    parser.add_argument(
        "--stock-engine", action="store_true",
        help="start `rasa run` without our engine fixes (side-by-side comparison)",
    )  # fmt: skip
    parser.add_argument(
        "--pipeline", choices=sorted(PIPELINES), default=SHIPPED,
        help="the engine's pipeline: lean (config.yml, shipped) or tf (config-tf.yml)",
    )  # fmt: skip
    parser.add_argument("--train", action="store_true", help="also time a full rasa train")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/")
    parser.add_argument("--quiet", action="store_true", help="print only the results")
    parser.add_argument("--database-url", help="ticket database (default: a temp SQLite)")
    parser.add_argument("--tracker-store-url", help="tracker store (default: a temp SQLite)")
    args = parser.parse_args(argv)
    residents = args.residents or ("1,10" if args.quick else "1,10,50")
    args.residents = [int(n) for n in residents.split(",") if n.strip()]
    args.runs = args.runs or (1 if args.quick else 3)
    args.channels = [c.strip() for c in args.channels.split(",") if c.strip()]
    unknown = sorted(set(args.channels) - set(LAYERS))
    if unknown or not args.channels:
        parser.error(f"--channels takes some of {', '.join(LAYERS)}; not {unknown}")
    args.channels = [layer for layer in LAYERS if layer in args.channels]  # a fixed order
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    model = ensure_model(args.pipeline)
    results: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "command": "make bench ARGS=" + repr(" ".join(sys.argv[1:])) if argv is None else "",
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "load_at_start": load_average(),
        },
        "model": model.name,
        "pipeline": args.pipeline,
        "think_s": args.think,
        "channels": args.channels,
        "runs": args.runs,
        "engine": "rasa" if args.stock_engine else Stack.engine_module,
        "model_inputs": PIPELINES[args.pipeline].inputs,
    }
    record = training_record(model)
    if record.exists():
        results["training_from_model_script"] = json.loads(record.read_text())
    with tempfile.TemporaryDirectory(prefix="laikhe-bench-") as tmp:
        work = Path(tmp)
        database_url = args.database_url or f"sqlite:///{work / 'tickets.db'}"
        tracker_url = args.tracker_store_url or f"sqlite:///{work / 'tracker.db'}"
        prepare(database_url)
        results["databases"] = {
            "tickets": database_url.split("://")[0],
            "tracker": tracker_url.split("://")[0],
        }
        stack = Stack(
            model=model,
            database_url=database_url,
            tracker_store_url=tracker_url,
            log_dir=work / "logs",
            engine_port=free_port(),
            action_port=free_port(),
            engine_module=results["engine"],
            enable_api=True,  # the NLU-only case calls /model/parse
        )
        say(args.quiet, "starting engine, action server and channels ...")
        # The channels need no engine to start: they load while it does.
        log_dir = work / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        channels = Channels()
        processes: dict[str, subprocess.Popen[bytes]] = {}
        try:
            if "telegram" in args.channels:
                channels.telegram = FakeTelegramServer(BOT_TOKEN).start()
                processes["bot"] = start_bot(stack, channels.telegram, log_dir)
            if "zalo" in args.channels:
                channels.zalo = FakeZaloServer(ZALO_TOKEN).start()
                processes["zalo"] = start_zalo(stack, channels.zalo, log_dir)
            if "web" in args.channels:
                port = free_port()
                channels.web_url = f"http://127.0.0.1:{port}"
                processes["web"] = start_web(stack, port, log_dir)
            load = load_average()
            started = time.monotonic()
            stack.start(timeout=900)
            results["start"] = {
                "stack_ready_s": time.monotonic() - started,
                "per_process_s": dict(stack.ready_seconds),
                "load": load,
            }
            # PTB deletes any webhook right before it starts polling.
            if channels.telegram is not None:
                channels.telegram.wait_for_requests("deleteWebhook", timeout=600)
            if channels.zalo is not None:
                channels.zalo.wait_for_calls("getUpdates", timeout=600)
            if channels.web_url is not None:
                wait_for_web(channels.web_url, processes["web"], timeout=120)
            pids = {
                "engine": stack.processes["engine"].pid,
                "actions": stack.processes["actions"].pid,
                **{name: process.pid for name, process in processes.items()},
            }
            results["idle_rss"] = {name: rss_bytes(pid) for name, pid in pids.items()}
            say(args.quiet, f"ready: {json.dumps(results['start'])}")
            results["cases"] = {}
            try:
                asyncio.run(run_cases(args, stack, channels, pids, results["cases"]))
            except (Exception, KeyboardInterrupt) as error:  # keep the finished cases
                print(f"interrupted: {error!r}", file=sys.stderr)
        finally:
            for process in processes.values():
                process.terminate()
            for process in processes.values():
                process.wait(timeout=20)
            if channels.telegram is not None:
                channels.telegram.stop()
            if channels.zalo is not None:
                channels.zalo.stop()
            stack.stop()
        if args.train:
            say(args.quiet, "timing a full rasa train ...")
            load = load_average()
            seconds = timed_training(work / "models", args.pipeline)
            results["training"] = {"seconds": seconds, "load": load}
    results["load_at_end"] = load_average()
    out_dir = ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / time.strftime("%Y%m%d-%H%M%S.json")).write_text(
        json.dumps(results, indent=1, default=list)
    )
    docs = ROOT / "docs" / "performance.md"
    if {"parse", "rest", "telegram"} <= set(args.channels):
        text = render(results)
        print(text)
        if not args.no_write:
            write_docs(docs, text)
    if set(args.channels) & {"telegram", "zalo", "web"}:
        text = render_channels(results)
        print(text)
        # The section compares with Telegram: written only when Telegram was in the run.
        if (
            not args.no_write
            and "telegram" in args.channels
            and {"zalo", "web"} & set(args.channels)
        ):
            write_docs(docs, text, CHANNELS_BEGIN, CHANNELS_END)
    return results


if __name__ == "__main__":
    if "--pipelines" in sys.argv[1:]:  # the lean pipeline against the TensorFlow one
        from bench import pipelines

        pipelines.main([arg for arg in sys.argv[1:] if arg != "--pipelines"])
    else:
        main()

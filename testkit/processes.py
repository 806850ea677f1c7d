"""Process memory and machine load from /proc (psutil is not in the lock files)."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path

PROC = Path("/proc")


def children() -> dict[int, list[int]]:
    """Each process id and its direct children, read from /proc."""
    tree: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The command name may hold spaces and parentheses: split after the last ')'.
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def rss_bytes(pid: int, tree: Mapping[int, list[int]] | None = None) -> int:
    """Resident memory of a process and all its descendants."""
    tree = children() if tree is None else tree
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            for line in (PROC / str(current) / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    break
        except OSError:
            continue
        pending.extend(tree.get(current, ()))
    return total


def cpu_seconds(pid: int, tree: Mapping[int, list[int]] | None = None) -> float:
    """User + system CPU time of a process and its descendants. Unlike latency, CPU time
    per message hardly depends on what else the shared machine is doing."""
    tree = children() if tree is None else tree
    ticks, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            fields = (PROC / str(current) / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
        pending.extend(tree.get(current, ()))
    return ticks / os.sysconf("SC_CLK_TCK")


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


class PeakMemory:
    """Samples the RSS of named processes in a thread; keeps the peak of each."""

    def __init__(self, pids: Mapping[str, int], interval: float = 0.5) -> None:
        self._pids = dict(pids)
        self._interval = interval
        self.peak: dict[str, int] = dict.fromkeys(self._pids, 0)
        self.peak_total = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="PeakMemory", daemon=True)

    def sample(self) -> dict[str, int]:
        tree = children()
        now = {name: rss_bytes(pid, tree) for name, pid in self._pids.items()}
        for name, value in now.items():
            self.peak[name] = max(self.peak[name], value)
        self.peak_total = max(self.peak_total, sum(now.values()))
        return now

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.sample()

    def __enter__(self) -> PeakMemory:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

"""The end-to-end tests share one engine and one tracker store per session: two tests
that talk as the same resident chat would continue each other's conversation."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

E2E = Path(__file__).resolve().parent.parent / "e2e"
# A resident chat is named once per test, as `Resident(telegram, N)` or `chat = N`.
CHAT = re.compile(r"Resident\(\s*\w+,\s*(\d+)\s*\)|^\s*chat = (\d+)\s*$", re.MULTILINE)


def test_every_e2e_test_talks_as_its_own_resident() -> None:
    used: dict[int, list[str]] = defaultdict(list)
    for path in sorted(E2E.glob("test_*.py")):
        for match in CHAT.finditer(path.read_text(encoding="utf-8")):
            chat = int(match.group(1) or match.group(2))
            line = path.read_text(encoding="utf-8")[: match.start()].count("\n") + 1
            used[chat].append(f"{path.name}:{line}")
    assert len(used) >= 15  # the pattern still finds the tests' chats
    shared = {chat: places for chat, places in used.items() if len(places) > 1}
    assert shared == {}

"""Run with the engine environment (.venv/engine): Rasa's own SQLTrackerStore.

Tests of the app side use it to build and read a tracker store exactly as the engine
does (its schema, its event rows), not a hand-written imitation of the table.

    python rasa_tracker_store.py URL fill '{"1001": [1.5e9, ...], ...}'
    python rasa_tracker_store.py URL read 1001 2002     # prints {"1001": [timestamps]}
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any
from urllib.parse import urlsplit

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker


def _store(url: str) -> SQLTrackerStore:
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        return SQLTrackerStore(Domain.empty(), dialect="sqlite", db=parts.path)
    return SQLTrackerStore(
        Domain.empty(),
        dialect="postgresql",
        host=parts.hostname,
        port=parts.port,
        db=parts.path.lstrip("/"),
        username=parts.username,
    )


async def _main(url: str, command: str, args: list[str]) -> Any:
    store = _store(url)
    if command == "fill":
        for sender, stamps in json.loads(args[0]).items():
            events = [UserUttered(f"tin nhắn {i}", timestamp=t) for i, t in enumerate(stamps)]
            await store.save(DialogueStateTracker.from_events(sender, events))
        return None
    trackers = {sender: await store.retrieve_full_tracker(sender) for sender in args}
    return {
        sender: [event.timestamp for event in tracker.events] if tracker else []
        for sender, tracker in trackers.items()
    }


if __name__ == "__main__":
    result = asyncio.run(_main(sys.argv[1], sys.argv[2], sys.argv[3:]))
    if result is not None:
        print(json.dumps(result))

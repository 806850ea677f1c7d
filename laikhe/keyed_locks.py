"""One turn at a time per key (a chat, a web session), first come first served.

A chat's messages must not interleave: two answers sent at once could arrive out of
order, and a double click in the chat window must not run two turns of one conversation
side by side. Each key has its own asyncio lock, which wakes its waiters in the order they
came; the entry is dropped when nobody holds or waits for it, so quiet chats cost nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class KeyedLocks(Generic[K]):
    def __init__(self) -> None:
        # key -> (lock, how many hold or wait for it)
        self._entries: dict[K, tuple[asyncio.Lock, int]] = {}

    def busy(self, key: K) -> bool:
        """Someone holds or waits for the key's turn."""
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    @contextlib.asynccontextmanager
    async def turn(self, key: K) -> AsyncIterator[None]:
        lock, users = self._entries.get(key) or (asyncio.Lock(), 0)
        self._entries[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._entries[key]
            if users == 1:
                del self._entries[key]
            else:
                self._entries[key] = (lock, users - 1)

"""KeyedLocks: one turn at a time per key, in arrival order, and nothing kept after."""

from __future__ import annotations

import asyncio

import pytest

from laikhe.keyed_locks import KeyedLocks


async def test_turns_of_one_key_run_one_at_a_time_in_arrival_order() -> None:
    locks: KeyedLocks[str] = KeyedLocks()
    log: list[str] = []

    async def turn(name: str) -> None:
        async with locks.turn("chat"):
            log.append(f"{name} in")
            await asyncio.sleep(0.01)
            log.append(f"{name} out")

    await asyncio.gather(*(turn(name) for name in "abc"))
    assert log == ["a in", "a out", "b in", "b out", "c in", "c out"]
    assert len(locks) == 0 and not locks.busy("chat")


async def test_other_keys_do_not_wait() -> None:
    locks: KeyedLocks[int] = KeyedLocks()
    held = asyncio.Event()
    release = asyncio.Event()

    async def hold() -> None:
        async with locks.turn(1):
            held.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await held.wait()
    assert locks.busy(1) and not locks.busy(2)

    async def other() -> None:
        async with locks.turn(2):
            assert locks.busy(2)

    await asyncio.wait_for(other(), timeout=1)
    release.set()
    await holder
    assert len(locks) == 0


async def test_a_failed_turn_frees_the_key_for_the_next() -> None:
    locks: KeyedLocks[str] = KeyedLocks()
    with pytest.raises(RuntimeError):
        async with locks.turn("chat"):
            raise RuntimeError("the turn failed")
    assert not locks.busy("chat")

    async def again() -> None:
        async with locks.turn("chat"):
            pass

    await asyncio.wait_for(again(), timeout=1)


async def test_a_cancelled_waiter_leaves_no_entry_behind() -> None:
    locks: KeyedLocks[str] = KeyedLocks()
    held = asyncio.Event()
    release = asyncio.Event()

    async def hold() -> None:
        async with locks.turn("chat"):
            held.set()
            await release.wait()

    async def wait() -> None:
        async with locks.turn("chat"):
            pass

    holder = asyncio.create_task(hold())
    await held.wait()
    waiter = asyncio.create_task(wait())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    release.set()
    await holder
    assert len(locks) == 0

"""The Zalo sender's pace, against the fake Zalo server over HTTP: the configured number
of messages a second in all, a second between two messages of one chat, and a 429 that
halves the overall pace (never below one a second) for a while."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from bot.sender import RetryPolicy
from testkit.zalo import FakeZaloServer
from zalo import sender as zalo_sender
from zalo.api import ZaloApi
from zalo.sender import ZaloSender

TOKEN = "4242:pacing-test-token"
# Arrival times at the server shift by the HTTP round trip of the first and last call
# only; a few milliseconds of that may fall on the wrong side of a bound.
SLACK = 0.02
QUICK = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.02, give_up_after=5)


@pytest.fixture
def zalo() -> Iterator[FakeZaloServer]:
    server = FakeZaloServer(TOKEN).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def api(zalo: FakeZaloServer) -> AsyncIterator[ZaloApi]:
    client = ZaloApi(TOKEN, zalo.base_url)
    try:
        yield client
    finally:
        await client.aclose()


def send_times(zalo: FakeZaloServer) -> list[float]:
    return sorted(call.at for call in zalo.calls("sendMessage") if call.status == 200)


async def to_chats(sender: ZaloSender, chats: list[str]) -> None:
    await asyncio.gather(*(sender.deliver(chat, [f"Tin cho {chat}"]) for chat in chats))


async def test_messages_to_many_chats_go_at_the_configured_pace_and_one_chat_waits_a_second(
    zalo: FakeZaloServer, api: ZaloApi
) -> None:
    sender = ZaloSender(api, QUICK, messages_per_second=20)
    await to_chats(sender, [f"c{n}" for n in range(6)])
    times = send_times(zalo)
    assert len(times) == 6
    assert times[-1] - times[0] >= 5 * 0.05 - SLACK

    await sender.deliver("c9", ["Phần một", "Phần hai"])
    first, second = [call.at for call in zalo.calls("sendMessage") if call.body["chat_id"] == "c9"]
    assert second - first >= 1.0 - SLACK


async def test_a_429_halves_the_pace_for_a_while_then_it_comes_back(
    zalo: FakeZaloServer, api: ZaloApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(zalo_sender, "SLOWER_FOR", 1.5)
    sender = ZaloSender(api, QUICK, messages_per_second=20)
    zalo.fail_next("sendMessage", 1, status=429)
    await sender.deliver("c0", ["Xin chào"])  # refused once, then sent
    assert [call.status for call in zalo.calls("sendMessage")] == [429, 200]
    assert sender.messages_per_second == pytest.approx(10)

    await to_chats(sender, [f"c{n}" for n in range(1, 7)])
    times = send_times(zalo)[1:]
    assert len(times) == 6
    assert times[-1] - times[0] >= 5 * 0.1 - SLACK

    await asyncio.sleep(1.6)
    await sender.deliver("c7", ["Lại nhanh"])
    assert sender.messages_per_second == pytest.approx(20)


async def test_429s_never_slow_the_pace_below_one_message_a_second(
    zalo: FakeZaloServer, api: ZaloApi
) -> None:
    sender = ZaloSender(api, QUICK, messages_per_second=3)
    zalo.fail_next("sendMessage", 2, status=429)
    await sender.deliver("c0", ["Xin chào"])
    assert [call.status for call in zalo.calls("sendMessage")] == [429, 429, 200]
    assert sender.messages_per_second == pytest.approx(1)

    slow = ZaloSender(api, QUICK, messages_per_second=0.5)  # configured below the floor
    zalo.fail_next("sendMessage", 1, status=429)
    await slow.deliver("c1", ["Xin chào"])
    assert slow.messages_per_second == pytest.approx(0.5)


async def test_two_replies_to_one_chat_at_once_do_not_interleave(
    zalo: FakeZaloServer, api: ZaloApi
) -> None:
    """A turn's reply and an office's answer for the same chat: each goes whole, in the
    order they came."""
    sender = ZaloSender(api, QUICK, per_chat_interval=0.05)
    await asyncio.gather(
        sender.deliver("c1", ["Trả lời 1", "Trả lời 2"]),
        sender.deliver("c1", ["Cán bộ 1", "Cán bộ 2"]),
    )
    sent = [call for call in zalo.calls("sendMessage") if call.status == 200]
    assert [call.body["text"] for call in sent] == [
        "Trả lời 1",
        "Trả lời 2",
        "Cán bộ 1",
        "Cán bộ 2",
    ]

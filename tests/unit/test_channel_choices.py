"""Buttons as numbered choices (terminal chat, Zalo), texts cut for a channel's limit, and
how a Zalo update and a Zalo error are read."""

from __future__ import annotations

import httpx
import pytest

from bot.conversation import Reply
from bot.terminal import render as terminal_render
from laikhe.choices import CHOICE_HINT, Button, pick, with_choices
from laikhe.chunks import fewest_messages, split_text
from laikhe.senders import zalo_chat_of, zalo_sender_id
from zalo.api import ZaloApiError, ZaloUnreadable, classify
from zalo.app import read_update
from zalo.app import render as zalo_render
from zalo.choice_memory import ChoiceMemory

CONSENT = (Button("Đồng ý", "/affirm"), Button("Không đồng ý", "/deny"))
FIELDS = (
    Button("Hạ tầng số (Internet, sóng, wifi)", '/inform{"category":"ha_tang_so"}'),
    Button("Vấn đề khác", '/inform{"category":"khac"}'),
)


@pytest.mark.parametrize(
    ("typed", "payload"),
    [
        ("1", "/affirm"),
        (" 2 ", "/deny"),
        ("số 2", "/deny"),
        ("Đồng ý", "/affirm"),
        ("dong y", "/affirm"),
        ("ĐỒNG Ý!", "/affirm"),
        ("khong dong y", "/deny"),
    ],
)
def test_a_number_or_a_title_presses_the_button(typed: str, payload: str) -> None:
    chosen = pick(typed, CONSENT)
    assert chosen is not None and chosen.payload == payload


@pytest.mark.parametrize("typed", ["3", "0", "", "có", "tôi đồng ý với việc này", "12"])
def test_anything_else_is_left_to_the_engine(typed: str) -> None:
    assert pick(typed, CONSENT) is None


def test_titles_with_punctuation_match_without_it() -> None:
    chosen = pick("ha tang so internet song wifi", FIELDS)
    assert chosen is not None and chosen.payload.endswith('"ha_tang_so"}')


def test_two_buttons_with_one_title_need_the_number() -> None:
    twins = (Button("Xem", "/a"), Button("Xem", "/b"))
    assert pick("xem", twins) is None
    assert pick("2", twins) == twins[1]


def test_the_terminal_numbers_across_the_turn_as_before() -> None:
    text, buttons = terminal_render([Reply("Chọn", CONSENT), Reply("Rồi chọn", FIELDS[:1])])
    assert text == (
        "Trợ lý: Chọn\n  [1] Đồng ý\n  [2] Không đồng ý\n"
        "Trợ lý: Rồi chọn\n  [3] Hạ tầng số (Internet, sóng, wifi)"
    )
    assert buttons == [*CONSENT, FIELDS[0]]


def test_zalo_texts_number_on_across_the_turn_and_say_how_to_answer() -> None:
    texts, buttons = zalo_render([Reply("Chọn", CONSENT), Reply("Lĩnh vực?", FIELDS)])
    assert texts == [
        f"Chọn\n  [1] Đồng ý\n  [2] Không đồng ý\n{CHOICE_HINT}\n\n"
        f"Lĩnh vực?\n  [3] {FIELDS[0].title}\n  [4] Vấn đề khác\n{CHOICE_HINT}",
    ]
    assert buttons == (*CONSENT, *FIELDS)
    assert with_choices("Không có nút", ()) == "Không có nút"


def test_zalo_texts_stay_within_2000_characters_cut_at_sentences() -> None:
    long = " ".join(f"Câu thứ {n} nói về thủ tục hành chính của xã." for n in range(120))
    texts, _ = zalo_render([Reply(long, CONSENT)])
    assert len(texts) >= 3 and all(len(text) <= 2000 for text in texts)
    assert all(text.endswith("xã.") for text in texts[:-1])
    assert texts[-1].endswith(CHOICE_HINT)
    assert " ".join(texts).count("thủ tục hành chính") == 120


def test_a_zalo_turn_is_one_message_with_the_choices_at_its_end() -> None:
    answer = "Giấy khai sinh làm tại bộ phận một cửa của xã."
    texts, buttons = zalo_render([Reply(answer), Reply("Câu trả lời có giúp ích không?", CONSENT)])
    assert texts == [
        f"{answer}\n\nCâu trả lời có giúp ích không?\n"
        f"  [1] Đồng ý\n  [2] Không đồng ý\n{CHOICE_HINT}"
    ]
    assert buttons == CONSENT


def test_a_zalo_turn_too_long_for_one_message_keeps_its_order_and_choices_last() -> None:
    first = "a" * 1200
    texts, _ = zalo_render([Reply(first), Reply("b" * 900), Reply("Chọn", CONSENT)])
    # 1,200 + 2 + 900 is over 2,000: the second reply starts a message, the last joins it.
    last = "b" * 900 + f"\n\nChọn\n  [1] Đồng ý\n  [2] Không đồng ý\n{CHOICE_HINT}"
    assert texts == [first, last]


def test_fewest_messages_joins_while_within_the_limit() -> None:
    assert fewest_messages(["aaa", "bbb", "ccc"], 8) == ["aaa\n\nbbb", "ccc"]
    assert fewest_messages(["aaa", "bbb"], 8) == ["aaa\n\nbbb"]  # exactly the limit
    assert fewest_messages(["aaa", "bbb"], 7) == ["aaa", "bbb"]
    assert fewest_messages(["aaaa bbbb cccc", "dd"], 10) == ["aaaa bbbb", "cccc\n\ndd"]
    assert fewest_messages(["x" * 25, "y"], 10) == ["x" * 10, "x" * 10, "x" * 5 + "\n\ny"]
    assert fewest_messages(["", "  ", "z"], 10) == ["z"]
    assert fewest_messages([], 10) == []


def test_split_prefers_a_line_end_then_a_sentence_then_a_space() -> None:
    assert split_text("aaaa\nbbbb. cccc", 12) == ["aaaa\nbbbb.", "cccc"]
    assert split_text("aaaaaa bbbb. cc dd", 14) == ["aaaaaa bbbb.", "cc dd"]
    assert split_text("aaaaaaa bbbbbbb", 10) == ["aaaaaaa", "bbbbbbb"]
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]
    assert split_text("ngắn", 10) == ["ngắn"]


def test_zalo_sender_ids_are_namespaced() -> None:
    assert zalo_sender_id("12345") == "zalo:12345"
    assert zalo_chat_of("zalo:12345") == "12345"
    assert zalo_chat_of("12345") is None
    assert zalo_chat_of("zalo:") is None


def test_an_update_is_read_as_documented() -> None:
    update = {
        "event_name": "message.text.received",
        "message": {
            "from": {"id": "u1", "display_name": "A"},
            "chat": {"id": "c9", "chat_type": "PRIVATE"},
            "message_id": "m7",
            "date": 1750316131602,
            "text": "xin chào",
        },
    }
    incoming = read_update(update)
    assert incoming is not None
    assert (incoming.chat_id, incoming.private, incoming.message_id, incoming.text) == (
        "c9", True, "m7", "xin chào",
    )  # fmt: skip
    update["message"]["chat"]["chat_type"] = "GROUP"  # type: ignore[index]
    group = read_update(update)
    assert group is not None and not group.private
    assert read_update({"event_name": "message.text.received"}) is None
    assert read_update({"message": {"chat": {}}}) is None


@pytest.mark.parametrize("chat_id", [None, "", {"id": "c9"}, ["c9"], True, 1.5, "c" * 65], ids=repr)
def test_an_update_without_a_chat_id_of_the_right_shape_is_not_read(chat_id: object) -> None:
    """No one to answer: a forged update is dropped before anything is sent anywhere."""
    update = {"event_name": "message.text.received", "message": {"chat": {"id": chat_id}}}
    assert read_update(update) is None


def test_fields_of_the_wrong_type_are_read_as_missing() -> None:
    update = {
        "event_name": ["message.text.received"],
        "message": {
            "from": {"id": {"x": 1}},
            "chat": {"id": 42},
            "message_id": {"m": 7},
            "text": 12345,
            "photo": {"url": "https://x.example/p.jpg"},
        },
    }
    incoming = read_update(update)
    assert incoming is not None
    assert (incoming.chat_id, incoming.event, incoming.message_id, incoming.user_id) == (
        "42", "", None, None,
    )  # fmt: skip
    assert (incoming.text, incoming.photo_url) == (None, None)


def test_choice_memory_keeps_the_newest_choices_of_a_bounded_number_of_chats() -> None:
    memory = ChoiceMemory(max_chats=2)
    memory.show("a", CONSENT)
    memory.show("b", FIELDS)
    memory.show("a", FIELDS)
    memory.show("c", CONSENT)  # "b" is the oldest now and goes
    assert memory.on_screen("a") == FIELDS
    assert memory.on_screen("b") == ()
    memory.show("a", ())
    assert memory.on_screen("a") == ()


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (ZaloApiError(429, "Too Many Requests"), "retry"),
        (ZaloApiError(500, "Internal"), "retry"),
        (ZaloApiError(503, "Unavailable"), "retry"),
        (ZaloApiError(400, "Bad Request"), "failed"),
        (ZaloApiError(403, "Forbidden"), "failed"),
        (httpx.ConnectError("refused"), "retry"),
        (httpx.ReadTimeout("slow"), "unknown"),
        (httpx.RemoteProtocolError("closed"), "unknown"),
        (ZaloUnreadable("sendMessage"), "unknown"),
    ],
)
def test_only_what_surely_was_not_sent_is_retried(error: Exception, kind: str) -> None:
    assert classify(error).kind == kind


def test_a_given_retry_after_pauses_the_whole_bot() -> None:
    outcome = classify(ZaloApiError(429, "slow down", retry_after=3))
    assert (outcome.kind, outcome.delay, outcome.flood) == ("retry", 3, True)

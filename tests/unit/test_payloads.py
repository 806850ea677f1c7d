"""Button payloads are written in one place (laikhe.payloads)."""

from __future__ import annotations

from laikhe.payloads import fits_a_button, payload


def test_a_payload_is_the_intent_and_compact_json_entities() -> None:
    assert payload("give_feedback") == "/give_feedback"
    assert payload("inform", kind="gop_y") == '/inform{"kind":"gop_y"}'
    assert payload("faq_vote", vote="no", faq_topic="privacy") == (
        '/faq_vote{"vote":"no","faq_topic":"privacy"}'
    )


def test_a_value_cannot_break_out_of_its_string() -> None:
    # A quote in a value (a file id, a code) is escaped, not closing the JSON early.
    assert payload("inform", photo='a"b') == '/inform{"photo":"a\\"b"}'


def test_the_telegram_limit_is_counted_in_bytes() -> None:
    assert fits_a_button("x" * 64)
    assert not fits_a_button("x" * 65)
    assert not fits_a_button("ả" * 22)  # 66 bytes in UTF-8

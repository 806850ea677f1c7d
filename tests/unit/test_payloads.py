"""Button payloads are written, and the ticket and staff buttons read back, in one place
(laikhe.payloads)."""

from __future__ import annotations

import json

import pytest

from laikhe.payloads import (
    CALLBACK_DATA_MAX_BYTES,
    CLOSE,
    FORWARD_TO,
    OUTSIDE,
    STAFF_PREFIX,
    TAKE,
    StaffButton,
    TicketOp,
    fits_a_button,
    parse_staff_callback,
    parse_ticket_op,
    payload,
    staff_callback,
    ticket_op,
)


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


# --- the ticket buttons' op and the staff buttons' callback data ----------------------


def test_payloads_fit_telegram_callback_data() -> None:
    longest = ticket_op("withdraw", "ABCDEFGH-2026-999999", "ok")
    assert longest == '/ticket_op{"op":"withdraw:ABCDEFGH-2026-999999:ok"}'
    assert len(longest.encode()) <= 64
    with pytest.raises(ValueError):
        ticket_op("withdraw", "X" * 60)


@pytest.mark.parametrize(
    "op",
    [
        TicketOp("show", "LK-2026-000001"),
        TicketOp("rate", "LK-2026-000001", "5"),
        TicketOp("withdraw", "ABCDEFGH-2026-999999", "ok"),
        TicketOp("reopen", "LK-2026-000001"),
        TicketOp("add", "lk-2026-7"),  # as written: the conversation makes it a code
    ],
)
def test_a_ticket_op_reads_back_as_it_was_written(op: TicketOp) -> None:
    data = ticket_op(op.verb, op.code, op.arg)
    assert data == payload("ticket_op", op=op.value)
    [value] = json.loads(data.removeprefix("/ticket_op")).values()
    assert parse_ticket_op(value) == op


@pytest.mark.parametrize(
    "value",
    ["delete:LK-2026-000001", "rate:LK-2026-000001:5:6", "show", "", None, 5],
)
def test_what_is_no_ticket_op_reads_as_none(value: object) -> None:
    assert parse_ticket_op(value) is None


def test_an_unknown_verb_is_never_written() -> None:
    with pytest.raises(ValueError, match="unknown ticket operation"):
        ticket_op("delete", "LK-2026-000001")


@pytest.mark.parametrize(
    "button",
    [
        StaffButton(TAKE, "LK-2026-000001"),
        StaffButton(CLOSE, "ABCDEFGH-2026-999999"),
        StaffButton(FORWARD_TO, "LK-2026-000001", ("VP",)),
        StaffButton(FORWARD_TO, "LK-2026-000001", (OUTSIDE,)),
    ],
)
def test_a_staff_button_reads_back_as_it_was_written(button: StaffButton) -> None:
    data = staff_callback(button.op, button.code, *button.extra)
    assert data.startswith(f"{STAFF_PREFIX}:") and fits_a_button(data)
    assert parse_staff_callback(data) == button


def test_staff_callback_data_is_the_prefix_op_code_and_extra() -> None:
    assert staff_callback(FORWARD_TO, "LK-2026-000123", "THON-MAU-1") == (
        "st:ft:LK-2026-000123:THON-MAU-1"
    )


def test_the_longest_staff_button_fits_and_a_longer_one_is_refused() -> None:
    # The longest code (8-letter prefix, 6 digits) forwarded to the longest office code
    # the configuration accepts (laikhe.commune: 32 characters).
    longest = staff_callback(FORWARD_TO, "ABCDEFGH-2026-999999", "O" * 32)
    assert len(longest.encode()) <= CALLBACK_DATA_MAX_BYTES
    with pytest.raises(ValueError, match="64 bytes"):
        staff_callback(FORWARD_TO, "ABCDEFGH-2026-999999", "O" * 40)


@pytest.mark.parametrize(
    "data", ["st:c", "st", "", '/ticket_op{"op":"show:LK-2026-000001"}', "xx:c:LK-2026-000001"]
)
def test_what_is_no_staff_button_reads_as_none(data: str) -> None:
    assert parse_staff_callback(data) is None

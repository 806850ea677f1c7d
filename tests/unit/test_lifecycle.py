"""The ticket's life as services.lifecycle defines it: groups, who may do what, and the
guard that keeps every state write in one function."""

from __future__ import annotations

import ast
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from db.models import Ticket, TicketState
from services import lifecycle
from services.lifecycle import Actor, ActorKind, NotAllowed, Step, may, resident_steps, staff_steps

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)
PRODUCT = ("actions", "admin", "bot", "db", "laikhe", "reports", "services", "web")


def test_every_state_is_in_exactly_one_group() -> None:
    groups = (lifecycle.OPEN, lifecycle.ANSWERED, lifecycle.FINAL)
    assert sum(len(group) for group in groups) == len(TicketState)
    assert frozenset().union(*groups) == frozenset(TicketState)


def test_every_state_but_the_final_ones_can_be_left_by_staff() -> None:
    for state in TicketState:
        if state in lifecycle.FINAL:
            assert staff_steps(state) == [], state
        else:
            assert staff_steps(state), state


def test_staff_steps_follow_the_table() -> None:
    assert staff_steps(TicketState.NEW) == [
        Step.TAKE,
        Step.ANSWER,
        Step.FORWARD,
        Step.FORWARD_OUT,
        Step.REJECT,
        Step.MARK_DUPLICATE,
        Step.CLOSE,
    ]
    assert staff_steps(TicketState.ANSWERED) == [Step.CLOSE]
    assert not may(Step.WITHDRAW, TicketState.NEW, ActorKind.STAFF)
    assert not may(Step.ANSWER, TicketState.NEW, ActorKind.RESIDENT)


class _Seen:
    def __init__(self, state: TicketState, satisfaction: int | None = None) -> None:
        self.state = state
        self.satisfaction = satisfaction


@pytest.mark.parametrize(
    ("state", "satisfaction", "finished_days_ago", "expected"),
    [
        (TicketState.NEW, None, None, [Step.ADD_INFO, Step.WITHDRAW]),
        (TicketState.ASSIGNED, None, None, [Step.ADD_INFO]),
        (TicketState.REOPENED, None, None, [Step.ADD_INFO]),
        (TicketState.ANSWERED, None, 3, [Step.REOPEN]),
        (TicketState.ANSWERED, None, 31, []),
        (TicketState.CLOSED, None, 30, [Step.REOPEN, Step.RATE]),
        (TicketState.CLOSED, 4, 31, []),
        # No stamp (rows from before the stamps): the resident gets the benefit.
        (TicketState.CLOSED, 5, None, [Step.REOPEN]),
        (TicketState.WITHDRAWN, None, None, []),
        (TicketState.DUPLICATE, None, None, []),
        (TicketState.REJECTED, None, None, []),
    ],
)
def test_resident_steps(
    state: TicketState,
    satisfaction: int | None,
    finished_days_ago: int | None,
    expected: list[Step],
) -> None:
    finished = None if finished_days_ago is None else NOW - timedelta(days=finished_days_ago)
    assert resident_steps(_Seen(state, satisfaction), finished_at=finished, now=NOW) == expected


def test_submit_fills_the_state_and_the_first_history_row() -> None:
    ticket = Ticket()
    event = lifecycle.apply(
        None,  # type: ignore[arg-type]  # a new ticket's row goes with it, not via the session
        ticket,
        Step.SUBMIT,
        by=Actor.resident("telegram"),
        now=NOW,
        note="Tiếp nhận",
    )
    assert ticket.state is TicketState.NEW and ticket.updated_at == NOW
    assert event is not None and ticket.events == [event]
    assert (event.from_state, event.to_state, event.actor) == (None, "new", "resident:telegram")


@pytest.mark.parametrize("step", [s for s in Step if s is not Step.SUBMIT])
def test_nothing_but_submit_starts_a_ticket(step: Step) -> None:
    with pytest.raises(NotAllowed):
        lifecycle.apply(None, Ticket(), step, by=Actor.resident("telegram"), now=NOW)  # type: ignore[arg-type]


def test_staff_cannot_submit() -> None:
    with pytest.raises(NotAllowed):
        lifecycle.apply(None, Ticket(), Step.SUBMIT, by=Actor.system("x"), now=NOW)  # type: ignore[arg-type]


def _writes(tree: ast.AST) -> list[str]:
    """`<x>.state = ...` assignments and `TicketEvent(...)` constructions."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                # `self.state` is an exception's or a view's own field, not a ticket's.
                if (
                    isinstance(target, ast.Attribute)
                    and target.attr == "state"
                    and not (isinstance(target.value, ast.Name) and target.value.id == "self")
                ):
                    found.append(f"state write at line {node.lineno}")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "TicketEvent"
        ):
            found.append(f"history row at line {node.lineno}")
    return found


def test_only_the_lifecycle_writes_a_state_or_a_history_row() -> None:
    writers = {}
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            writes = _writes(ast.parse(path.read_text(encoding="utf-8")))
            if writes:
                writers[str(path.relative_to(ROOT))] = writes
    assert list(writers) == ["services/lifecycle.py"], writers
    assert len(writers["services/lifecycle.py"]) == 2  # one state write, one history row


def test_the_documented_diagram_is_the_table() -> None:
    from scripts import state_diagram

    text = state_diagram.DOC.read_text(encoding="utf-8")
    assert state_diagram.section() in text
    assert state_diagram.written(text) == text


def test_finished_at_is_the_stamp_of_the_step_into_the_state() -> None:
    answered, closed = NOW - timedelta(days=2), NOW - timedelta(days=1)
    ticket = Ticket(state=TicketState.CLOSED, answered_at=answered, closed_at=closed)
    assert lifecycle.finished_at(ticket) == closed
    ticket.state = TicketState.ANSWERED
    assert lifecycle.finished_at(ticket) == answered
    ticket.state = TicketState.REOPENED
    assert lifecycle.finished_at(ticket) is None


def test_overdue_only_while_open_and_past_due() -> None:
    today = NOW.date()
    yesterday = today - timedelta(days=1)
    assert lifecycle.overdue(TicketState.ASSIGNED, yesterday, today)
    assert not lifecycle.overdue(TicketState.ASSIGNED, today, today)
    assert not lifecycle.overdue(TicketState.ANSWERED, yesterday, today)


def test_handled_on_time_means_on_or_before_the_due_date() -> None:
    due = NOW.date()
    assert lifecycle.handled_on_time(due - timedelta(days=3), due)
    assert lifecycle.handled_on_time(due, due)
    assert not lifecycle.handled_on_time(due + timedelta(days=1), due)

"""The ticket's life, defined once: its state groups, what may happen in which state and
by whom, and the one function that changes a state and writes the history row.

Every entry point (Telegram buttons for staff and residents, the report, the digest,
erasure, retention, and the channels still to come) asks this module instead of keeping
its own list of states. `docs/architecture.md` draws the diagram from `TRANSITIONS`
(`python -m scripts.state_diagram`).

Claiming the row against a concurrent change stays with the caller
(services/tickets.claim_or_recheck): it restates what the caller read, which may be more
than the state (the office, the assignee, the sender).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final, Literal, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import StaffMember, Ticket, TicketEvent, TicketState

# Staff are still working on it: a new message about the same problem would duplicate it.
OPEN: Final = frozenset({TicketState.NEW, TicketState.ASSIGNED, TicketState.REOPENED})
# Staff answered; the resident may still reopen it, staff may still close it.
ANSWERED: Final = frozenset({TicketState.ANSWERED})
# Nothing more happens here, except a reopening of a closed ticket within the window.
FINAL: Final = frozenset(
    {
        TicketState.CLOSED,
        TicketState.FORWARDED,
        TicketState.REJECTED,
        TicketState.DUPLICATE,
        TicketState.WITHDRAWN,
    }
)
# Handled with an outcome the resident can judge (the report's "đã giải quyết").
RESOLVED: Final = frozenset({TicketState.ANSWERED, TicketState.CLOSED})

# A resident may say the answer did not solve the problem for this long.
REOPEN_WINDOW: Final = timedelta(days=30)


class ActorKind(enum.Enum):
    RESIDENT = "resident"
    STAFF = "staff"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    # Who, as the history shows it ("staff:123 Nguyễn Văn An", "resident:telegram").
    label: str

    @classmethod
    def resident(cls, channel: str) -> Actor:
        return cls(ActorKind.RESIDENT, f"resident:{channel}"[:80])

    @classmethod
    def staff(cls, member: StaffMember) -> Actor:
        # A member known by Zalo only is named by the member number, not the Zalo id.
        who = member.telegram_user_id if member.telegram_user_id is not None else f"#{member.id}"
        return cls(ActorKind.STAFF, f"staff:{who} {member.full_name}"[:80])

    @classmethod
    def system(cls, name: str) -> Actor:
        return cls(ActorKind.SYSTEM, f"system:{name}"[:80])


class Step(enum.Enum):
    SUBMIT = "submit"
    TAKE = "take"
    ANSWER = "answer"
    FORWARD = "forward"  # to another office of the commune: it starts there as new
    FORWARD_OUT = "forward_out"  # to an authority outside the commune
    REJECT = "reject"
    MARK_DUPLICATE = "mark_duplicate"
    CLOSE = "close"
    ADD_INFO = "add_info"
    WITHDRAW = "withdraw"
    REOPEN = "reopen"
    RATE = "rate"
    ERASE = "erase"  # the sender's data erased while staff were still working on it
    NOTE = "note"  # a line in the history that changes nothing (delivery failure, expiry)
    # Staff's own note for colleagues, in any state; the resident is never told.
    INTERNAL_NOTE = "internal_note"


Stamp = Literal["answered_at", "closed_at"]
_ANY: Final = frozenset(TicketState)


@dataclass(frozen=True)
class Transition:
    step: Step
    actors: frozenset[ActorKind]
    sources: frozenset[TicketState | None]
    # None: the state stays (a note in the history, not a transition).
    target: TicketState | None
    stamp: Stamp | None = None
    # What described the previous cycle and no longer holds.
    clears: tuple[Stamp, ...] = ()
    # False for steps whose trace is the ticket row itself (the rating).
    writes_history: bool = True
    # The history row is staff's note for colleagues (TicketEvent.internal).
    internal: bool = False


_RESIDENT: Final = frozenset({ActorKind.RESIDENT})
_STAFF: Final = frozenset({ActorKind.STAFF})

TRANSITIONS: Final[dict[Step, Transition]] = {
    t.step: t
    for t in (
        Transition(Step.SUBMIT, _RESIDENT, frozenset({None}), TicketState.NEW),
        Transition(Step.TAKE, _STAFF, OPEN, TicketState.ASSIGNED),
        Transition(Step.ANSWER, _STAFF, OPEN, TicketState.ANSWERED, stamp="answered_at"),
        Transition(Step.FORWARD, _STAFF, OPEN, TicketState.NEW),
        Transition(Step.FORWARD_OUT, _STAFF, OPEN, TicketState.FORWARDED),
        Transition(Step.REJECT, _STAFF, OPEN, TicketState.REJECTED),
        Transition(Step.MARK_DUPLICATE, _STAFF, OPEN, TicketState.DUPLICATE),
        Transition(Step.CLOSE, _STAFF, OPEN | ANSWERED, TicketState.CLOSED, stamp="closed_at"),
        Transition(Step.ADD_INFO, _RESIDENT, OPEN, None),
        Transition(Step.WITHDRAW, _RESIDENT, frozenset({TicketState.NEW}), TicketState.WITHDRAWN),
        Transition(
            Step.REOPEN,
            _RESIDENT,
            RESOLVED,
            TicketState.REOPENED,
            clears=("answered_at", "closed_at"),
        ),
        Transition(
            Step.RATE, _RESIDENT, frozenset({TicketState.CLOSED}), None, writes_history=False
        ),
        Transition(Step.ERASE, _RESIDENT, OPEN, TicketState.WITHDRAWN),
        Transition(Step.NOTE, frozenset(ActorKind), _ANY, None),
        Transition(Step.INTERNAL_NOTE, _STAFF, _ANY, None, internal=True),
    )
}


# The timestamp the step into each state sets ("closed" -> closed_at).
_STAMP_OF: Final[dict[TicketState, Stamp]] = {
    t.target: t.stamp for t in TRANSITIONS.values() if t.target is not None and t.stamp is not None
}


def finished_at(ticket: Ticket) -> datetime | None:
    """When the ticket reached its current state, for the states whose step stamps it
    (answered, closed); None for the others, or a row written before the stamps."""
    stamp = _STAMP_OF.get(ticket.state)
    return getattr(ticket, stamp) if stamp is not None else None


def overdue(state: TicketState, due_date: date, today: date) -> bool:
    """Still being worked on, and past its due date."""
    return state in OPEN and due_date < today


def handled_on_time(handled_on: date, due_date: date) -> bool:
    """The report's and the overview page's rule: the first answer or closing (its commune
    date) came on or before the due date. services/dashboard.py states it in SQL."""
    return handled_on <= due_date


class NotAllowed(Exception):
    """The step is not possible from the ticket's state, or not for this actor."""

    def __init__(self, step: Step, state: TicketState | None) -> None:
        super().__init__(f"{step.value} from {state.value if state else 'nothing'}")
        self.step = step
        self.state = state


def may(step: Step, state: TicketState | None, actor: ActorKind | None = None) -> bool:
    """Whether `step` can happen to a ticket in `state` (by this kind of actor)."""
    transition = TRANSITIONS[step]
    return state in transition.sources and (actor is None or actor in transition.actors)


class ResidentView(Protocol):
    """What the resident's buttons depend on (a Ticket or a services.tickets.TicketStatus)."""

    @property
    def state(self) -> TicketState: ...

    @property
    def satisfaction(self) -> int | None: ...


def within_reopen_window(finished_at: datetime | None, now: datetime) -> bool:
    # No stamp (rows from before the stamps existed): the resident is given the benefit.
    return finished_at is None or now - finished_at <= REOPEN_WINDOW


def resident_steps(
    ticket: ResidentView, *, finished_at: datetime | None, now: datetime
) -> list[Step]:
    """What the sender may do with their ticket now, in the order buttons show it."""
    steps = [
        step
        for step in (Step.ADD_INFO, Step.WITHDRAW, Step.REOPEN, Step.RATE)
        if may(step, ticket.state, ActorKind.RESIDENT)
    ]
    if Step.REOPEN in steps and not within_reopen_window(finished_at, now):
        steps.remove(Step.REOPEN)
    if Step.RATE in steps and ticket.satisfaction is not None:
        steps.remove(Step.RATE)
    return steps


def staff_steps(state: TicketState) -> list[Step]:
    """What office staff may do with a ticket in `state` (the group card's buttons): the
    steps that move it; notes, possible in every state, are not among them."""
    return [
        step
        for step, transition in TRANSITIONS.items()
        if ActorKind.STAFF in transition.actors
        and transition.target is not None
        and state in transition.sources
    ]


def apply(
    session: AsyncSession,
    ticket: Ticket,
    step: Step,
    *,
    by: Actor,
    now: datetime,
    note: str | None = None,
) -> TicketEvent | None:
    """Move the ticket by `step`: check, set the state and its timestamp, write the
    history row. The one place a ticket's state is written.

    Raises NotAllowed when the step is not possible now; callers check first with `may`
    to word a refusal, so this is the guard of last resort."""
    transition = TRANSITIONS[step]
    # A ticket being created has no state yet (the column is filled here).
    current: TicketState | None = ticket.state if ticket.id is not None else None
    if current not in transition.sources or by.kind not in transition.actors:
        raise NotAllowed(step, current)
    target = transition.target or current
    assert target is not None  # SUBMIT has a target; every other step starts from a state
    ticket.state = target
    ticket.updated_at = now
    if transition.stamp is not None:
        setattr(ticket, transition.stamp, now)
    for stamp in transition.clears:
        setattr(ticket, stamp, None)
    if not transition.writes_history:
        return None
    event = TicketEvent(
        at=now,
        actor=by.label,
        from_state=current,
        to_state=target,
        note=note,
        internal=transition.internal,
    )
    if ticket.id is None:
        ticket.events.append(event)
    else:
        # Not through ticket.events: the collection may be unloaded, and an async
        # session refuses the lazy load appending to it would need.
        event.ticket_id = ticket.id
        session.add(event)
    return event

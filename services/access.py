"""What a staff member may read: which tickets, which reports (Luật Bảo vệ dữ liệu cá
nhân: need to know)."""

from __future__ import annotations

from typing import Final

from db.models import StaffMember, StaffRole, Ticket

# Roles that oversee every office: they see all tickets, still subject to the
# confidentiality flag below.
COMMUNE_WIDE_ROLES: Final = frozenset({StaffRole.COMMUNE_LEADER, StaffRole.ADMIN})
# Roles tied to one office: its tickets, its report.
OFFICE_ROLES: Final = frozenset({StaffRole.OFFICER, StaffRole.OFFICE_LEAD})


def in_scope(staff: StaffMember, ticket: Ticket) -> bool:
    """The ticket is among those this member oversees: same office, or a commune-wide
    role (services.ticket_queries.in_scope_of is the same rule as a query)."""
    if not staff.active:
        return False
    if staff.role in COMMUNE_WIDE_ROLES:
        return True
    return staff.office_id is not None and staff.office_id == ticket.office_id


def can_read_ticket(staff: StaffMember, ticket: Ticket) -> bool:
    """Same office, or a commune-wide role; confidential tickets only with clearance."""
    if ticket.confidential and not staff.can_read_confidential:
        return False
    return in_scope(staff, ticket)


def may_request_report(
    role: str | None, office_code_of_staff: str | None, requested_office: str | None
) -> bool:
    """Whether a staff member may get a report.

    No role means not registered staff: refused. Commune leaders and administrators get
    the commune-wide report and any office's. Officers and office leads get their own
    office's report only, never the commune-wide one (it would show the other offices'
    figures) and never another office's.
    """
    if role is None:
        return False
    if role in COMMUNE_WIDE_ROLES:
        return True
    if role in OFFICE_ROLES:
        return (
            office_code_of_staff is not None
            and requested_office is not None
            and requested_office.upper() == office_code_of_staff.upper()
        )
    return False

"""Which tickets a staff member may read (Luật Bảo vệ dữ liệu cá nhân: need to know)."""

from __future__ import annotations

from typing import Final

from db.models import StaffMember, StaffRole, Ticket

# Roles that oversee every office: they see all tickets, still subject to the
# confidentiality flag below.
COMMUNE_WIDE_ROLES: Final = frozenset({StaffRole.COMMUNE_LEADER, StaffRole.ADMIN})


def can_read_ticket(staff: StaffMember, ticket: Ticket) -> bool:
    """Same office, or a commune-wide role; confidential tickets only with clearance."""
    if not staff.active:
        return False
    if ticket.confidential and not staff.can_read_confidential:
        return False
    if staff.role in COMMUNE_WIDE_ROLES:
        return True
    return staff.office_id is not None and staff.office_id == ticket.office_id

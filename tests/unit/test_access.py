from __future__ import annotations

import pytest

from db.models import StaffMember, StaffRole, Ticket
from services.access import can_read_ticket

KT, VP = 4, 3


def staff(
    role: StaffRole = StaffRole.OFFICER,
    office_id: int | None = KT,
    *,
    confidential: bool = False,
    active: bool = True,
) -> StaffMember:
    return StaffMember(
        telegram_user_id=1,
        full_name="Cán bộ",
        role=role,
        office_id=office_id,
        can_read_confidential=confidential,
        active=active,
    )


def ticket(office_id: int = KT, *, confidential: bool = False) -> Ticket:
    return Ticket(office_id=office_id, confidential=confidential)


@pytest.mark.parametrize("role", [StaffRole.OFFICER, StaffRole.OFFICE_LEAD])
def test_office_staff_read_their_own_office_only(role: StaffRole) -> None:
    assert can_read_ticket(staff(role), ticket(KT))
    assert not can_read_ticket(staff(role), ticket(VP))
    assert not can_read_ticket(staff(role, office_id=None), ticket(KT))


@pytest.mark.parametrize("role", [StaffRole.COMMUNE_LEADER, StaffRole.ADMIN])
def test_commune_wide_roles_read_every_office(role: StaffRole) -> None:
    assert can_read_ticket(staff(role, office_id=None), ticket(VP))
    assert can_read_ticket(staff(role, office_id=KT), ticket(VP))


@pytest.mark.parametrize("role", list(StaffRole))
def test_confidential_needs_clearance_whatever_the_role(role: StaffRole) -> None:
    assert not can_read_ticket(staff(role), ticket(KT, confidential=True))
    assert can_read_ticket(staff(role, confidential=True), ticket(KT, confidential=True))


def test_cleared_staff_still_only_read_their_own_office() -> None:
    assert not can_read_ticket(staff(confidential=True), ticket(VP, confidential=True))


def test_inactive_staff_read_nothing() -> None:
    assert not can_read_ticket(staff(StaffRole.ADMIN, active=False), ticket(KT))

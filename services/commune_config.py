"""Load the commune configuration into the database, idempotently (upsert by code)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Category, Office, Village
from laikhe.commune import CommuneConfig


@dataclass(frozen=True)
class LoadReport:
    offices: int
    villages: int
    categories: int
    created: int


async def apply_commune_config(*, session: AsyncSession, config: CommuneConfig) -> LoadReport:
    created = 0
    offices = {o.code: o for o in (await session.scalars(select(Office))).all()}
    for item in config.offices:
        office = offices.get(item.code)
        if office is None:
            office = Office(code=item.code)
            session.add(office)
            offices[item.code] = office
            created += 1
        office.name = item.name
        office.is_intake = item.intake
        office.staff_chat_id = item.staff_chat_id
        office.zalo_group_id = item.zalo_group_id
        office.address = item.contact.address
        office.opening_hours = item.contact.opening_hours
        office.phone = item.contact.phone
        office.contact_is_sample = item.contact.sample
    await session.flush()

    villages = {v.code: v for v in (await session.scalars(select(Village))).all()}
    for village_item in config.villages:
        village = villages.get(village_item.code)
        if village is None:
            village = Village(code=village_item.code)
            session.add(village)
            created += 1
        village.name = village_item.name
        village.is_sample = village_item.sample
        village.office_id = offices[village_item.office].id if village_item.office else None

    configured = {c.code for c in config.categories}
    categories = {c.code: c for c in (await session.scalars(select(Category))).all()}
    for position, category_item in enumerate(config.categories):
        category = categories.get(category_item.code)
        if category is None:
            category = Category(code=category_item.code)
            session.add(category)
            created += 1
        category.name = category_item.name
        category.office_id = offices[category_item.office].id
        category.position = position
        category.active = True
    # Categories dropped from the file stay for old tickets but are no longer offered.
    for code, category in categories.items():
        if code not in configured:
            category.active = False
    await session.flush()
    return LoadReport(
        offices=len(config.offices),
        villages=len(config.villages),
        categories=len(config.categories),
        created=created,
    )

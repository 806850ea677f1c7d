"""Load config/commune.yml (or COMMUNE_CONFIG) into the database. Safe to run repeatedly."""

from __future__ import annotations

import asyncio

from db.session import session_scope, sessionmaker_for
from laikhe.commune import load_commune_config
from laikhe.settings import get_settings
from services.commune_config import apply_commune_config


async def _main() -> None:
    settings = get_settings()
    config = load_commune_config(settings.commune_config)
    factory = sessionmaker_for(settings.database_url)
    async with session_scope(factory) as session:
        report = await apply_commune_config(session=session, config=config)
    await factory.kw["bind"].dispose()
    print(
        f"commune config loaded: {report.offices} offices, {report.villages} villages, "
        f"{report.categories} categories ({report.created} new rows)"
    )


if __name__ == "__main__":
    asyncio.run(_main())

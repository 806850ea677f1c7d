"""Database errors never show the bound values (residents' names, phones, texts)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.session import make_engine, sessionmaker_for, unit_of_work

PHONE = "0912345678"


@pytest.mark.parametrize(
    "url", ["sqlite:///{tmp}/x.db", "postgresql://postgres@127.0.0.1:5432/postgres"]
)
def test_every_engine_hides_parameters(url: str, tmp_path: Path) -> None:
    engine = make_engine(url.format(tmp=tmp_path))
    assert engine.sync_engine.hide_parameters is True


async def test_a_failed_statement_does_not_quote_its_values(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        async with engine.connect() as connection:
            with pytest.raises(OperationalError) as failure:
                await connection.execute(
                    text("SELECT * FROM no_such_table WHERE phone = :phone"), {"phone": PHONE}
                )
    finally:
        await engine.dispose()
    assert "no_such_table" in str(failure.value)
    assert PHONE not in str(failure.value)


async def _names(factory: async_sessionmaker[AsyncSession]) -> list[str]:
    async with unit_of_work(factory) as session:
        return list((await session.scalars(text("SELECT name FROM t ORDER BY name"))).all())


async def test_the_unit_of_work_commits_on_success_and_rolls_back_on_error(
    tmp_path: Path,
) -> None:
    factory = sessionmaker_for(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        async with unit_of_work(factory) as session:
            await session.execute(text("CREATE TABLE t (name TEXT)"))
            await session.execute(text("INSERT INTO t VALUES ('kept')"))
        with pytest.raises(RuntimeError):
            async with unit_of_work(factory) as session:
                await session.execute(text("INSERT INTO t VALUES ('failed')"))
                raise RuntimeError("the work failed after the write")
        async with unit_of_work(factory, commit=False) as session:
            await session.execute(text("INSERT INTO t VALUES ('dry run')"))
            # The dry run sees its own write, then leaves nothing.
            assert "dry run" in (await session.scalars(text("SELECT name FROM t"))).all()
        assert await _names(factory) == ["kept"]
    finally:
        await factory.kw["bind"].dispose()

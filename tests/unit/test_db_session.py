"""Database errors never show the bound values (residents' names, phones, texts)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from db.session import make_engine

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

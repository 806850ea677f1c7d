"""Nothing personal in the logs when ticket creation fails in the database."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from actions.runtime import DatabaseUnavailable, Runtime, database, save_ticket, set_runtime
from db.models import TicketKind
from db.session import sessionmaker_for
from laikhe import logsafe
from laikhe.commune import CommuneConfig
from services.resident_errors import ResidentError
from services.tickets import NewTicket

NAME = "Trần Văn Bình"
PHONE = "0987654321"
CONTENT = "Cống thoát nước trước nhà số 12 bị tắc"
SENDER = "555000111"


async def test_failed_ticket_creation_logs_no_personal_data(
    sessions: async_sessionmaker[AsyncSession],
    action_runtime: Runtime,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The database refuses the row itself, as a full disk or a constraint would: the error
    # is raised by the INSERT that carries the resident's name, phone and words.
    async with sessions() as session:
        dialect = session.bind.dialect.name
        if dialect == "sqlite":
            await session.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON tickets "
                    "BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )
            )
        else:
            await session.execute(
                text(
                    "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'refused: %', NEW.contact_phone; END $$"
                )
            )
            await session.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON tickets "
                    "FOR EACH ROW EXECUTE FUNCTION refuse()"
                )
            )
        await session.commit()

    caplog.set_level(logging.INFO)
    saved = await save_ticket(
        NewTicket(
            kind=TicketKind.PHAN_ANH,
            content=CONTENT,
            channel="telegram",
            sender_id=SENDER,
            category_code="ha_tang_so",
            village_code="THON-MAU-1",
            contact_name=NAME,
            contact_phone=PHONE,
        )
    )

    assert saved is None
    assert "ticket creation failed" in caplog.text
    assert "Error (message not logged)" in caplog.text  # the type is there to debug with
    for personal in (NAME, PHONE, CONTENT, SENDER):
        assert personal not in caplog.text


def test_installed_records_render_exceptions_without_messages(
    caplog: pytest.LogCaptureFixture,
) -> None:
    previous = logging.getLogRecordFactory()
    logsafe.install()
    logger = logging.getLogger("tests.log_privacy")
    try:
        try:
            raise KeyError(PHONE)
        except KeyError as inner:
            raise RuntimeError(f"could not save {NAME}") from inner
    except RuntimeError as error:
        logger.exception("saving failed")
        logger.warning("saving failed: %s", error)
    finally:
        logging.setLogRecordFactory(previous)  # the rest of the session logs as usual
    assert "KeyError (message not logged)" in caplog.text
    assert "RuntimeError (message not logged)" in caplog.text
    assert "direct cause" in caplog.text
    assert "saving failed: RuntimeError" in caplog.text
    assert PHONE not in caplog.text
    assert NAME not in caplog.text


async def test_an_action_step_the_database_fails_is_logged_without_values_and_typed(
    tmp_path: Path, commune: CommuneConfig, caplog: pytest.LogCaptureFixture
) -> None:
    broken = sessionmaker_for(f"sqlite+aiosqlite:///{tmp_path}/missing/dir/db.sqlite")
    set_runtime(Runtime(commune=commune, sessions=broken))
    caplog.set_level(logging.INFO)
    try:
        with pytest.raises(DatabaseUnavailable):
            async with database(f"status look-up for {SENDER}") as session:
                await session.execute(text("SELECT :phone"), {"phone": PHONE})
        assert f"status look-up for {SENDER} failed" in caplog.text
        assert "OperationalError (message not logged)" in caplog.text
        assert PHONE not in caplog.text
        # A service's refusal is the action's to word, not a database failure.
        with pytest.raises(ResidentError):
            async with database("withdrawal"):
                raise ResidentError("Ý kiến này đã được tiếp nhận, không rút được nữa.")
        assert "withdrawal failed" not in caplog.text
    finally:
        set_runtime(None)

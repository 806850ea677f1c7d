"""Photos kept on our disk (Zalo, the website chat window) on real migrated databases
(SQLite and PostgreSQL): with the ticket, in the back office, gone with erasure and
retention."""

from __future__ import annotations

import io
import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select
from starlette.testclient import TestClient

from db.models import AttachmentKind, TicketAttachment, TicketState
from db.session import unit_of_work
from laikhe.clock import commune_zone
from laikhe.commune import CommuneConfig, RetentionConfig
from laikhe.settings import Settings
from services import retention
from services.handling import NOT_YOURS
from services.photo_store import UNATTACHED_PHOTO_DAYS, PhotoStore, StoredPhoto
from services.privacy import erase_personal_data
from services.resident import add_attachment
from tests.integration.staff_helpers import (
    KT_OFFICER,
    VP_OFFICER,
    Sessions,
    configure_groups,
    outbox_rows,
    register_default_staff,
)
from tests.integration.ticket_helpers import T0, move, new_ticket
from tests.integration.web_helpers import SECRET_KEY, Clock, sign_in
from web.app import create_app
from web.pages import STORED_PHOTO_MISSING


def _photo() -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (11.0, 15.0, 30.0)}
    Image.new("RGB", (40, 30), (10, 120, 10)).save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


@pytest.fixture
def photo_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "photos"
    # Erasure and retention find the store through the settings, as in production.
    monkeypatch.setenv("PHOTO_DIR", str(directory))
    return directory


@pytest.fixture
def stored(photo_dir: Path) -> StoredPhoto:
    return PhotoStore(photo_dir).save(_photo())


@pytest.fixture
async def office_setup(sessions: Sessions) -> Sessions:
    await configure_groups(sessions)
    await register_default_staff(sessions)
    return sessions


async def _attachments(sessions: Sessions) -> list[TicketAttachment]:
    async with sessions() as session:
        return list((await session.scalars(select(TicketAttachment))).all())


async def test_a_stored_photo_comes_with_a_new_ticket_and_the_group_is_pointed_to_the_web(
    office_setup: Sessions, commune: CommuneConfig, stored: StoredPhoto
) -> None:
    await new_ticket(office_setup, commune, attachments=((stored.ref, AttachmentKind.PHOTO),))
    [row] = await _attachments(office_setup)
    assert (row.storage_key, row.telegram_file_id) == (stored.key, None)
    rows = await outbox_rows(office_setup)
    # The card says where to see it; nothing is sent by a file id that does not exist.
    assert [r.method for r in rows] == ["sendMessage"]
    assert "Tệp, ảnh kèm theo: 1 (xem trong trang quản lý ý kiến)" in (rows[0].text or "")


def _client(database_url: str, photo_dir: Path, clock: Clock) -> TestClient:
    settings = Settings(database_url=database_url, photo_dir=photo_dir)
    return TestClient(create_app(settings, secret_key=SECRET_KEY, now=clock))


async def test_the_back_office_serves_a_stored_photo_to_the_ticket_s_office_only(
    office_setup: Sessions,
    commune: CommuneConfig,
    database_url: str,
    photo_dir: Path,
    stored: StoredPhoto,
) -> None:
    code = await new_ticket(office_setup, commune)
    async with unit_of_work(office_setup) as session:
        await add_attachment(
            session=session,
            code=code,
            sender_id="1001",
            storage_key=stored.key,
            kind=AttachmentKind.PHOTO,
            now=T0,
        )
    clock = Clock(T0 + timedelta(hours=1))
    with _client(database_url, photo_dir, clock) as client:
        await sign_in(client, office_setup, KT_OFFICER, clock.moment)
        page = client.get(f"/y-kien/{code}").text
        assert f'<img src="/y-kien/{code}/anh/1"' in page and stored.key not in page
        served = client.get(f"/y-kien/{code}/anh/1")
        assert served.status_code == 200
        assert served.content == (photo_dir / stored.key).read_bytes()
        assert served.headers["content-type"] == "image/jpeg"
        assert served.headers["cache-control"] == "private, no-store"
    with _client(database_url, photo_dir, clock) as vp:
        await sign_in(vp, office_setup, VP_OFFICER, clock.moment)
        refused = vp.get(f"/y-kien/{code}/anh/1")
        assert refused.status_code == 403 and NOT_YOURS.format(code=code) in refused.text
        assert stored.key.encode() not in refused.content
    with _client(database_url, photo_dir, clock) as signed_out:
        assert signed_out.get(f"/y-kien/{code}/anh/1").status_code == 401
    # A file gone from the disk is a clear page, not an error.
    (photo_dir / stored.key).unlink()
    with _client(database_url, photo_dir, clock) as client:
        await sign_in(client, office_setup, KT_OFFICER, clock.moment)
        missing = client.get(f"/y-kien/{code}/anh/1")
        assert missing.status_code == 404 and STORED_PHOTO_MISSING in missing.text


async def test_erasure_deletes_the_stored_file_with_the_row(
    sessions: Sessions, commune: CommuneConfig, photo_dir: Path, stored: StoredPhoto
) -> None:
    kept = PhotoStore(photo_dir).save(_photo())
    await new_ticket(sessions, commune, attachments=((stored.ref, AttachmentKind.PHOTO),))
    await new_ticket(
        sessions, commune, sender_id="2002", attachments=((kept.ref, AttachmentKind.PHOTO),)
    )
    async with unit_of_work(sessions) as session:
        report = await erase_personal_data(session=session, channel="telegram", sender_id="1001")
    assert report.attachments == 1
    assert not (photo_dir / stored.key).exists()
    # Another resident's photo stays.
    assert (photo_dir / kept.key).exists()
    assert [a.storage_key for a in await _attachments(sessions)] == [kept.key]


async def test_retention_deletes_the_stored_file_of_an_expired_ticket(
    sessions: Sessions, commune: CommuneConfig, photo_dir: Path, stored: StoredPhoto
) -> None:
    now = datetime(2028, 3, 1, 3, 0, tzinfo=commune_zone())
    code = await new_ticket(sessions, commune, attachments=((stored.ref, AttachmentKind.PHOTO),))
    await move(sessions, code, TicketState.CLOSED, now - timedelta(days=800))
    config = RetentionConfig(
        conversation_days=90,
        outbox_text_days=90,
        ticket_months=24,
        unanswered_question_days=365,
        log_days=30,
        log_directory=None,
    )
    async with unit_of_work(sessions) as session:
        await retention.apply(session, now, config)
    assert not (photo_dir / stored.key).exists()
    assert await _attachments(sessions) == []


def test_no_file_is_left_in_the_directory_but_the_photos(
    photo_dir: Path, stored: StoredPhoto
) -> None:
    assert sorted(p.name for p in photo_dir.iterdir()) == [stored.key]


async def test_the_daily_purge_sweeps_photos_no_ticket_took_after_a_week(
    sessions: Sessions, commune: CommuneConfig, photo_dir: Path, stored: StoredPhoto
) -> None:
    store = PhotoStore(photo_dir)
    unsent, recent = store.save(_photo()), store.save(_photo())
    await new_ticket(sessions, commune, attachments=((stored.ref, AttachmentKind.PHOTO),))
    now = datetime.now(commune_zone())
    week_ago = (now - timedelta(days=UNATTACHED_PHOTO_DAYS, minutes=1)).timestamp()
    for key in (stored.key, unsent.key):
        os.utime(photo_dir / key, (week_ago, week_ago))
    await retention.run_retention_and_commit(
        sessions=sessions,
        config=commune.retention,
        tracker_store_url=None,
        now=now,
        photos=store,
    )
    assert sorted(os.listdir(photo_dir)) == sorted([stored.key, recent.key])

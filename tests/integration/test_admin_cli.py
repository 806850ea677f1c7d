"""The staff command-line tool as staff run it (a subprocess), on both databases."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

from admin.database import prepare
from db.models import TicketKind
from laikhe.commune import CommuneConfig
from services import handling, outbox
from services.staff import active_staff
from tests.conftest import COMMUNE_YML, ROOT
from tests.integration.staff_helpers import (
    KT_GROUP,
    KT_OFFICER,
    Sessions,
    configure_groups,
    register_default_staff,
)
from tests.integration.ticket_helpers import T0, new_ticket


def admin(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "admin", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


async def test_list_show_export_and_outbox(
    sessions: Sessions, commune: CommuneConfig, database_url: str, tmp_path: Path
) -> None:
    await configure_groups(sessions)
    await register_default_staff(sessions)
    wifi = await new_ticket(sessions, commune, content="Wifi thôn hỏng")
    vneid = await new_ticket(sessions, commune, category_code="vneid", content="Lỗi VNeID")
    secret = await new_ticket(
        sessions, commune, kind=TicketKind.KHIEU_NAI_TO_CAO, content="Tố cáo bí mật"
    )
    async with sessions() as session:
        await handling.take(session=session, telegram_user_id=KT_OFFICER, code=wifi, now=T0)
        await session.commit()

    listed = admin(database_url, "tickets", "list", "--office", "KT")
    assert listed.returncode == 0, listed.stderr
    assert wifi in listed.stdout and secret in listed.stdout and vneid not in listed.stdout
    assert "Tố cáo bí mật" not in listed.stdout and "(bảo mật)" in listed.stdout
    by_state = admin(database_url, "tickets", "list", "--state", "assigned").stdout
    assert wifi in by_state and vneid not in by_state
    assert vneid in admin(database_url, "tickets", "list", "--text", "vneid").stdout
    assert admin(database_url, "tickets", "list", "--text", "bí mật").stdout == ""
    assert admin(database_url, "tickets", "list", "--code", vneid).stdout.startswith(vneid)
    assert admin(database_url, "tickets", "list", "--from", "2026-02-03").stdout == ""

    shown = admin(database_url, "tickets", "show", wifi).stdout
    assert f"staff:{KT_OFFICER} Trần Văn Kinh: new → assigned - Nhận xử lý" in shown
    assert admin(database_url, "tickets", "show", "LK-2026-999999").returncode == 1

    out = tmp_path / "tickets.csv"
    exported = admin(
        database_url, "tickets", "export", "--from", "2026-02-01", "--to", "2026-02-02",
        "--out", str(out),
    )  # fmt: skip
    assert exported.returncode == 0 and "3 tickets exported" in exported.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [r["code"] for r in rows] == [wifi, vneid, secret]
    assert rows[2]["content"] == "" and rows[2]["confidential"] == "1"
    assert rows[0]["state"] == "assigned" and rows[1]["office"] == "VP"
    bad = admin(database_url, "tickets", "export", "--from", "2026-03-01", "--to", "2026-01-01")
    assert bad.returncode == 2 and "before" in bad.stderr

    async with sessions() as session:
        await outbox.enqueue(
            session=session, channel="zalo", recipient="z77", purpose="answer", text="Đã sửa."
        )
        await session.commit()
    pending = admin(database_url, "outbox", "list", "--status", "pending").stdout
    assert pending.count("new_ticket") == 3 and "resident_update" in pending
    assert f"chat {KT_GROUP}\t" in pending and "answer\tchat zalo:z77\t" in pending
    assert admin(database_url, "outbox", "retry", "1").returncode == 1  # not failed
    assert "commune config loaded: 4 offices" in admin(database_url, "config", "load").stdout


def test_config_load_fills_a_migrated_database_and_changes_nothing_the_second_time(
    database_url: str, commune: CommuneConfig
) -> None:
    first = admin(database_url, "config", "load", "--file", str(COMMUNE_YML))
    assert first.returncode == 0, first.stderr
    counts = (len(commune.offices), len(commune.villages), len(commune.categories))
    assert first.stdout.startswith(
        "commune config loaded: {} offices, {} villages, {} categories".format(*counts)
    )
    assert "(0 new rows)" not in first.stdout
    again = admin(database_url, "config", "load")  # default: COMMUNE_CONFIG or commune.yml
    assert again.returncode == 0, again.stderr
    assert again.stdout.rstrip().endswith("(0 new rows)")


def test_prepare_migrates_an_empty_database_and_loads_the_configuration(
    tmp_path: Path, commune: CommuneConfig
) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    report = prepare(url)
    assert (report.offices, report.villages, report.categories) == (
        len(commune.offices),
        len(commune.villages),
        len(commune.categories),
    )
    assert report.created > 0
    assert prepare(url).created == 0  # both steps are idempotent


async def test_signout_all_raises_the_web_session_version(
    sessions: Sessions, database_url: str
) -> None:
    await register_default_staff(sessions)
    done = admin(database_url, "staff", "signout-all", "--telegram-id", str(KT_OFFICER))
    assert done.returncode == 0, done.stderr
    assert "every web session ended" in done.stdout
    async with sessions() as session:
        member = await active_staff(session=session, telegram_user_id=KT_OFFICER)
        assert member is not None and member.web_session_version == 1
    unknown = admin(database_url, "staff", "signout-all", "--telegram-id", "999")
    assert unknown.returncode == 1 and "no such staff member" in unknown.stdout

"""Staff ask for the six-monthly report in their office group; others are refused."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest
from sqlalchemy import update

from db.models import Office
from db.session import sessionmaker_for
from scripts.stack import ROOT, Stack
from testkit.telegram import FakeTelegramServer

pytestmark = pytest.mark.e2e
KT_GROUP = -1002001
OFFICER = 424242


def set_office_group(database_url: str, office: str, chat_id: int) -> None:
    """What `make load-config` does when an office's staff_chat_id is configured."""

    async def run() -> None:
        factory = sessionmaker_for(database_url)
        async with factory() as session:
            await session.execute(
                update(Office).where(Office.code == office).values(staff_chat_id=chat_id)
            )
            await session.commit()
        await factory.kw["bind"].dispose()

    asyncio.run(run())


def admin(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "admin", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_registered_officer_gets_the_office_report_and_strangers_are_refused(
    telegram: FakeTelegramServer, bot: subprocess.Popen[bytes], stack: Stack
) -> None:
    set_office_group(stack.database_url, "KT", KT_GROUP)
    added = admin(
        stack.database_url, "staff", "add", "--telegram-id", str(OFFICER),
        "--name", "Cán bộ Phòng Kinh tế", "--office", "KT", "--role", "officer",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert str(OFFICER) in admin(stack.database_url, "staff", "list").stdout

    telegram.send_command(KT_GROUP, "/baocao", user_id=777)  # not registered
    # The group also receives ticket cards from the outbox: look for the reply itself.
    refused = "Xin lỗi, chỉ cán bộ đã đăng ký của xã mới yêu cầu được báo cáo."
    telegram.wait_for_messages(
        KT_GROUP, 1, timeout=30, predicate=lambda ms: any(m.text == refused for m in ms)
    )

    telegram.send_command(KT_GROUP, "/baocao", user_id=OFFICER)
    sent = telegram.wait_for_messages(
        KT_GROUP, 4, timeout=90, predicate=lambda ms: sum(m.document is not None for m in ms) >= 2
    )
    names = sorted(m.document["file_name"] for m in sent if m.document)
    assert len(names) == 2
    assert names[0].startswith("bao-cao-kt-") and names[0].endswith(".docx")
    assert names[1].endswith(".xlsx")
    docx = next(m for m in sent if m.document and m.document["file_name"].endswith(".docx"))
    assert docx.file_id is not None
    docx_bytes = telegram.file_bytes(docx.file_id)
    assert docx_bytes[:2] == b"PK"  # a real Office Open XML package

    telegram.send_command(KT_GROUP, "/baocao 2026-12-31 2026-01-01", user_id=OFFICER)
    telegram.wait_for_messages(
        KT_GROUP,
        len(sent) + 1,
        timeout=30,
        predicate=lambda ms: any("không hợp lệ" in (m.text or "") for m in ms),
    )

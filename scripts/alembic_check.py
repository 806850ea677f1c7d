"""`alembic check` on a throwaway SQLite database migrated to head: no model/schema drift."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

with tempfile.TemporaryDirectory() as tmp:
    url = f"sqlite:///{Path(tmp) / 'check.db'}"
    for command in (["upgrade", "head"], ["check"]):
        subprocess.run(
            [sys.executable, "-m", "alembic", "-x", f"database_url={url}", *command],
            cwd=ROOT,
            check=True,
        )
print("alembic check: no drift")

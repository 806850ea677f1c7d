"""Staff command-line tool.

python -m admin staff add --telegram-id 123 --name "Nguyễn Văn A" --office KT --role officer
python -m admin staff remove --telegram-id 123
python -m admin staff list
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from db.models import StaffRole
from db.session import session_scope, sessionmaker_for
from laikhe.settings import get_settings
from services.staff import StaffError, list_staff, register_staff, remove_staff


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m admin")
    groups = parser.add_subparsers(dest="group", required=True)
    staff = groups.add_parser("staff", help="register, remove and list staff").add_subparsers(
        dest="command", required=True
    )
    add = staff.add_parser("add")
    add.add_argument("--telegram-id", type=int, required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--office", help="office code (not needed for commune leaders)")
    add.add_argument("--role", choices=[r.value for r in StaffRole], default="officer")
    add.add_argument("--confidential", action="store_true", help="may read complaints")
    remove = staff.add_parser("remove")
    remove.add_argument("--telegram-id", type=int, required=True)
    staff.add_parser("list")
    return parser


async def _run(args: argparse.Namespace) -> int:
    factory = sessionmaker_for(get_settings().database_url)
    try:
        async with session_scope(factory) as session:
            if args.command == "add":
                member = await register_staff(
                    session=session,
                    telegram_user_id=args.telegram_id,
                    full_name=args.name,
                    office_code=args.office,
                    role=StaffRole(args.role),
                    can_read_confidential=args.confidential,
                )
                print(f"registered: {member.full_name} ({member.role})")
            elif args.command == "remove":
                removed = await remove_staff(session=session, telegram_user_id=args.telegram_id)
                print("removed" if removed else "no such active staff member")
                return 0 if removed else 1
            else:
                for m in await list_staff(session=session):
                    office = m.office.code if m.office else "-"
                    state = "active" if m.active else "removed"
                    print(f"{m.telegram_user_id}\t{m.full_name}\t{office}\t{m.role}\t{state}")
    except StaffError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        await factory.kw["bind"].dispose()
    return 0


def main() -> None:
    raise SystemExit(asyncio.run(_run(_parser().parse_args())))


if __name__ == "__main__":
    main()

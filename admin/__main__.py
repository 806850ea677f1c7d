"""Staff command-line tool.

python -m admin staff add --telegram-id 123 --name "Nguyễn Văn A" --office KT --role officer \
    [--zalo <Zalo user id>]
python -m admin staff add --zalo <Zalo user id> --name "Lê Thị B" --office KT   (Zalo only)
python -m admin staff remove --telegram-id 123      (or --zalo <Zalo user id>)
python -m admin staff list
python -m admin staff signout-all --telegram-id 123
python -m admin tickets list [--office KT] [--state new] [--from 2026-01-01] [--to ...]
                             [--code LK-2026-000001] [--text wifi]
python -m admin tickets show LK-2026-000001
python -m admin tickets export --from 2026-01-01 --to 2026-06-15 [--office KT] [--out f.csv]
python -m admin config load [--file config/commune.yml]
python -m admin outbox list [--status failed]
python -m admin outbox retry 42
python -m admin faq export [--out f.yml]  # accepted FAQ proposals, to paste into nlu/
python -m admin retention [--dry-run]       # purge what outlived config/commune.yml retention
DATABASE_URL=sqlite:///var/demo.db python -m admin demo-data [--count 600] [--months 6]
                             [--seed 2026] [--force]   # a throwaway database, full
"""

from __future__ import annotations

import argparse
import asyncio
import io
import sys
from datetime import date
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from admin.database import describe, load_config, prepare
from db.models import OutboxStatus, StaffRole, TicketState
from db.session import sessionmaker_for, unit_of_work
from laikhe import clock
from laikhe.commune import load_commune_config
from laikhe.labels import STATE_LABELS
from laikhe.settings import get_settings
from services import faq_proposals, outbox, retention
from services.staff import StaffError, list_staff, register_staff, remove_staff
from services.ticket_queries import (
    TicketFilter,
    export_csv,
    render_history,
    search_tickets,
    ticket_history,
)
from services.web_sessions import create_sign_in_link, sign_out_everywhere
from testkit import demo_data


class UsageError(Exception):
    pass


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m admin")
    groups = parser.add_subparsers(dest="group", required=True)
    staff = groups.add_parser("staff", help="register, remove and list staff").add_subparsers(
        dest="command", required=True
    )
    add = staff.add_parser("add", help="by Telegram user id, Zalo user id (--zalo), or both")
    add.add_argument("--telegram-id", type=int)
    add.add_argument("--name", required=True)
    add.add_argument("--office", help="office code (not needed for commune leaders)")
    add.add_argument("--role", choices=[r.value for r in StaffRole], default="officer")
    add.add_argument("--confidential", action="store_true", help="may read complaints")
    add.add_argument("--zalo", help="Zalo user id, to act by commands in Zalo")
    remove = staff.add_parser("remove")
    who = remove.add_mutually_exclusive_group(required=True)
    who.add_argument("--telegram-id", type=int)
    who.add_argument("--zalo", help="Zalo user id")
    staff.add_parser("list")
    signout = staff.add_parser("signout-all", help="end every back office session of a member")
    signout.add_argument("--telegram-id", type=int, required=True)

    tickets = groups.add_parser("tickets", help="search, show and export tickets")
    ticket_commands = tickets.add_subparsers(dest="command", required=True)
    search = ticket_commands.add_parser("list", help="search tickets (newest first)")
    search.add_argument("--office")
    search.add_argument("--state", choices=[s.value for s in TicketState])
    search.add_argument("--from", dest="date_from", type=_date, help="created on or after")
    search.add_argument("--to", dest="date_to", type=_date, help="created on or before")
    search.add_argument("--code", help="a ticket code or part of one")
    search.add_argument("--text", help="words in the content (confidential ones never match)")
    search.add_argument("--limit", type=int, default=100)
    show = ticket_commands.add_parser("show", help="one ticket with its history")
    show.add_argument("code")
    export = ticket_commands.add_parser("export", help="tickets created in a period, as CSV")
    export.add_argument("--from", dest="date_from", type=_date, required=True)
    export.add_argument("--to", dest="date_to", type=_date, required=True)
    export.add_argument("--office")
    export.add_argument("--out", default="-", help="file name, or - for standard output")

    config = groups.add_parser("config", help="the commune configuration").add_subparsers(
        dest="command", required=True
    )
    load = config.add_parser("load", help="load config/commune.yml into the database")
    load.add_argument("--file", type=Path, help="default: COMMUNE_CONFIG or config/commune.yml")

    messages = groups.add_parser("outbox", help="Telegram messages waiting or failed")
    outbox_commands = messages.add_subparsers(dest="command", required=True)
    listing = outbox_commands.add_parser("list")
    listing.add_argument("--status", choices=[s.value for s in OutboxStatus], action="append")
    listing.add_argument("--limit", type=int, default=50)
    retry = outbox_commands.add_parser("retry", help="send a failed or unknown message again")
    retry.add_argument("id", type=int)

    faq = groups.add_parser("faq", help="FAQ proposals accepted in the back office")
    faq_export = faq.add_subparsers(dest="command", required=True).add_parser(
        "export", help="accepted proposals as the YAML of nlu/faq.yml and faq_responses.yml"
    )
    faq_export.add_argument("--out", default="-", help="file name, or - for standard output")

    purge = groups.add_parser(
        "retention", help="remove personal data older than the periods in config/commune.yml"
    )
    purge.add_argument("--dry-run", action="store_true", help="only count, change nothing")
    purge.add_argument("--file", type=Path, help="default: COMMUNE_CONFIG or config/commune.yml")

    demo = groups.add_parser(
        "demo-data",
        help="fill a throwaway database with demo tickets (refuses one with real tickets)",
    )
    demo.add_argument("--count", type=int, default=600, help="tickets")
    demo.add_argument("--months", type=int, default=6, help="spread over this many months")
    demo.add_argument("--seed", type=int, default=2026)
    demo.add_argument("--force", action="store_true", help="even beside real tickets")
    return parser


async def _staff(session: AsyncSession, args: argparse.Namespace) -> int:
    if args.command == "add":
        member = await register_staff(
            session=session,
            telegram_user_id=args.telegram_id,
            full_name=args.name,
            office_code=args.office,
            role=StaffRole(args.role),
            can_read_confidential=args.confidential,
            zalo_user_id=args.zalo,
        )
        print(f"registered: {member.full_name} ({member.role.value})")
    elif args.command == "remove":
        removed = await remove_staff(
            session=session, telegram_user_id=args.telegram_id, zalo_user_id=args.zalo
        )
        print("removed" if removed else "no such active staff member")
        return 0 if removed else 1
    elif args.command == "signout-all":
        known = await sign_out_everywhere(session=session, telegram_user_id=args.telegram_id)
        print("every web session ended" if known else "no such staff member")
        return 0 if known else 1
    else:
        for m in await list_staff(session=session):
            office = m.office.code if m.office else "-"
            state = "active" if m.active else "removed"
            zalo = m.zalo_user_id or "-"
            print(f"{m.telegram_user_id}\t{zalo}\t{m.full_name}\t{office}\t{m.role.value}\t{state}")
    return 0


async def _tickets(session: AsyncSession, args: argparse.Namespace) -> int:
    if args.command == "show":
        history = await ticket_history(session=session, code=args.code)
        if history is None:
            print(f"no ticket {args.code}", file=sys.stderr)
            return 1
        print(render_history(history))
        return 0
    if args.command == "export":
        if args.date_to < args.date_from:
            raise UsageError("--to is before --from")
        buffer = io.StringIO(newline="")
        count = await export_csv(
            session=session, out=buffer, created_from=args.date_from,
            created_to=args.date_to, office_code=args.office,
        )  # fmt: skip
        if args.out == "-":
            sys.stdout.write(buffer.getvalue())
        else:
            # utf-8-sig: Excel on Windows then shows the Vietnamese diacritics right.
            data = buffer.getvalue().encode("utf-8-sig")
            await asyncio.to_thread(Path(args.out).write_bytes, data)
        print(f"{count} tickets exported", file=sys.stderr)
        return 0
    where = TicketFilter(
        office_code=args.office,
        state=TicketState(args.state) if args.state else None,
        created_from=args.date_from,
        created_to=args.date_to,
        code=args.code,
        text=args.text,
    )
    tickets = await search_tickets(session=session, where=where, limit=args.limit)
    for t in tickets:
        preview = "(bảo mật)" if t.confidential else " ".join(t.content.split())[:60]
        print(
            f"{t.code}\t{t.office.code}\t{STATE_LABELS.get(t.state, t.state)}\t"
            f"{clock.to_local(t.created_at):%Y-%m-%d}\thạn {t.due_date:%Y-%m-%d}\t{preview}"
        )
    print(f"{len(tickets)} tickets", file=sys.stderr)
    return 0


async def _config(session: AsyncSession, args: argparse.Namespace) -> int:
    print(describe(await load_config(session, args.file)))
    return 0


async def _outbox(session: AsyncSession, args: argparse.Namespace) -> int:
    if args.command == "retry":
        if await outbox.requeue(session=session, message_id=args.id):
            print(f"message {args.id} queued again")
            return 0
        print(f"message {args.id} is not failed or unknown", file=sys.stderr)
        return 1
    statuses = tuple(OutboxStatus(s) for s in args.status) if args.status else None
    for m in await outbox.list_messages(session=session, statuses=statuses, limit=args.limit):
        chat = m.chat_id if m.channel == outbox.TELEGRAM else f"{m.channel}:{m.recipient}"
        print(
            f"{m.id}\t{m.status.value}\t{m.purpose}\tchat {chat}\t"
            f"lần thử {m.attempts}\t{m.last_error or ''}"
        )
    return 0


async def _faq(session: AsyncSession, args: argparse.Namespace) -> int:
    text = faq_proposals.accepted_yaml(await faq_proposals.accepted_proposals(session=session))
    if args.out == "-":
        sys.stdout.write(text)
    else:
        await asyncio.to_thread(Path(args.out).write_text, text, encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


async def _retention(session: AsyncSession, args: argparse.Namespace) -> int:
    settings = get_settings()
    config = load_commune_config(args.file or settings.commune_config).retention
    now = clock.now()
    run = retention.plan if args.dry_run else retention.apply
    report = await run(session, now, config, tracker_store_url=settings.tracker_store_url)
    cutoffs = retention.Cutoffs.at(now, config)
    print(retention.describe(report, cutoffs, applied=not args.dry_run))
    return 0


async def _demo_data(session: AsyncSession, args: argparse.Namespace) -> int:
    settings = get_settings()
    if args.count < 1 or args.months < 1:
        raise UsageError("--count and --months must be at least 1")
    now = clock.now()
    try:
        summary = await demo_data.fill(
            session,
            load_commune_config(settings.commune_config),
            count=args.count,
            months=args.months,
            seed=args.seed,
            now=now,
            force=args.force,
        )
    except demo_data.RealDataPresent as refused:
        raise UsageError(
            f"{refused}: this is not a throwaway database (DATABASE_URL); --force to add anyway"
        ) from None
    states = ", ".join(f"{state} {n}" for state, n in sorted(summary.by_state.items()))
    print(
        f"{summary.tickets} demo tickets ({states}), {summary.events} history rows, "
        f"{summary.faq_votes} FAQ votes, {summary.unanswered_questions} unanswered questions"
    )
    leader = summary.staff[0][0]
    token = await create_sign_in_link(session=session, telegram_user_id=leader, now=now)
    print(f"back office (python -m web), within 10 minutes: {settings.web_url}/dang-nhap/{token}")
    return 0


HANDLERS = {
    "staff": _staff,
    "tickets": _tickets,
    "config": _config,
    "outbox": _outbox,
    "faq": _faq,
    "retention": _retention,
    "demo-data": _demo_data,
}


async def _run(args: argparse.Namespace) -> int:
    factory = sessionmaker_for(get_settings().database_url)
    try:
        async with unit_of_work(factory) as session:
            return await HANDLERS[args.group](session, args)
    except (StaffError, UsageError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        await factory.kw["bind"].dispose()


def main() -> None:
    args = _parser().parse_args()
    if args.group == "demo-data":
        # A fresh file is migrated and configured first (outside the event loop: Alembic
        # runs its own).
        print(describe(prepare(get_settings().database_url)))
    raise SystemExit(asyncio.run(_run(args)))


if __name__ == "__main__":
    main()

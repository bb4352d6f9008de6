"""The `peerbearing` command. Every subcommand honours DATABASE_URL."""

import argparse
import sys
import time

from app.config import PROJECT_ROOT, get_settings


def migrate(url: str | None = None) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.attributes["configure_logger"] = False
    if url:
        cfg.attributes["url"] = url
    command.upgrade(cfg, "head")


def _check_config(args=None) -> None:
    """Everything `serve` refuses to start without: the settings and the two operator files."""
    from app.services import crisis_check, crisis_resources

    settings = get_settings()
    settings.check()
    resources = crisis_resources.load(settings.crisis_resources)
    crisis_check.current()  # the phrases of the check while writing
    if args is not None:
        print(f"OK: settings, and {len(resources.lines)} crisis lines from {resources.path}.")


def _serve(args) -> None:
    import uvicorn

    _check_config()
    # No access log: it would write every visitor's IP address.
    uvicorn.run(
        "app.main:serving_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,
        server_header=False,
        # Off unless asked: X-Forwarded-* are trusted only from the reverse proxy's own address.
        proxy_headers=args.proxy_headers,
        forwarded_allow_ips=args.forwarded_allow_ips,
    )


def _promote(args) -> None:
    from app.db import new_session
    from app.services import accounts

    with new_session(write=True) as session:
        user = accounts.set_role(session, pseudonym=args.pseudonym, role=args.role)
        print(f"{user.pseudonym} is now {user.role}.")


def _seed(args) -> None:
    from app.db import new_session
    from app.services import demo

    with new_session(write=True) as session:
        if args.if_empty and not demo.is_empty(session):
            print("The forum already has threads; no demo content added.")
            return
        started = time.perf_counter()
        made = demo.seed(
            session,
            threads=args.threads,
            replies=args.replies,
            reactions=args.reactions,
            members=args.users,
            reports=args.reports,
            longest=args.longest,
            seed=args.seed,
        )
        print(
            f"Added {made.threads:,} demo threads, {made.posts:,} posts, {made.reactions:,} encouragements "
            f"and {made.reports:,} open reports by {made.members:,} members "
            f"in {time.perf_counter() - started:.1f} s."
        )


def _resanitize(args) -> None:
    from app.db import new_session
    from app.services import text

    with new_session(write=True) as session:
        count = text.resanitize_all(session)
        print(f"Re-rendered {count} posts with sanitiser policy {text.SANITIZER_VERSION}.")


def _backup(args) -> None:
    from app.services import backup

    made = backup.backup(get_settings().database_url, args.path)
    print(f"Backup written to {made.path} ({made.size:,} bytes).")


def _restore(args) -> None:
    from app.services import backup

    backup.restore(get_settings().database_url, args.path)
    print(f"Restored {args.path}. Run `peerbearing migrate` if this release is newer than the backup.")


def _count(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _positive(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="peerbearing", description="Peer Bearing: run and look after the forum."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument(
        "--proxy-headers",
        action="store_true",
        help="trust X-Forwarded-Proto/For from --forwarded-allow-ips (behind a reverse proxy)",
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        default="127.0.0.1",
        help="comma-separated addresses of the reverse proxy whose X-Forwarded-* headers are trusted",
    )
    serve.set_defaults(func=_serve)
    sub.add_parser(
        "check-config", help="check the settings and the crisis resources file, as serve does"
    ).set_defaults(func=_check_config)
    sub.add_parser("migrate", help="bring the database to the newest schema").set_defaults(
        func=lambda a: migrate()
    )
    promote = sub.add_parser("promote", help="give an existing account a role")
    promote.add_argument("pseudonym")
    promote.add_argument("--role", required=True, choices=["member", "moderator", "admin"])
    promote.set_defaults(func=_promote)
    seed = sub.add_parser(
        "seed-demo",
        help="fill the database with demo or benchmark content",
        description="Add a realistic forum, the same for the same arguments and seed, in one transaction. "
        "Example, 100k threads, 1M posts, 3M encouragements: "
        "--threads 100000 --replies 9 --reactions 3 --users 5000 --longest 10000 --reports 1000",
    )
    seed.add_argument("--threads", type=_count, default=12, help="threads to add (default 12)")
    seed.add_argument(
        "--replies",
        type=_count,
        default=4,
        help="AVERAGE replies per thread: THREADS x REPLIES replies in all, long-tailed (most threads "
        "a few, some thousands) (default 4)",
    )
    seed.add_argument(
        "--reactions",
        type=_count,
        default=3,
        help="AVERAGE encouragements per post: POSTS x REACTIONS in all, spread by a power law (default 3)",
    )
    seed.add_argument(
        "--users",
        type=_positive,
        default=None,
        help="members who write and react; they cannot sign in (default THREADS/5 + 6, 6 to 200)",
    )
    seed.add_argument(
        "--reports", type=_count, default=0, help="open reports by several members, for /mod (default 0)"
    )
    seed.add_argument(
        "--longest",
        type=_count,
        default=0,
        help="one thread with exactly this many replies, counted in the total (default 0: none)",
    )
    seed.add_argument("--seed", type=int, default=7, help="the same seed gives the same data (default 7)")
    seed.add_argument("--if-empty", action="store_true", help="only when the forum has no threads yet")
    seed.set_defaults(func=_seed)
    sub.add_parser("resanitize", help="re-render every post with the current sanitiser").set_defaults(
        func=_resanitize
    )
    backup = sub.add_parser("backup", help="write a consistent copy of the database while it serves")
    backup.add_argument("path", help="the new backup file (SQLite file or pg_dump custom archive)")
    backup.set_defaults(func=_backup)
    restore = sub.add_parser("restore", help="load a backup into an empty database")
    restore.add_argument("path", help="a file made by `peerbearing backup`")
    restore.set_defaults(func=_restore)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from app.config import MissingExtra, UnsafeSettings
    from app.errors import DomainError
    from app.services.crisis_check import CrisisPhrasesError
    from app.services.crisis_resources import ResourceFileError

    try:
        get_settings().check_extras()
        args.func(args)
    except DomainError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    except (MissingExtra, UnsafeSettings, ResourceFileError, CrisisPhrasesError) as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

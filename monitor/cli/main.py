"""Command line: `monitor` (the app), check, once, run --headless, demo, replay.

Kept light at import time: the app paints its first frame before the engine, pydantic,
httpx, APScheduler or yfinance are imported.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the engine is imported by the app's factory, after the first frame
    from monitor.engine import Engine

EXIT_OK = 0
EXIT_CONFIG = 2
EXIT_FATAL = 1


CONFIG_HELP = "watchlist file (default: the search order in the README)"
JSON_HELP = "one JSON object per line, each with a type"
ALL_HELP = "also the headlines that do not match the topic query"

M_ARENA_MAX = -8  # glibc's malloc.h


def replay_speed(text: str) -> float:
    """``--speed``: a positive number of recorded seconds per real second ("200", "50x")."""
    try:
        value = float(text.strip().removesuffix("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number (e.g. 200)") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number (e.g. 200)")
    return value


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="monitor",
        description="A terminal news-and-market monitor. With no command, opens the app.",
    )
    p.add_argument("--config", metavar="PATH", help=CONFIG_HELP)
    p.add_argument("--version", action="store_true", help="print the version and exit")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    c = sub.add_parser("check", help="validate the watchlist file and summarize it")
    c.add_argument("--config", metavar="PATH", dest="sub_config", help=CONFIG_HELP)

    o = sub.add_parser("once", help="poll everything once, print, exit")
    o.add_argument("--config", metavar="PATH", dest="sub_config", help=CONFIG_HELP)
    o.add_argument("--json", action="store_true", help=JSON_HELP)
    o.add_argument("--all", action="store_true", help=ALL_HELP)
    o.add_argument(
        "--at",
        metavar="TIME",
        help="with a recorded quote source: the moment to show, ISO-8601 with an offset "
        "(e.g. 2025-01-27T16:00-05:00; default: the recording's end)",
    )

    r = sub.add_parser("run", help="keep polling and print changes until Ctrl-C")
    r.add_argument("--config", metavar="PATH", dest="sub_config", help=CONFIG_HELP)
    r.add_argument("--headless", action="store_true", help="print lines instead of opening the app")
    r.add_argument("--json", action="store_true", help=JSON_HELP)
    r.add_argument("--all", action="store_true", help=ALL_HELP)

    d = sub.add_parser(
        "demo", help="the app on a bundled replay of the January 2025 DeepSeek shock"
    )
    d.add_argument(
        "--speed",
        metavar="N",
        type=replay_speed,
        help="recorded seconds played per real second (default 200: the 01-27 session in "
        "about two minutes); + and - change it while the demo runs",
    )

    t = sub.add_parser("trust", help="allow a watchlist file to run its command/webhook alerts")
    t.add_argument("path", metavar="PATH", help="the watchlist file (e.g. ./watchlist.toml)")
    t.add_argument("--revoke", action="store_true", help="forget that the file was allowed")

    rp = sub.add_parser("replay", help="run the rules over recorded quotes (and feeds)")
    rp.add_argument(
        "quotes",
        metavar="QUOTES.csv",
        help="recorded quotes: time,symbol,price,prev_close[,open,high,low,volume,...]",
    )
    rp.add_argument(
        "--news",
        metavar="FEED.xml",
        action="append",
        default=[],
        help="a recorded RSS/Atom feed whose items are released at their dates (repeatable)",
    )
    rp.add_argument("--config", metavar="PATH", dest="sub_config", help=CONFIG_HELP)
    rp.add_argument(
        "--history",
        metavar="FILE",
        help="daily closes CSV (date,symbol,open,high,low,close,volume) for context such "
        'as "largest drop since"',
    )
    rp.add_argument("--json", action="store_true", help=JSON_HELP)
    rp.add_argument(
        "--notify", action="store_true", help="really send the notifications (default: none)"
    )
    return p


def one_malloc_arena() -> None:
    """Have every thread allocate from glibc's main malloc arena.

    glibc gives each thread that allocates (the store's, a poll's parsing, the fetch
    pool's) an arena of its own, and memory freed in one is never reused by another:
    `monitor once` on 100 feeds peaked 2.5 MB higher with them.  The threads take turns
    on the GIL anyway.  A ``MALLOC_ARENA_MAX`` the user set is left to glibc; on other
    C libraries this does nothing.
    """
    if sys.platform != "linux" or "MALLOC_ARENA_MAX" in os.environ:
        return
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(M_ARENA_MAX, 1)


def main(argv: Sequence[str] | None = None) -> int:
    one_malloc_arena()
    args = _parser().parse_args(argv)
    if args.version:
        from monitor import __version__

        print(f"monitor {__version__}")
        return EXIT_OK
    config_arg = getattr(args, "sub_config", None) or args.config
    command = args.command
    if command is None or (command == "run" and not args.headless):
        return _run_app(config_arg)
    if command == "demo":
        return _run_app(None, demo=True, speed=args.speed)
    import logging

    from monitor.cli import commands, pipes

    logging.basicConfig(level=logging.WARNING, format="monitor: %(levelname)s %(message)s")
    # stamina logs each scheduled retry without its reason; the webhook says why it failed
    logging.getLogger("stamina").setLevel(logging.ERROR)
    try:
        code = _run_command(commands, command, args, config_arg)
    except BrokenPipeError:  # `check | head -1`: the reader is gone, end quietly
        pipes.mark_stdout_closed()
        code = pipes.EXIT_BROKEN_PIPE
    return pipes.EXIT_BROKEN_PIPE if pipes.stdout_closed() else code


def _run_command(commands: Any, command: str, args: argparse.Namespace, config_arg: Any) -> int:
    try:
        if command == "check":
            return commands.check(config_arg)
        if command == "trust":
            from monitor.cli.trust_cmd import trust_command

            return trust_command(args.path, revoke=args.revoke)
        if command == "once":
            return commands.once(config_arg, as_json=args.json, show_all=args.all, at=args.at)
        if command == "run":
            return commands.run_headless(config_arg, as_json=args.json, show_all=args.all)
        if command == "replay":
            return commands.replay(
                Path(args.quotes),
                news=[Path(n) for n in args.news],
                config_arg=config_arg,
                history=Path(args.history) if args.history else None,
                as_json=args.json,
                notify=args.notify,
            )
    except KeyboardInterrupt:
        return 130
    raise AssertionError(command)


def _log_to_file() -> None:
    """The app owns the terminal: warnings go to a log file, never over the screen."""
    import logging

    from monitor.paths import log_file

    path = log_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        filename=path,
        level=logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _run_app(config_arg: str | None, *, demo: bool = False, speed: float | None = None) -> int:
    from monitor.ui.app import MonitorApp

    _log_to_file()

    async def factory() -> Engine:  # typed: mypy checks Engine against ui's EngineAPI
        from monitor.cli import commands

        return await commands.make_engine_for_app(config_arg, demo=demo, speed=speed)

    app = MonitorApp(factory, title="monitor demo" if demo else "monitor")
    app.run()
    return app.return_code or 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

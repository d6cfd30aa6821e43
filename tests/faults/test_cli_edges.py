"""Issue 11, the command line's edges: a reader that goes away (case 10) and a
database that cannot be opened (case 5, last sentence), through the real `monitor`
command in a subprocess with real pipes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.cli.pipes import EXIT_BROKEN_PIPE
from tests.cli_helpers import ROOT, isolated_env, run_monitor, write_config

DEMO = ROOT / "monitor" / "demo"


def demo_config(tmp: Path, database: str = "monitor.db") -> Path:
    """The demo's symbols over its recorded quotes; no feeds, so nothing goes online."""
    return write_config(
        tmp,
        f"""
[settings]
quote_source = "{DEMO / "quotes.csv"}"
database = "{database}"
notify = ["terminal"]
[watchlist]
chips = ["NVDA", "^SOX", "TSM", "MU"]
[[alerts]]
name = "SOX selloff"
when = "^SOX day% <= -5"
""",
    )


def into_closed_pipe(tmp: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """Run `monitor ARGS` writing into a pipe whose reader is already gone."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "monitor", *args],
            cwd=tmp,
            env=isolated_env(tmp),
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=120,
        )
    finally:
        os.close(write_end)


COMMANDS = {
    "replay": ["replay", str(DEMO / "quotes.csv"), "--news", str(DEMO / "news.xml")],
    "replay --json": ["replay", str(DEMO / "quotes.csv"), "--json"],
    "check": ["check"],
    "once --json": ["once", "--json"],
    "once": ["once"],
    "run --headless": ["run", "--headless"],
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_case10_a_closed_stdout_ends_quietly_with_141(tmp_path: Path, name: str) -> None:
    config = demo_config(tmp_path)
    done = into_closed_pipe(tmp_path, *COMMANDS[name], "--config", str(config))
    assert done.stderr.decode() == ""  # no BrokenPipeError traceback, nothing at all
    assert done.returncode == EXIT_BROKEN_PIPE == 141


def test_case10_head_dash_1_through_a_shell_pipeline(tmp_path: Path) -> None:
    config = demo_config(tmp_path)
    args = " ".join(COMMANDS["replay"])
    script = f"'{sys.executable}' -m monitor {args} --config '{config}' | head -1"
    done = subprocess.run(
        ["bash", "-c", f'set -o pipefail; {script}; echo "status=$?" >&2'],
        cwd=tmp_path,
        env=isolated_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.startswith("ALERT ") and done.stdout.count("\n") == 1
    # all of its output may fit in the pipe before head leaves (0), or not (141)
    assert done.stderr.strip() in ("status=0", "status=141"), done.stderr


@pytest.mark.parametrize(
    ("where", "reason"),
    [
        ("a-file/monitor.db", "File exists"),
        ("a-dir", "unable to open database file"),
    ],
)
@pytest.mark.parametrize("command", [["once"], ["run", "--headless"]])
def test_case05_an_unopenable_database_is_one_line(
    tmp_path: Path, where: str, reason: str, command: list[str]
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    (tmp_path / "a-dir").mkdir()
    config = demo_config(tmp_path, database=where)
    done = run_monitor(tmp_path, *command, "--config", str(config))
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("monitor: ") and str(tmp_path / where.split("/")[0]) in lines[0]
    assert reason in lines[0]
    assert done.returncode == 1


async def test_case05_the_app_ends_with_the_same_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from monitor.cli import commands
    from monitor.ui.app import MonitorApp

    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-dir").mkdir()
    config = demo_config(tmp_path, database="a-dir")
    app = MonitorApp(lambda: commands.make_engine_for_app(str(config)))
    exits: list[object] = []
    real_exit = app.exit

    def record_exit(*args: object, **kwargs: object) -> None:
        exits.append(kwargs.get("message"))
        real_exit(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(app, "exit", record_exit)
    async with app.run_test():
        for _ in range(200):
            if exits:
                break
            await asyncio.sleep(0.05)
    assert app.return_code == 1
    assert len(exits) == 1
    line = str(exits[0])
    assert "\n" not in line and line.startswith("monitor: ")
    assert str(tmp_path / "a-dir") in line and "unable to open database file" in line

"""The command channel with real child processes."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.model import Alert
from monitor.notify.command import CommandNotifier

pytestmark = pytest.mark.timeout(60)

T0 = datetime(2025, 4, 7, 14, 30, tzinfo=UTC)


def alert(**kw: object) -> Alert:
    base: dict[str, object] = {
        "rule": "sox-selloff",
        "time": T0,
        "message": "^SOX -9.2% on the day",
        "severity": "critical",
        "symbol": "^SOX",
        "value": -9.2,
        "threshold": -8.0,
        "notify": ("command",),
    }
    base.update(kw)
    return Alert(**base)  # type: ignore[arg-type]


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


async def test_alert_json_arrives_on_stdin(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    code = f"import sys; open({str(out)!r}, 'w').write(sys.stdin.read())"
    notifier = CommandNotifier(python(code))

    sent = await notifier.send(alert(message="SOX \x1b[31mdown\x1b[0m; rm -rf $HOME `id`"))

    assert sent is True
    assert notifier.last_error is None
    data = json.loads(out.read_text())
    assert data["type"] == "alert"
    assert data["rule"] == "sox-selloff"
    assert data["severity"] == "critical"
    assert data["symbol"] == "^SOX"
    assert data["value"] == -9.2
    assert data["time"] == "2025-04-07T14:30:00+00:00"
    # No shell: the text arrives as data, only the escape sequence is removed.
    assert data["message"] == "SOX down; rm -rf $HOME `id`"


async def test_argv_is_not_run_through_a_shell(tmp_path: Path) -> None:
    out = tmp_path / "argv.json"
    code = f"import sys, json; open({str(out)!r}, 'w').write(json.dumps(sys.argv[1:]))"
    notifier = CommandNotifier([*python(code), "$(touch pwned)", "a;b", "*"])

    assert await notifier.send(alert())
    assert json.loads(out.read_text()) == ["$(touch pwned)", "a;b", "*"]
    assert not (Path.cwd() / "pwned").exists()


async def test_failing_program_reports_exit_status_and_stderr() -> None:
    notifier = CommandNotifier(
        python(
            "import sys; sys.stdin.read()\n"
            "sys.stderr.write('x' * 5000 + ' quota exceeded\\n')\n"
            "sys.exit(3)"
        )
    )

    assert await notifier.send(alert()) is False
    error = notifier.last_error
    assert error is not None
    assert "exit status 3" in error
    assert error.endswith("quota exceeded")
    assert len(error) < 500  # only the tail of a long stderr


async def test_program_ignoring_stdin_still_counts_when_it_succeeds() -> None:
    assert await CommandNotifier(python("pass")).send(alert()) is True


async def test_hanging_program_is_killed_at_the_timeout(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    # The program starts a grandchild and both hang: the whole group must go.
    code = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(60)\n"
    )
    notifier = CommandNotifier(python(code), timeout=1)

    assert await notifier.send(alert()) is False
    assert notifier.last_error is not None
    assert "no exit within 1 s (killed)" in notifier.last_error
    grandchild = int(pid_file.read_text())
    assert await _gone(grandchild)


async def _gone(pid: int, patience: float = 5.0) -> bool:
    """Wait (bounded) for a SIGKILLed process to disappear."""
    for _ in range(int(patience / 0.05)):
        if not _alive(pid):
            return True
        await asyncio.sleep(0.05)
    return False


def _alive(pid: int) -> bool:
    """Whether ``pid`` is still running (a zombie awaiting its reaper counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
    except (OSError, IndexError):
        return True
    return state != "Z"


async def test_missing_program_fails_with_a_clear_error() -> None:
    notifier = CommandNotifier(["/nonexistent/monitor-notify-hook"])

    assert await notifier.send(alert()) is False
    assert notifier.last_error == (
        "notify command '/nonexistent/monitor-notify-hook' failed: program not found"
    )


async def test_program_that_is_not_executable(tmp_path: Path) -> None:
    script = tmp_path / "hook.sh"
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(0o644)
    notifier = CommandNotifier([str(script)])

    assert await notifier.send(alert()) is False
    assert notifier.last_error is not None
    assert notifier.last_error.endswith("program is not executable")


def test_empty_command_is_refused() -> None:
    with pytest.raises(ValueError):
        CommandNotifier([])

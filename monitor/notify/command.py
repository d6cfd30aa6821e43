"""Run a local program for each alert, the alert as JSON on its stdin.

The program is started without a shell (argv as configured, nothing interpolated), in
its own process group so that a timeout kills whatever it started too.  Its stdout is
discarded; the tail of its stderr becomes the error message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
from collections.abc import Sequence

from monitor.model import Alert
from monitor.notify.payload import alert_payload
from monitor.text import one_line

log = logging.getLogger(__name__)

STDERR_TAIL = 300  # characters of stderr kept for the error message
KILL_GRACE = 2.0  # seconds to wait for a killed program to be reaped


class CommandNotifier:
    def __init__(self, argv: Sequence[str], timeout: float = 10) -> None:
        if not argv:
            raise ValueError("the notify command is empty")
        self.argv = tuple(str(a) for a in argv)
        self.timeout = timeout
        self.deadline = timeout + KILL_GRACE  # the longest one send can take
        self.last_error: str | None = None

    async def send(self, alert: Alert) -> bool:
        text = json.dumps(alert_payload(alert), ensure_ascii=False, default=str)
        payload = (text + "\n").encode()
        try:
            error = await self._run(payload)
        except Exception as exc:  # anything the OS says about starting it
            error = f"{type(exc).__name__}: {exc}"
        if error is None:
            self.last_error = None
            return True
        self.last_error = f"notify command {self.argv[0]!r} failed: {error}"
        log.warning("%s", self.last_error)
        return False

    async def _run(self, payload: bytes) -> str | None:
        try:
            proc = await asyncio.create_subprocess_exec(
                *self.argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
            )
        except FileNotFoundError:
            return "program not found"
        except PermissionError:
            return "program is not executable"
        try:
            _, stderr = await asyncio.wait_for(proc.communicate(payload), self.timeout)
        except TimeoutError:
            await _kill(proc)
            return f"no exit within {self.timeout:g} s (killed)"
        except BaseException:
            await _kill(proc)  # cancelled by the caller: do not leave the program behind
            raise
        if proc.returncode == 0:
            return None
        return _exit_reason(proc.returncode, stderr)


def _exit_reason(returncode: int | None, stderr: bytes) -> str:
    if returncode is not None and returncode < 0:
        reason = f"killed by signal {-returncode}"
    else:
        reason = f"exit status {returncode}"
    # The end of stderr is where the error usually is; clean only that much.
    tail = one_line(stderr[-4 * STDERR_TAIL :].decode("utf-8", "replace"))[-STDERR_TAIL:]
    return f"{reason}: {tail}" if tail else reason


async def _kill(proc: asyncio.subprocess.Process) -> None:
    """Kill the program and its children, and reap it (bounded)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        # The whole group even when the program itself has exited: a child it left
        # behind may be what holds stderr open.
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        elif proc.returncode is None:
            proc.kill()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(proc.wait(), KILL_GRACE)

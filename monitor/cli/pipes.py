"""A closed standard output (``monitor replay ... | head -1``) ends a command quietly.

When the reader of a pipe goes away, writing raises ``BrokenPipeError``.  The first
such error marks stdout closed: standard output is pointed at /dev/null (so nothing
else, not even the interpreter's last flush, prints a traceback), whoever waits for
output is told to stop (``on_stdout_closed``), and the command ends with the status a
shell gives a program killed by SIGPIPE, 128 + 13 = 141.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable

EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE

_callbacks: list[Callable[[], object]] = []
_closed = False


def stdout_closed() -> bool:
    """Whether a write to stdout found its reader gone."""
    return _closed


def on_stdout_closed(callback: Callable[[], object]) -> None:
    """Call ``callback`` (once) when stdout turns out to be closed."""
    _callbacks.append(callback)


def mark_stdout_closed() -> None:
    """Stdout's reader is gone: silence stdout and tell whoever waits for output."""
    global _closed
    if _closed:
        return
    _closed = True
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real stdout (a test's StringIO): nothing to silence
        pass
    callbacks, _callbacks[:] = list(_callbacks), []
    for callback in callbacks:
        callback()

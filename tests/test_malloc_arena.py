"""One glibc malloc arena for all of the monitor's threads (``one_malloc_arena``), which
the ``monitor`` command sets first: the arenas glibc counts in ``malloc_info`` after
four threads allocate, in a fresh process each time."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.confstr("CS_GNU_LIBC_VERSION") is None,
    reason="glibc only",
)

ARENAS = textwrap.dedent(
    """
    import ctypes, re, sys, threading
    from monitor.cli.main import one_malloc_arena
    if sys.argv[1] == "capped":
        one_malloc_arena()
    def allocate():
        keep = [bytearray(4096) for _ in range(2000)]
        del keep
    threads = [threading.Thread(target=allocate) for _ in range(4)]
    for t in threads: t.start()
    for t in threads: t.join()
    libc = ctypes.CDLL(None)
    libc.fopen.restype = ctypes.c_void_p
    libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    out = sys.argv[2]
    stream = libc.fopen(out.encode(), b"w")
    libc.malloc_info(0, stream)
    libc.fclose(stream)
    print(len(re.findall(r'<heap nr="', open(out).read())))
    """
)


def _arenas(mode: str, tmp_path: Path, env: dict[str, str] | None = None) -> int:
    run_env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    run_env.update(env or {})
    out = subprocess.run(
        [sys.executable, "-c", ARENAS, mode, str(tmp_path / f"{mode}.xml")],
        capture_output=True,
        text=True,
        check=True,
        env=run_env,
    )
    return int(out.stdout)


def test_threads_share_one_arena_once_capped(tmp_path: Path) -> None:
    assert _arenas("free", tmp_path) > 1  # glibc's default: an arena per thread
    assert _arenas("capped", tmp_path) == 1


def test_a_users_malloc_arena_max_is_left_to_glibc(tmp_path: Path) -> None:
    assert _arenas("capped", tmp_path, {"MALLOC_ARENA_MAX": "3"}) > 1

"""Terminal-native notifications: detection, the sequences, tmux wrapping, cleaning."""

from __future__ import annotations

import os
import pty

import pytest

from monitor.notify.osc import Protocol, detect, resolve, sequence, wrap_tmux


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"TERM": "xterm-kitty"}, Protocol.OSC99),
        ({"KITTY_WINDOW_ID": "3", "TERM": "xterm-256color"}, Protocol.OSC99),
        ({"TERM_PROGRAM": "iTerm.app"}, Protocol.OSC9),
        ({"LC_TERMINAL": "iTerm2", "TERM": "xterm-256color"}, Protocol.OSC9),  # over ssh
        ({"WT_SESSION": "abc"}, Protocol.OSC9),
        ({"TERM_PROGRAM": "WezTerm"}, Protocol.OSC777),
        ({"TERM_PROGRAM": "ghostty"}, Protocol.OSC777),
        ({"TERM": "foot"}, Protocol.OSC777),
        ({"TERM": "xterm-256color"}, Protocol.BELL),
        ({}, Protocol.BELL),
    ],
)
def test_detect(env: dict[str, str], expected: Protocol) -> None:
    assert detect(env) is expected


def test_config_overrides_detection() -> None:
    assert resolve("osc777", {"TERM": "xterm-kitty"}) is Protocol.OSC777
    assert resolve("off", {"TERM": "xterm-kitty"}) is Protocol.OFF
    assert resolve("auto", {"TERM": "xterm-kitty"}) is Protocol.OSC99


def test_sequences() -> None:
    assert sequence(Protocol.OSC9, "SOX selloff", "^SOX -9.15%") == (
        "\x1b]9;SOX selloff: ^SOX -9.15%\x07"
    )
    assert sequence(Protocol.OSC777, "a;b", "body") == "\x1b]777;notify;a,b;body\x1b\\"
    osc99 = sequence(Protocol.OSC99, "T", "B")
    assert osc99.startswith("\x1b]99;i=monitor:d=0:p=title;T\x1b\\")
    assert osc99.endswith("\x1b]99;i=monitor:d=1:p=body;B\x1b\\")
    assert sequence(Protocol.BELL, "T", "B") == "\a"
    assert sequence(Protocol.OFF, "T", "B") == ""


def test_untrusted_text_cannot_escape_the_sequence() -> None:
    hostile = "US\x1b]52;c;UFdORUQ=\x07\x1b[2J\x9b31m\u202e"
    seq = sequence(Protocol.OSC9, hostile, hostile)
    # exactly one ESC (the opener) and one BEL (the terminator): nothing of the text
    assert seq.count("\x1b") == 1 and seq.count("\x07") == 1
    assert "\x9b" not in seq and "\u202e" not in seq and "52;c" not in seq.replace("]9;", "")


def test_tmux_wrapping_doubles_every_escape() -> None:
    inner = "\x1b]777;notify;T;B\x1b\\"
    wrapped = wrap_tmux(inner)
    assert wrapped.startswith("\x1bPtmux;\x1b\x1b]777;") and wrapped.endswith("\x1b\x1b\\\x1b\\")
    assert sequence(Protocol.OSC777, "T", "B", tmux=True) == wrapped


def test_bytes_reach_a_pty_intact() -> None:
    """What a terminal on the other end of a pty reads is exactly the sequence."""
    master, slave = pty.openpty()
    try:
        seq = sequence(Protocol.OSC99, "NVDA below 120", "NVDA 118.42 (-16.97%)")
        os.write(slave, seq.encode())
        got = b""
        while len(got) < len(seq.encode()):
            got += os.read(master, 4096)
        assert got == seq.encode()
    finally:
        os.close(master)
        os.close(slave)


def _run_in_pty(args: list[str], env: dict[str, str], want: bytes, limit: float = 90.0) -> bytes:
    """Run ``monitor ARGS`` on a pty (80x24) until ``want`` is read from it; all bytes read."""
    import fcntl
    import select
    import struct
    import subprocess
    import sys
    import termios
    import time

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    got = b""
    try:
        end = time.monotonic() + limit
        while want not in got and time.monotonic() < end and proc.poll() is None:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    got += os.read(master, 65536)
                except OSError:
                    break
    finally:
        proc.kill()
        proc.wait()
        os.close(master)
    return got


def _pty_env(tmp_path: object, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TERM_PROGRAM", "KITTY_WINDOW_ID", "WT_SESSION", "LC_TERMINAL", "TMUX")
    }
    env.update(
        TERM="xterm-256color",
        LANG="C.UTF-8",
        HOME=str(tmp_path),
        XDG_CONFIG_HOME=f"{tmp_path}/config",
        XDG_DATA_HOME=f"{tmp_path}/data",
        **extra,
    )
    return env


def test_the_app_notifies_through_the_terminal(tmp_path: object) -> None:
    """The demo's first alerts reach the pty as an OSC 9 notification (iTerm2)."""
    got = _run_in_pty(["demo"], _pty_env(tmp_path, TERM_PROGRAM="iTerm.app"), b"\x1b]9;")
    assert b"\x1b]9;" in got, "no OSC 9 notification written"
    start = got.index(b"\x1b]9;")
    note = got[start : got.index(b"\x07", start)].decode()
    assert "·" in note and ("DeepSeek" in note or "SOX" in note or "alerts" in note)
    assert "\x1b" not in note[1:]  # nothing from the alert text escapes the sequence


def test_the_app_wraps_kitty_notifications_for_tmux(tmp_path: object) -> None:
    env = _pty_env(tmp_path, KITTY_WINDOW_ID="1", TMUX="/nonexistent/tmux-sock,1,0")
    want = b"\x1bPtmux;\x1b\x1b]99;i=monitor:d=0:p=title;"
    got = _run_in_pty(["demo"], env, want)
    assert want in got

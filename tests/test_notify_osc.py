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

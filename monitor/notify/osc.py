"""Desktop notifications through the terminal itself: OSC 9, OSC 777 and kitty's OSC 99.

Over SSH a D-Bus notification cannot reach the person's desktop, but their terminal can:
iTerm2, Windows Terminal and ConEmu show OSC 9; WezTerm, foot, Ghostty and rxvt-unicode
show OSC 777 ``notify``; kitty shows OSC 99.  Which one a terminal understands is read
from the environment (``TERM_PROGRAM``, ``TERM``, ``KITTY_WINDOW_ID``, ``WT_SESSION``,
``LC_TERMINAL``...) and can be set in the config.  Inside tmux the sequence is wrapped
for passthrough (``ESC P tmux; ... ESC \\``), which tmux 3.3+ forwards only when its
``allow-passthrough`` option is on: :func:`tmux_passthrough` asks tmux and the caller
says so when it is off.

The text of an alert comes from quote sources, feeds and the config: it is cleaned of
every control character here (:func:`monitor.text.clean_text`), so the only escape
sequences written are the ones built below.  This module is pure apart from
:func:`tmux_passthrough`, which runs ``tmux show``.
"""

from __future__ import annotations

import enum
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence

from monitor.model import Alert, Severity

#: longest title/body sent: terminals truncate or drop long notifications anyway
MAX_TITLE = 80
MAX_BODY = 240


class Protocol(enum.StrEnum):
    """How the terminal is asked to show a notification ("bell": it only rings)."""

    OSC9 = "osc9"
    OSC777 = "osc777"
    OSC99 = "osc99"
    BELL = "bell"
    OFF = "off"


def detect(env: Mapping[str, str]) -> Protocol:
    """The protocol the terminal in ``env`` understands (``BELL`` when none is known)."""
    term = env.get("TERM", "")
    program = env.get("TERM_PROGRAM", "").lower()
    lc_terminal = env.get("LC_TERMINAL", "").lower()  # iTerm2 sets it; ssh passes LC_*
    if env.get("KITTY_WINDOW_ID") or term == "xterm-kitty" or program == "kitty":
        return Protocol.OSC99
    if program == "wezterm" or env.get("WEZTERM_PANE"):
        return Protocol.OSC777
    if program == "ghostty" or term == "xterm-ghostty" or env.get("GHOSTTY_RESOURCES_DIR"):
        return Protocol.OSC777
    if term.startswith("foot") or term.startswith("rxvt-unicode"):
        return Protocol.OSC777
    if program == "iterm.app" or lc_terminal == "iterm2":
        return Protocol.OSC9
    if env.get("WT_SESSION") or env.get("ConEmuPID"):
        return Protocol.OSC9
    return Protocol.BELL


def in_tmux(env: Mapping[str, str]) -> bool:
    return bool(env.get("TMUX"))


def resolve(setting: str, env: Mapping[str, str]) -> Protocol:
    """The protocol to use: the config's choice, or detection when it says "auto"."""
    if setting == "auto":
        return detect(env)
    return Protocol(setting)


def sequence(protocol: Protocol, title: str, body: str, *, tmux: bool = False) -> str:
    """The bytes (as text) that ask the terminal to show ``title``/``body``.

    Empty for ``OFF``; a lone BEL for ``BELL``.  ``tmux`` wraps the OSC for passthrough.
    """
    if protocol is Protocol.OFF:
        return ""
    if protocol is Protocol.BELL:
        return "\a"
    from monitor.text import clean_text  # its patterns are compiled after the first frame

    title = clean_text(title, html=False, max_len=MAX_TITLE)
    body = clean_text(body, html=False, max_len=MAX_BODY)
    if protocol is Protocol.OSC9:
        # "9;4;..." is ConEmu's progress report: never start the text with a digit
        seq = f"\x1b]9;{title}: {body}\x07"
    elif protocol is Protocol.OSC777:
        seq = f"\x1b]777;notify;{title.replace(';', ',')};{body}\x1b\\"
    else:  # OSC 99: title then body, one notification id, "d=0" until the last part
        seq = (
            f"\x1b]99;i=monitor:d=0:p=title;{title}\x1b\\\x1b]99;i=monitor:d=1:p=body;{body}\x1b\\"
        )
    return wrap_tmux(seq) if tmux else seq


def wrap_tmux(seq: str) -> str:
    """Wrap a sequence for tmux passthrough: every ESC inside is doubled."""
    return "\x1bPtmux;" + seq.replace("\x1b", "\x1b\x1b") + "\x1b\\"


def tmux_passthrough() -> bool | None:
    """Whether tmux forwards wrapped sequences (``allow-passthrough`` on/all).

    ``None`` when tmux cannot be asked.  Runs ``tmux show -gv allow-passthrough``.
    """
    tmux = shutil.which("tmux")
    if tmux is None:
        return None
    try:
        out = subprocess.run(
            [tmux, "show", "-gv", "allow-passthrough"],
            capture_output=True,
            text=True,
            timeout=2,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() in ("on", "all")


def passthrough_notice(protocol: Protocol, env: Mapping[str, str]) -> str | None:
    """A one-line notice when tmux will swallow the notifications, else ``None``."""
    if protocol in (Protocol.OFF, Protocol.BELL) or not in_tmux(env):
        return None
    if tmux_passthrough() is False:
        return (
            "terminal notifications are wrapped for tmux, but tmux's allow-passthrough is "
            "off: run `tmux set -g allow-passthrough on` to see them"
        )
    return None


def alerts_text(alerts: Sequence[Alert]) -> tuple[str, str]:
    """(title, body) of one notification for the alerts of one batch."""
    if len(alerts) == 1:
        a = alerts[0]
        return f"{a.severity.upper()} · {a.rule}", a.message
    worst = max(alerts, key=lambda a: Severity.of(a.severity).rank)
    names = ", ".join(a.rule for a in alerts[:4])
    more = f" and {len(alerts) - 4} more" if len(alerts) > 4 else ""
    return f"{len(alerts)} alerts ({worst.severity})", f"{names}{more}"


class TerminalRinger:
    """Builds what the terminal channel writes for a batch of alerts."""

    def __init__(self, setting: str = "bell", env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        self.protocol = resolve(setting, env)
        self.tmux = in_tmux(env)

    def sequence(self, alerts: Sequence[Alert]) -> str:
        if not alerts:
            return ""
        title, body = alerts_text(alerts)
        return sequence(self.protocol, title, body, tmux=self.tmux)

"""The actions a person may rebind in `[settings.keys]`, with their default keys.

Pure data and one check, so the config can refuse a bad remapping with its file and
line without importing the UI.  The app's bindings (monitor/ui) carry these ids and
keys; a test holds the two equal.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

#: where a binding is active ("?" shows them under these titles) -> action id -> keys
ACTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "Everywhere": {
        "quit": ("q",),
        "help": ("question_mark",),
        "filter": ("slash",),
        "next_unread": ("n",),
        "previous_unread": ("N",),
        "refresh": ("r",),
        "pause": ("p",),
        "theme": ("t",),
        "pane_watchlist": ("1",),
        "pane_headlines": ("2",),
        "pane_alerts": ("3",),
    },
    "Watchlist": {
        "symbol_detail": ("enter",),
        "cycle_sort": ("s",),
        "toggle_group": ("c",),
        "next_group": ("g",),
        "add_symbol": ("a",),
        "remove_symbol": ("d",),
    },
    "Headlines": {
        "headline_detail": ("enter",),
        "open_link": ("o",),
        "toggle_all": ("asterisk",),
        "toggle_related": ("tilde",),
        "feeds": ("f",),
        "mark_all_read": ("x",),
        "clear_filter": ("escape",),
    },
    "Alerts": {
        "ack": ("a",),
        "snooze": ("z",),
        "mute": ("m",),
        "alert_detail": ("enter",),
    },
    "Headline details": {"close_detail": ("escape", "q"), "detail_open_link": ("o",)},
    "Symbol view": {"close_symbol": ("escape", "q")},
    "Alert details": {"close_alert_detail": ("escape", "q")},
    "Open link?": {"confirm_yes": ("y",), "confirm_no": ("n", "escape")},
    "Snooze": {"cancel_snooze": ("escape",)},
    "Prompt": {"cancel_prompt": ("escape",)},
    "Feeds": {"close_feeds": ("escape", "f")},
    "Replay (the demo)": {"replay_faster": ("plus",), "replay_slower": ("minus",)},
}
#: the panes' sections: active together with "Everywhere", never with each other
PANES = ("Watchlist", "Headlines", "Alerts")
#: sections live alongside every pane (the replay's speed keys live on the panes)
ALWAYS = ("Everywhere", "Replay (the demo)")
#: keys no action may be given: Textual's own and the ones that move around a table
RESERVED = {
    "ctrl+q": "quits at once",
    "ctrl+c": "copies or quits",
    "ctrl+p": "opens the command palette",
    "tab": "moves between panes",
    "shift+tab": "moves between panes",
    **{k: "moves the cursor" for k in ("up", "down", "left", "right", "pageup", "pagedown")},
    **{k: "moves the cursor" for k in ("home", "end", "ctrl+home", "ctrl+end")},
}
#: characters a person may write for the key names Textual uses
CHARACTERS = {
    "?": "question_mark",
    "/": "slash",
    "*": "asterisk",
    "~": "tilde",
    "+": "plus",
    "-": "minus",
}


def section_of(action: str) -> str | None:
    return next((title for title, actions in ACTIONS.items() if action in actions), None)


def key_names(value: str) -> tuple[str, ...]:
    """'ctrl+r, f5' -> ('ctrl+r', 'f5'); '?' -> ('question_mark',)."""
    return tuple(CHARACTERS.get(part, part) for part in _parts(value))


def _parts(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _together(section: str) -> set[str]:
    """The sections whose keys are live at the same time as ``section``'s."""
    if section in ALWAYS:
        return {*ALWAYS, *PANES}
    return {section, *ALWAYS} if section in PANES else {section}


def keys_problem(keys: Mapping[str, str]) -> tuple[str, str] | None:
    """The first remapping that cannot work, as (action, why); None when all can.

    Unknown action ids, reserved keys, and a key already taken by another action that
    is live at the same time (``refresh = "q"`` would leave no key to quit with)."""
    for action in keys:
        if section_of(action) is None:
            known = sorted(a for actions in ACTIONS.values() for a in actions)
            close = difflib.get_close_matches(action, known, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(known)}"
            return action, f"unknown action {action!r} ({hint})"
    effective = {
        (title, action): keys_of(action, keys, default)
        for title, actions in ACTIONS.items()
        for action, default in actions.items()
    }
    for action, value in keys.items():
        section = section_of(action)
        assert section is not None
        for written, key in zip(_parts(value), key_names(value), strict=True):
            if key in RESERVED:
                return action, f"key {written!r} {RESERVED[key]}: choose another key"
            for (title, other), taken in effective.items():
                if other != action and title in _together(section) and key in taken:
                    return action, (
                        f"key {written!r} already does {other} ({title}): choose another "
                        f"key, or give {other} another one too"
                    )
    return None


def keys_of(action: str, keys: Mapping[str, str], default: tuple[str, ...]) -> tuple[str, ...]:
    return key_names(keys[action]) if action in keys else default

"""Key bindings as the help screen and `[settings.keys]` see them, and the theme cycle.

Pure functions over Textual's binding objects: the app keeps only the calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from textual.binding import Binding, BindingType

from monitor.key_actions import key_names

#: `t` cycles these (those installed); the config's theme is put first.
THEMES = ("textual-dark", "textual-light", "nord", "gruvbox", "tokyo-night", "solarized-light")

Sections = list[tuple[str, list[BindingType]]]


def class_bindings(cls: type) -> list[BindingType]:
    """Every binding a class declares, base classes first (as Textual merges them)."""
    found: list[BindingType] = []
    for klass in reversed(cls.__mro__):
        found.extend(klass.__dict__.get("BINDINGS", []))
    return found


def binding_id(binding: BindingType) -> str | None:
    return binding.id if isinstance(binding, Binding) else None


def moving_bindings() -> list[BindingType]:
    """A list's keys: DataTable's, with Home and End as ``RowTable`` binds them."""
    from textual.widgets import DataTable

    from monitor.ui.widgets.cell_table import RowTable

    own = [b for b in RowTable.BINDINGS if isinstance(b, Binding)]
    keys = {b.key for b in own}
    kept = [b for b in DataTable.BINDINGS if not (isinstance(b, Binding) and b.key in keys)]
    return [*kept, *own]


def binding_sections(app_class: type) -> Sections:
    """Every binding of the app, its panes and its screens, titled as `?` shows them."""
    from textual.screen import Screen

    from monitor.ui.screens.alert_detail import AlertDetail
    from monitor.ui.screens.confirm_open import ConfirmOpen
    from monitor.ui.screens.feeds import FeedsScreen
    from monitor.ui.screens.headline_detail import HeadlineDetail
    from monitor.ui.screens.prompt import PromptScreen
    from monitor.ui.screens.snooze import SnoozeScreen
    from monitor.ui.screens.symbol_detail import SymbolDetail
    from monitor.ui.widgets.alerts import AlertsPane
    from monitor.ui.widgets.headlines import HeadlinesPane
    from monitor.ui.widgets.panes import Pane
    from monitor.ui.widgets.watchlist import WatchlistPane

    return [
        ("Everywhere", class_bindings(app_class)),
        ("Watchlist", WatchlistPane.BINDINGS),
        ("Headlines", HeadlinesPane.BINDINGS),
        ("Alerts", AlertsPane.BINDINGS),
        ("Moving around", [*Screen.BINDINGS[:2], *moving_bindings()]),
        ("Headline details", HeadlineDetail.BINDINGS),
        ("Symbol view", SymbolDetail.BINDINGS),
        ("Alert details", AlertDetail.BINDINGS),
        ("Open link?", ConfirmOpen.BINDINGS),
        ("Snooze", SnoozeScreen.BINDINGS),
        ("Prompt", PromptScreen.BINDINGS),
        ("Feeds", FeedsScreen.BINDINGS),
        ("Replay (the demo)", Pane.BINDINGS),
    ]


def checked_keymap(
    keys: Mapping[str, str], sections: Sections
) -> tuple[dict[str, str], str | None]:
    """Config `[settings.keys]` (binding id -> key) checked against the real ids: the
    keymap to apply, and a notice naming the unknown ids (None when all are known)."""
    known = {i for _, bindings in sections for b in bindings if (i := binding_id(b))}
    unknown = sorted(set(keys) - known)
    notice = None
    if unknown:
        notice = (
            f"Unknown action(s) in [settings.keys]: {', '.join(unknown)}. "
            f"Known: {', '.join(sorted(known))}."
        )
    keymap = {a: ",".join(key_names(key)) for a, key in keys.items() if a in known}
    return keymap, notice


def theme_cycle(first: str | None, available: Iterable[str]) -> list[str]:
    """The themes `t` steps through: the configured one first, then the usual ones."""
    names = [first, *THEMES] if first else list(THEMES)
    installed = set(available)
    return list(dict.fromkeys(n for n in names if n and n in installed))

"""The app's edits of the watchlist file (add/remove a symbol or a feed, mute a rule in
the file): asks what to change, has the engine write it, then reloads it.

The UI never writes the file itself: ``engine.editor`` does (keeping the file's
comments, validating the result, keeping an allowed file allowed).  A bundled config is
never written: the person is told, and offered a copy in the user config dir.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from monitor.ui.screens.prompt import PromptScreen

if TYPE_CHECKING:
    from monitor.ui.app import MonitorApp


class ConfigEdits:
    """Bound to the app; each method is a key or a palette command."""

    def __init__(self, app: MonitorApp) -> None:
        self.app = app

    def _editor(self) -> Any:
        engine = self.app.engine
        if engine is None:
            return None
        editor = engine.editor
        if editor.bundled:
            where = "the demo's" if engine.is_replay else "the bundled default"
            more = " — Save config copy (ctrl+p) to edit your own" if editor.can_copy else ""
            self.app.notify(
                f"Not saved: {where} config is part of the installed package{more}.",
                severity="warning",
                markup=False,
                timeout=8,
            )
            return None
        return editor

    def _ask(self, question: str, placeholder: str, then: Callable[[str], None]) -> None:
        if self._editor() is None:
            return

        def answered(text: str | None) -> None:
            if text:
                then(text)

        self.app.push_screen(PromptScreen(question, placeholder), answered)

    def add_symbol(self) -> None:
        group = self.app.watchlist.selected_group()
        where = f" to {group!r}" if group else ""
        self._ask(
            f"Add a symbol{where}:",
            "e.g. AAPL, 0700.HK, BTC-USD",
            lambda s: self._run(lambda e: e.add_symbol(s.upper(), group)),
        )

    def remove_symbol(self) -> None:
        symbol = self.app.watchlist.selected_symbol()
        editor = self._editor()
        if symbol is None or editor is None:
            return
        self._run(lambda e: e.remove_symbol(symbol))

    def add_feed(self) -> None:
        def add(text: str) -> None:
            name, _, url = text.rpartition(" ")
            self._run(lambda e: e.add_feed(name or url, url))

        self._ask("Add a feed: its name, then its URL", "Reuters Tech https://…/rss", add)

    def remove_feed(self) -> None:
        self._ask(
            "Remove the feed named:",
            "Reuters Tech",
            lambda n: self._run(lambda e: e.remove_feed(n)),
        )

    def mute_rule(self) -> None:
        rule = self.app.alerts.selected_rule()
        if rule is None:
            self._ask("Mute in the file (enabled = false) the rule named:", "", self._mute)
        elif self._editor() is not None:
            self._mute(rule)

    def _mute(self, rule: str) -> None:
        self._run(lambda e: e.mute_rule(rule, True))

    def save_copy(self) -> None:
        engine = self.app.engine
        if engine is not None:
            self._saved_copy(engine.editor.save_copy)

    def _saved_copy(self, save: Callable[[], Awaitable[Any]]) -> None:
        self.app.run_worker(self._save(save), group="config-edit", exclusive=True)

    async def _save(self, save: Callable[[], Awaitable[Any]]) -> None:
        try:
            path = await save()
        except ValueError as exc:
            self.app.notify(str(exc), severity="error", markup=False, timeout=8)
            return
        self.app.notify(f"Saved a copy to {path}: it is used from the next start.", markup=False)

    def _run(self, change: Callable[[Any], Awaitable[str]]) -> None:
        self.app.run_worker(self._edit(change), group="config-edit", exclusive=True)

    async def _edit(self, change: Callable[[Any], Awaitable[str]]) -> None:
        engine = self.app.engine
        if engine is None:
            return
        try:
            done = await change(engine.editor)
        except (ValueError, OSError) as exc:
            self.app.notify(str(exc), title="Config not changed", severity="error", markup=False)
            return
        self.app.notify(f"Config: {done}", markup=False, timeout=4)
        # reload now; the watcher takes the written file as seen, not as a second change
        self.app.config_watcher.baseline(engine.config_path)
        self.app.reload_config()

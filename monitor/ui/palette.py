"""The command palette's own commands (refresh, pause, reload, groups, theme, export…)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from monitor.ui.app import MonitorApp

Command = tuple[str, str, Callable[[], Any]]


def app_commands(app: MonitorApp) -> list[Command]:
    """What the app offers now (e.g. 'Resume polling' only while paused)."""
    engine = app.engine
    paused = engine is not None and engine.paused
    commands: list[Command] = [
        ("Refresh now", "Poll every source now", app.refresh_now),
        (
            "Resume polling" if paused else "Pause polling",
            "Stop or restart the timed polls (the screen stays live)",
            app.action_toggle_pause,
        ),
        ("Reload config", "Re-read the watchlist file now", app.reload_config),
        ("Toggle groups", "Collapse or expand every group", app.watchlist.toggle_all_groups),
        ("Switch theme", "Next colour theme (t)", app.action_next_theme),
        ("Export", "Write headlines, quotes and alerts as JSON lines", app.action_export),
        ("Mark all read", "Clear every unread marker", app.headlines.action_mark_all_read),
        ("Show keys", "Every key binding (?)", app.action_help),
        ("Add symbol", "To the watchlist file, in the group under the cursor (a)",
         app.edits.add_symbol),
        ("Remove symbol", "The one under the cursor, from the watchlist file (d)",
         app.edits.remove_symbol),
        ("Add feed", "A [[news.feeds]] entry: name and URL", app.edits.add_feed),
        ("Remove feed", "A [[news.feeds]] entry, by name", app.edits.remove_feed),
        ("Mute rule in file", "enabled = false for the rule under the cursor",
         app.edits.mute_rule),
    ]  # fmt: skip
    if engine is not None and engine.editor.can_copy:
        commands.append(("Save config copy", "The bundled default to your config dir, to edit",
                         app.edits.save_copy))  # fmt: skip
    if engine is not None and engine.is_replay:
        commands.append(("Replay recording", "Play the demo again", app.restart_replay))
    return commands


class MonitorCommands(Provider):
    """Lists whatever the app offers now."""

    def _commands(self) -> list[Command]:
        from monitor.ui.app import MonitorApp

        return app_commands(self.app) if isinstance(self.app, MonitorApp) else []

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, text=name, help=help_text)

"""The command palette's own commands (refresh, pause, reload, groups, export, keys…).

Textual's own system commands stay (Theme picks a theme; `t` steps through them), less
its "Keys" panel: this "Keys" is `?`, every key with its name (MonitorApp filters it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App, SystemCommand
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen

from monitor.paths import export_dir

if TYPE_CHECKING:
    from monitor.ui.app import MonitorApp
    from monitor.ui.engine_api import EngineAPI

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
        (
            "Export",
            "Write headlines, quotes and alerts as JSON lines into the user data dir",
            app.action_export,
        ),
        ("Mark all read", "Clear every unread marker", app.headlines.action_mark_all_read),
        ("Keys", "Every key binding and its name for [settings.keys] (?)", app.action_help),
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


def system_commands(app: App[Any], screen: Screen[Any]) -> Iterable[SystemCommand]:
    """Textual's own palette commands, less its "Keys" panel: the palette's "Keys" is
    `?`, which lists every key (one entry, not two)."""
    for command in App.get_system_commands(app, screen):
        if command.title != "Keys":
            yield command


async def export_to_data_dir(engine: EngineAPI) -> Path:
    """Export into the user data dir (never the working directory); the file written."""
    folder = export_dir()
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    stamp = engine.clock.now().strftime("%Y%m%d-%H%M%S")
    return await engine.export(folder / f"monitor-export-{stamp}.jsonl")

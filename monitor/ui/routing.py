"""Which views take the engine's messages, found again only when the screen changes.

Every engine event (each quote batch, its rules, each headline) goes to the app, the
panes, the status bar, the replay banner and any screen opened over the main one.
Finding the panes and bars by a query walks the whole main screen and matches each
node against the selector: ~0.3 ms an event, paid on the engine's own update path.
They are found again only when a node under the main screen is mounted or removed:
Textual counts those changes on every ancestor (``NodeList.updated``), as its own
``query_one`` cache does.
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.dom import DOMNode
from textual.screen import Screen

#: the nodes of the main screen that take engine messages
SELECTOR = "Pane, StatusBar, ReplayBanner"


class Views:
    def __init__(self) -> None:
        self._key: tuple[Screen[Any], int] | None = None
        self._found: list[DOMNode] = []

    def of(self, app: App[Any]) -> list[DOMNode]:
        """The app, the main screen's views, then the screens opened over it; none
        while the app is not running (events still queued as it closes are dropped)."""
        if not app.is_running or not app.screen_stack:
            return []
        main, *over = app.screen_stack
        key = (main, main._nodes._updates)  # counts mounts and removals beneath it
        if key != self._key:
            self._key, self._found = key, list(main.query(SELECTOR))
        return [app, *self._found, *over]

"""The key table the config checks a remapping against is the app's own bindings."""

from __future__ import annotations

from textual.binding import Binding

from monitor.key_actions import ACTIONS
from monitor.ui.app import MonitorApp
from monitor.ui.keys import binding_sections


def test_the_configs_key_table_is_the_apps_bindings() -> None:
    bound = {
        title: {b.id: tuple(k.strip() for k in b.key.split(",")) for b in bindings
                if isinstance(b, Binding) and b.id}
        for title, bindings in binding_sections(MonitorApp)
    }  # fmt: skip
    bound = {title: actions for title, actions in bound.items() if actions}
    assert bound == ACTIONS

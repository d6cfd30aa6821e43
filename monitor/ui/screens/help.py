"""Every key, generated from the bindings in force (so it is always true)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingsMap, BindingType, Keymap
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def key_rows(
    app: App[Any], bindings: Iterable[BindingType], keymap: Keymap
) -> list[tuple[str, str, str]]:
    """(keys, description, binding id) for each binding, with the keymap applied."""
    mapped = BindingsMap(bindings)
    if keymap:
        mapped.apply_keymap(dict(keymap))
    by_action: dict[tuple[str, str, str], list[str]] = {}
    for _, binding in mapped:
        if binding.system:
            continue
        label = binding.description or binding.action
        entry = (binding.action, label, binding.id or "")
        by_action.setdefault(entry, []).append(app.get_key_display(binding))
    return [(" / ".join(keys), label, id_) for (_, label, id_), keys in by_action.items()]


Sections = list[tuple[str, list[BindingType]]]


def help_text(app: App[Any], sections: Sections, keymap: Keymap) -> Text:
    text = Text()
    text.append("Esc, q or ? closes this list.\n\n", style="bold")
    for title, bindings in sections:
        text.append(f"{title}\n", style="bold underline")
        for keys, description, binding_id in key_rows(app, bindings, keymap):
            text.append(f"  {keys:<14}", style="bold cyan")
            text.append(f"{description:<24}")
            text.append(f"{binding_id}\n", style="dim")
        text.append("\n")
    text.append("ctrl+p opens the command palette.  Keys can be remapped in the config:\n")
    text.append('[settings.keys] as <name in the last column> = "key", e.g. refresh = "f5".')
    return text


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="close_help")]

    def __init__(self, sections: Sections, keymap: Keymap) -> None:
        super().__init__(classes="dialog-screen")
        self.sections, self.keymap = sections, keymap

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide-dialog", id="help-box"):
            yield Static(help_text(self.app, self.sections, self.keymap), id="help-text")

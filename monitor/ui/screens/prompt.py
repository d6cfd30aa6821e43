"""Ask for one line of text (a symbol, a feed): Enter answers, Escape cancels."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class PromptScreen(ModalScreen[str | None]):
    """Dismisses with the text typed (stripped), or None when cancelled or empty."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="cancel_prompt")]

    def __init__(self, question: str, placeholder: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.question = question
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self.question))
            yield Input(placeholder=self.placeholder, id="prompt-input")
            yield Label(Text("Enter to save · Esc to cancel", style="dim"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

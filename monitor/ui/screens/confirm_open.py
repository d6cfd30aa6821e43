"""Opening a link: only http(s), and only after the person has seen the whole URL."""

from __future__ import annotations

import webbrowser
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static


def safe_url(url: str | None) -> str | None:
    """The URL when it is a plain http(s) link with a host, else None."""
    if not url or any(ord(ch) < 0x20 or ch.isspace() for ch in url):
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


class ConfirmOpen(ModalScreen[bool]):
    """'Open this URL in the browser?' with the URL shown in full, as plain text."""

    BINDINGS = [
        Binding("y", "answer(True)", "Open", id="confirm_yes"),
        Binding("n,escape", "answer(False)", "Cancel", id="confirm_no"),
    ]

    def __init__(self, url: str) -> None:
        super().__init__(classes="dialog-screen")
        self.url = url

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text("Open in the browser?", style="bold"))
            yield Static(Text(self.url, style="underline"), id="confirm-url")
            with Horizontal(classes="buttons"):
                yield Button("Open (y)", variant="primary", id="open")
                yield Button("Cancel (n)", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "open")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


def confirm_and_open(app: App[Any], url: str | None) -> bool:
    """Ask, then open in a thread (browsers can block); False when the link is refused."""
    checked = safe_url(url)
    if checked is None:
        app.notify(
            f"Not opening this link (only http/https): {url or 'no link'}",
            severity="warning",
            markup=False,
        )
        return False

    def answered(yes: bool | None) -> None:
        if yes:
            opener = partial(webbrowser.open, checked)
            app.run_worker(opener, thread=True, group="browser", exit_on_error=False)

    app.push_screen(ConfirmOpen(checked), answered)
    return True

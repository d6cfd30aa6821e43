"""The baseline app: a bare Textual app painting one Static (``--yfinance``: with
``import yfinance`` first, as a stock Textual + yfinance monitor does)."""

from __future__ import annotations

import sys

if "--yfinance" in sys.argv:
    import yfinance  # noqa: F401

from textual.app import App, ComposeResult
from textual.widgets import Static

READY = "bare app ready"


class BareApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Static(READY)


if __name__ == "__main__":
    BareApp().run()

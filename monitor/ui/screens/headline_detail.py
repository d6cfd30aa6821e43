"""One headline in full: summary as plain text, every outlet's link, its symbols."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from monitor.formatting import Zones
from monitor.model import Headline
from monitor.ui.screens.confirm_open import confirm_and_open, safe_url


def detail_text(headline: Headline, zones: Zones | None = None) -> Text:
    """The whole story as one Text: nothing in it is ever read as markup."""
    text = Text()
    text.append(headline.title + "\n\n", style="bold")
    published = (zones or Zones()).stamp(headline.published)  # dated, local
    outlet = outlet_name(headline.source, headline.domain)
    text.append(f"{outlet} · {published} · feed {headline.feed}\n", style="dim")
    if headline.matched:
        text.append("matched: " + ", ".join(headline.matched) + "\n", style="dim")
    if headline.symbols:
        text.append("symbols: ", style="dim")
        text.append(" ".join(headline.symbols) + "\n", style="bold cyan")
    text.append("\n" + (headline.summary or "(no summary)") + "\n\n")
    text.append("Outlets\n", style="bold underline")
    outlets = headline.outlets or ()
    links = [(outlet_name(o.source, o.domain), o.link) for o in outlets] or [
        (outlet_name(headline.source, headline.domain), headline.link)
    ]
    for source, link in links:
        text.append(f"  {source}: ", style="italic")
        shown = link or "(no link)"
        text.append(shown + "\n", style="underline" if safe_url(link) else "dim strike")
    return text


def outlet_name(source: str, domain: str | None) -> str:
    """'Reuters (reuters.com)': the outlet with its domain, which a Google News link
    (a news.google.com redirect) does not show."""
    return f"{source} ({domain})" if domain and domain != source.lower() else source


class HeadlineDetail(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q", "dismiss", "Close", id="close_detail"),
        Binding("o", "open_link", "Open link", id="detail_open_link"),
    ]

    def __init__(self, headline: Headline, zones: Zones | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.headline, self.zones = headline, zones

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide-dialog"):
            yield Static(detail_text(self.headline, self.zones), id="headline-detail")

    def action_open_link(self) -> None:
        confirm_and_open(self.app, self.headline.open_link)

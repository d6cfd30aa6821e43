"""One headline row's cells: pure (Headline, state) -> rich Text, apart from the widget."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import cache
from typing import Any

from rich.text import Text

from monitor.formatting import headline_time
from monitor.model import Headline
from monitor.ui.widgets.format import highlighted

UNREAD = "●"
#: marks a topic match where stories that do not match are shown too
MATCH = "◆"
#: (column key, width) before the title; "match" only while marks are shown
FIXED_WIDTHS = {"unread": 1, "match": 1, "time": 7, "source": 12, "outlets": 3}


@cache
def _span_finder() -> Any:
    from monitor.query import find_spans

    return find_spans


def title_text(headline: Headline, extra_terms: Iterable[str] = ()) -> Text:
    """The title as plain text (never markup) with its matched query terms (and the
    filter's) highlighted."""
    terms = [*headline.matched, *extra_terms]
    spans = _span_finder()(headline.title, terms) if terms else []
    text = highlighted(headline.title, spans)
    if not headline.matched:
        text.stylize("dim")
    return text


@dataclass
class RowLook:
    """What the pane's state adds to a row: unread, marks, the filter's terms, the zone."""

    unread: set[str]
    marks: bool
    filter_terms: tuple[str, ...] = ()
    tz: tzinfo | None = None
    columns: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.columns = [c for c in FIXED_WIDTHS if self.marks or c != "match"] + ["title"]


def headline_cells(headline: Headline, now: datetime, look: RowLook) -> list[Text]:
    """The row's cells in ``look.columns`` order."""
    extra = len({o.source for o in headline.outlets} - {headline.source})
    cells = {
        "unread": Text(UNREAD if headline.story in look.unread else "", style="bold cyan"),
        "match": Text(MATCH if headline.matched else "", style="bold magenta"),
        "time": Text(headline_time(headline.published, now, look.tz), style="dim"),
        "source": Text(headline.source, style="italic", no_wrap=True, overflow="ellipsis"),
        "outlets": Text(f"+{extra}" if extra else "", style="bold"),
        "title": title_text(headline, look.filter_terms),
    }
    return [cells[c] for c in look.columns]


def placeholder_cells(message: str, look: RowLook) -> list[Text]:
    return [Text("") for _ in look.columns[:-1]] + [Text(message, style="dim italic")]

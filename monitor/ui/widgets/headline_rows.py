"""One headline row's cells: pure (Headline, state) -> rich Text, apart from the widget."""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import cache
from operator import itemgetter
from typing import Any

from rich.text import Text

from monitor.formatting import headline_time, headline_times
from monitor.model import Headline, Outlet
from monitor.ui.columns import Column, fit
from monitor.ui.widgets.format import highlighted
from monitor.ui.widgets.headline_related import RELATED

UNREAD = "●"
#: marks a topic match where stories that do not match are shown too
MATCH = "◆"
#: this much of a title is kept before the outlet's name or count get a column
TITLE_KEPT = 48
#: the title and its time are never squeezed out: the outlet, then the outlet count
#: give way first ("match" only while marks are shown)
COLUMNS = [
    Column("unread", priority=0),
    Column("match", priority=0),
    Column("time", priority=0),
    Column("source", minimum=8, priority=3, cap=18),
    Column("outlets", priority=2),
    Column("title", minimum=20, priority=0, flexible=True, ideal=TITLE_KEPT),
]


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
    if not headline.matched and not headline.related:
        text.stylize("dim")
    domain = _behind_redirect(headline)
    if domain:  # a Google News link says nothing of the outlet: name its domain
        text.append(f"  {domain}", style="dim italic")
    return text


def _behind_redirect(headline: Headline) -> str | None:
    """The outlet's domain when the story's link does not lead to it directly."""
    if not headline.domain or not headline.link:
        return None
    own = Outlet(headline.source, headline.link, headline.published, headline.domain)
    return None if own.is_own_link else headline.domain


@dataclass
class RowLook:
    """What the pane's state adds to a row: unread, marks, the filter's terms, the zone."""

    unread: Container[str]
    marks: bool
    filter_terms: tuple[str, ...] = ()
    tz: tzinfo | None = None


def headline_cells(headline: Headline, now: datetime, look: RowLook) -> dict[str, Text]:
    """The row's cells, by column."""
    extra = len({o.source for o in headline.outlets} - {headline.source})
    return {
        "unread": Text(UNREAD if headline.story in look.unread else "", style="bold cyan"),
        "match": Text(_mark(headline), style="bold magenta"),
        "time": time_cell(headline, now, look.tz),
        "source": Text(headline.source, style="italic", no_wrap=True, overflow="ellipsis"),
        "outlets": Text(f"+{extra}" if extra else "", style="bold"),
        "title": title_text(headline, look.filter_terms),
    }


def time_cell(headline: Headline, now: datetime, tz: tzinfo | None) -> Text:
    """How long ago the story was published ('5m')."""
    return time_text(headline_time(headline.published, now, tz))


def time_text(words: str) -> Text:
    return Text(words, style="dim")


def time_words(headlines: Iterable[Headline], now: datetime, tz: tzinfo | None) -> list[str]:
    """The words of each headline's time cell at ``now`` (``time_cell``'s, all at once)."""
    return headline_times((h.published for h in headlines), now, tz)


def _mark(headline: Headline) -> str:
    """◆ a topic match, ≈ a story related to a live burst."""
    return MATCH if headline.matched else RELATED if headline.related else ""


def natural_widths(cells: dict[str, Text]) -> dict[str, int]:
    """A row's cells' widths in terminal cells, by column."""
    return {key: cell.cell_len for key, cell in cells.items()}


def headline_layout(
    rows: Iterable[dict[str, int]], marks: bool, room: int, time: int | None = None
) -> dict[str, int]:
    """The shown columns' widths in ``room`` cells (``columns.fit``) for rows of these
    ``natural_widths``: a column is as wide as its widest cell wants (the time column
    as ``time`` says, when given: the rows' own time widths are then not read)."""
    rows = list(rows)
    natural = {c.key: max(map(itemgetter(c.key), rows), default=0) for c in COLUMNS}
    if time is not None:
        natural["time"] = time
    natural["unread"], natural["match"] = 1, 1 if marks else 0  # steady as rows are read
    return fit(COLUMNS, room, natural)


def placeholder_cells(message: str) -> dict[str, Text]:
    return {c.key: Text("") for c in COLUMNS} | {"title": Text(message, style="dim italic")}

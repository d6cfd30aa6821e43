"""One symbol: its quote, a larger intraday chart, recent days, and its headlines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from monitor.formatting import Zones, compact, headline_time, price
from monitor.model import DailyBar, Headline, Quote
from monitor.sessions import market_for
from monitor.ui.messages import QuotesArrived
from monitor.ui.widgets.cell_table import RowTable
from monitor.ui.widgets.format import signed_change, signed_pct
from monitor.ui.widgets.quote_cells import age_cell, limit_badge
from monitor.ui.widgets.sparkline import column_chart

if TYPE_CHECKING:
    from monitor.ui.engine_api import EngineAPI

CHART_HEIGHT = 6
DAYS_HEIGHT = 5


def quote_summary(
    symbol: str, quote: Quote | None, now: Any, streak: int = 0, zones: Zones | None = None
) -> Text:
    text = Text.assemble((symbol, "bold"), " ")
    if quote is None:
        return text.append("no quote yet", style="dim")
    if quote.name:
        text.append(quote.name + "  ", style="italic")
    text.append(f"{price(quote.price)} {quote.currency or ''}  ", style="bold")
    text.append_text(signed_change(quote.change))
    text.append("  ")
    text.append_text(signed_pct(quote.change_pct))
    text.append(
        f"  open {price(quote.open)}  range {price(quote.low)}–{price(quote.high)}"
        f"  prev {price(quote.prev_close)}  vol {compact(quote.volume)}  ",
        style="dim",
    )
    text.append_text(age_cell(quote, now))
    if quote.as_of is not None:  # the data's time at its exchange (or local)
        stamp = (zones or Zones()).stamp(quote.as_of, now, market=market_for(symbol).tz)
        text.append(f" at {stamp}", style="dim")
    badge = limit_badge(quote)
    if badge.plain:
        text.append("  ").append_text(badge)
        if streak > 1:
            text.append(f" {streak} sessions in a row", style="bold")
    return text


def chart_text(title: str, values: list[float], width: int, height: int) -> Text:
    """A block chart with its high and low labelled on the right."""
    text = Text(title + "\n", style="bold")
    rows = column_chart(values, width, height)
    if not rows:
        return text.append("no data", style="dim italic")
    high, low = max(values), min(values)
    for index, row in enumerate(rows):
        label = price(high) if index == 0 else price(low) if index == len(rows) - 1 else ""
        text.append(row, style="cyan")
        text.append(f" {label}\n", style="dim")
    return text


class SymbolDetail(ModalScreen[None]):
    BINDINGS = [Binding("escape,q", "dismiss", "Close", id="close_symbol")]

    def __init__(self, symbol: str, quote: Quote | None, engine: EngineAPI) -> None:
        super().__init__(classes="dialog-screen")
        self.symbol, self.quote, self.engine = symbol, quote, engine
        self.zones = engine.app_settings.zones()
        self.days: list[DailyBar] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide-dialog", id="symbol-box"):
            yield Static(id="symbol-summary")
            yield Static(id="symbol-intraday")
            yield Static(id="symbol-days")
            yield RowTable(id="symbol-headlines", cursor_type="row", show_header=False)

    def on_mount(self) -> None:
        table = self.query_one("#symbol-headlines", DataTable)
        for column in ("time", "source", "title"):
            table.add_column(Text(column), key=column)
        table.add_row(Text(""), Text(""), Text("loading headlines…", style="dim"))
        self._draw()
        self._load()
        self.set_interval(1.0, self._draw_summary)  # the quote's age moves on

    def on_resize(self) -> None:
        self._draw()

    def on_quotes_arrived(self, message: QuotesArrived) -> None:
        """The view follows its symbol's quote live, as the watchlist row does."""
        quote = message.batch.quotes.get(self.symbol)
        if quote is not None:
            self.quote = quote
            self._draw()

    def _draw_summary(self) -> None:
        self.query_one("#symbol-summary", Static).update(
            quote_summary(
                self.symbol, self.quote, self.engine.clock.now(), self._streak(), self.zones
            )
        )

    def _draw(self) -> None:
        width = max(10, self.query_one("#symbol-box").size.width - 14)
        self._draw_summary()
        intraday = list(self.quote.intraday) if self.quote else []
        self.query_one("#symbol-intraday", Static).update(
            chart_text("Today", intraday, width, CHART_HEIGHT)
        )
        closes = [bar.close for bar in self.days][-width:]
        title = f"Last {len(closes)} sessions" if closes else "Recent sessions"
        self.query_one("#symbol-days", Static).update(chart_text(title, closes, width, DAYS_HEIGHT))

    def _streak(self) -> int:
        if not self.days or self.quote is None:
            return 0
        from monitor.price_limits import limit_up_streak

        return limit_up_streak(self.days, self.symbol, self.quote.name, today=self.quote)

    @work(exclusive=True, group="symbol-detail", exit_on_error=False)
    async def _load(self) -> None:
        self.days = await self.engine.daily_history(self.symbol)
        self._draw()
        self._show_headlines(await self.engine.symbol_headlines(self.symbol))

    def _show_headlines(self, headlines: list[Headline]) -> None:
        table = self.query_one("#symbol-headlines", DataTable)
        table.clear()
        now = self.engine.clock.now()
        for headline in headlines:
            table.add_row(
                Text(headline_time(headline.published, now, self.zones.local), style="dim"),
                Text(headline.source, style="italic"),
                Text(headline.title),
            )
        if not headlines:
            table.add_row(Text(""), Text(""), Text(f"no headlines mention {self.symbol}"))

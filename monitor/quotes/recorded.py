"""Quotes replayed from a recorded CSV file (replay, demo, ``monitor once --at``, tests).

File format (UTF-8, one header line; blank lines and lines starting with ``#`` are
skipped; no quoted line breaks)::

    time,symbol,price,prev_close[,open,high,low,volume,currency,name,shares,source]

- ``time``: ISO-8601 with a UTC offset (``2025-01-27T14:30:00+00:00`` or ``...Z``);
  naive times are rejected.  Each row is the quote as known at ``time``.
- ``price`` (required, > 0) and ``prev_close`` (may be empty).
- ``open``/``high``/``low``/``volume``: the day's values so far; may be empty.
- ``currency`` (e.g. ``USD``, ``CNY``, ``GBp``) and ``name`` (shown, and used for the
  ST rule of A-share limits); ``source`` is a free provenance note, ignored.
- ``shares``: shares outstanding (> 0, may be empty), so an alert can state the market
  value gained or lost ("NVDA lost $588B of market value").
  Any other column is an error, so a typo (``prevclose``) cannot silently drop data.
- Rows sharing a ``time`` form one batch, delivered together.  Rows may come in any
  order; they are sorted by time.  Two rows for one symbol at one time are an error.

A daily-history CSV (``--history FILE``) has ``date,symbol,open,high,low,close,volume``
(plus an optional ``source``); its bars win over bars derived from the quotes file.

Errors name the file and line: ``RecordedQuotesError("quotes.csv:12: ...")``.
"""

from __future__ import annotations

import bisect
import csv
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from monitor import sessions
from monitor.clock import ManualClock
from monitor.model import DailyBar, Quote, QuoteBatch, SourceStatus, Status, known_volume
from monitor.text import clean_field, visible

REQUIRED = ("time", "symbol", "price", "prev_close")
OPTIONAL = ("open", "high", "low", "volume", "currency", "name", "shares", "source")
DAILY_COLUMNS = ("date", "symbol", "open", "high", "low", "close", "volume")


class RecordedQuotesError(ValueError):
    """A recorded file cannot be used; the message starts with ``path:line:``.

    What it quotes from the file (a column, a symbol) is written out visibly
    (``\\x1b``), never passed to the terminal as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(visible(message))


@dataclass(frozen=True, slots=True)
class Row:
    time: datetime
    symbol: str
    price: float
    prev_close: float | None
    open: float | None = None
    high: float | None = None
    low: float | None = None
    volume: float | None = None
    currency: str | None = None
    name: str | None = None
    shares: float | None = None
    line: int = 0


# ---- reading --------------------------------------------------------------------------


def _records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of every non-blank, non-comment line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordedQuotesError(f"{path}:0: cannot read: {exc}") from exc
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            yield number, next(csv.reader([line]))


def _header(
    path: Path,
    records: Iterator[tuple[int, list[str]]],
    required: Sequence[str],
    allowed: Sequence[str],
) -> list[str]:
    try:
        number, header = next(records)
    except StopIteration:
        raise RecordedQuotesError(f"{path}:1: empty file (no header)") from None
    columns = [c.strip().lower() for c in header]
    missing = [c for c in required if c not in columns]
    if missing:
        raise RecordedQuotesError(f"{path}:{number}: missing column(s) {', '.join(missing)}")
    unknown = [c for c in columns if c not in allowed]
    if unknown:
        raise RecordedQuotesError(
            f"{path}:{number}: unknown column(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(allowed)}"
        )
    return columns


def _number(
    path: Path, line: int, column: str, text: str, *, required: bool = False
) -> float | None:
    text = text.strip()
    if not text:
        if required:
            raise RecordedQuotesError(f"{path}:{line}: {column} is empty")
        return None
    try:
        value = float(text)
    except ValueError:
        raise RecordedQuotesError(f"{path}:{line}: {column} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise RecordedQuotesError(f"{path}:{line}: {column} {text!r} is not finite")
    return value


def _time(path: Path, line: int, text: str) -> datetime:
    try:
        t = datetime.fromisoformat(text.strip())
    except ValueError:
        raise RecordedQuotesError(f"{path}:{line}: time {text!r} is not ISO-8601") from None
    if t.tzinfo is None:
        raise RecordedQuotesError(f"{path}:{line}: time {text!r} {_offset_hint(text, t)}")
    return t


def _offset_hint(text: str, t: datetime) -> str:
    """What a time without an offset lacks, with a value that would be read."""
    if "T" not in text.strip().upper() and " " not in text.strip():  # a date alone
        return f"is a date without a time of day (write e.g. {t:%Y-%m-%d}T16:00:00-05:00)"
    return f"has no UTC offset (write e.g. {t.isoformat()}+00:00)"


def _row(path: Path, line: int, cells: dict[str, str]) -> Row:
    price = _number(path, line, "price", cells["price"], required=True)
    assert price is not None
    if price <= 0:
        raise RecordedQuotesError(f"{path}:{line}: price {price:g} is not positive")
    symbol = clean_field(cells["symbol"]) or ""
    if not symbol:
        raise RecordedQuotesError(f"{path}:{line}: symbol is empty")
    shares = _number(path, line, "shares", cells.get("shares", ""))
    if shares is not None and shares <= 0:
        raise RecordedQuotesError(f"{path}:{line}: shares {shares:g} is not positive")
    return Row(
        time=_time(path, line, cells["time"]),
        symbol=symbol,
        price=price,
        prev_close=_number(path, line, "prev_close", cells["prev_close"]),
        open=_number(path, line, "open", cells.get("open", "")),
        high=_number(path, line, "high", cells.get("high", "")),
        low=_number(path, line, "low", cells.get("low", "")),
        volume=_number(path, line, "volume", cells.get("volume", "")),
        # the file is outside input: its text cells are cleaned where they enter
        currency=clean_field(cells.get("currency"), max_len=12),
        name=clean_field(cells.get("name")),
        shares=shares,
        line=line,
    )


def read_rows(path: Path) -> list[Row]:
    """Every row of a recorded quotes file, sorted by time (stable)."""
    records = _records(path)
    columns = _header(path, records, REQUIRED, REQUIRED + OPTIONAL)
    rows = []
    for line, cells in records:
        if len(cells) != len(columns):
            raise RecordedQuotesError(
                f"{path}:{line}: {len(cells)} fields, the header has {len(columns)}"
            )
        rows.append(_row(path, line, dict(zip(columns, cells, strict=True))))
    if not rows:
        raise RecordedQuotesError(f"{path}: no rows, only a header")
    rows.sort(key=lambda r: r.time)
    return rows


def read_daily_history(path: Path) -> dict[str, list[DailyBar]]:
    """A daily-history CSV as bars per symbol, oldest first."""
    records = _records(path)
    columns = _header(path, records, DAILY_COLUMNS, (*DAILY_COLUMNS, "source"))
    bars: dict[str, dict[date, DailyBar]] = {}
    for line, cells in records:
        if len(cells) != len(columns):
            raise RecordedQuotesError(
                f"{path}:{line}: {len(cells)} fields, the header has {len(columns)}"
            )
        row = dict(zip(columns, cells, strict=True))
        try:
            day = date.fromisoformat(row["date"].strip())
        except ValueError:
            raise RecordedQuotesError(
                f"{path}:{line}: date {row['date']!r} is not YYYY-MM-DD"
            ) from None
        close = _number(path, line, "close", row["close"], required=True)
        assert close is not None
        symbol = row["symbol"].strip()
        bars.setdefault(symbol, {})[day] = DailyBar(
            day,
            _number(path, line, "open", row["open"]),
            _number(path, line, "high", row["high"]),
            _number(path, line, "low", row["low"]),
            close,
            known_volume(symbol, _number(path, line, "volume", row["volume"])),
        )
    return {s: [by_day[d] for d in sorted(by_day)] for s, by_day in bars.items()}


# ---- the source -----------------------------------------------------------------------


class _Series:
    """One symbol's rows in time order, with where each row's trading day starts."""

    def __init__(self, symbol: str, rows: list[Row]) -> None:
        self.rows = rows
        self.times = [r.time for r in rows]
        self.days = [sessions.trading_day(symbol, r.time) for r in rows]
        self.day_start: list[int] = []
        for i, day in enumerate(self.days):
            same = i > 0 and self.days[i - 1] == day
            self.day_start.append(self.day_start[i - 1] if same else i)

    def index_at(self, t: datetime) -> int | None:
        """Index of the last row at or before ``t``."""
        i = bisect.bisect_right(self.times, t) - 1
        return i if i >= 0 else None

    def intraday(self, i: int) -> tuple[float, ...]:
        return tuple(r.price for r in self.rows[self.day_start[i] : i + 1])


class RecordedQuotes:
    """QuoteSource over a recorded CSV; the clock follows the data."""

    def __init__(
        self,
        path: Path,
        *,
        clock: ManualClock | None = None,
        start: datetime | None = None,
        daily_history: Path | None = None,
    ) -> None:
        self.path = Path(path)
        self.name = self.path.name
        rows = read_rows(self.path)
        self._check_duplicates(rows)
        self.symbols: list[str] = list(dict.fromkeys(r.symbol for r in rows))
        self._series = {s: _Series(s, [r for r in rows if r.symbol == s]) for s in self.symbols}
        self._batches: list[tuple[datetime, list[Row]]] = []
        for row in rows:
            if self._batches and self._batches[-1][0] == row.time:
                self._batches[-1][1].append(row)
            else:
                self._batches.append((row.time, [row]))
        self.times: list[datetime] = [t for t, _ in self._batches]
        self.first_time, self.last_time = self.times[0], self.times[-1]
        if start is not None and start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self.start = start
        self._position = 0 if start is None else bisect.bisect_left(self.times, start)
        self.clock = clock or ManualClock(start or self.first_time)
        self._daily = read_daily_history(daily_history) if daily_history else {}
        self._bars: dict[str, tuple[list[date], list[DailyBar]]] = {}

    def _check_duplicates(self, rows: list[Row]) -> None:
        seen: dict[tuple[datetime, str], int] = {}
        for r in rows:
            key = (r.time, r.symbol)
            if key in seen:
                raise RecordedQuotesError(
                    f"{self.path}:{r.line}: second row for {r.symbol} at "
                    f"{r.time.isoformat()} (first on line {seen[key]})"
                )
            seen[key] = r.line

    # ---- batches in order (replay) -----------------------------------------------

    @property
    def next_time(self) -> datetime | None:
        """The time of the batch ``next_batch`` delivers next (None: at the end)."""
        return None if self.finished else self.times[self._position]

    def batch_times(self) -> list[datetime]:
        """Times of the batches ``next_batch`` has still to deliver."""
        return self.times[self._position :]

    def history_batches(self) -> list[QuoteBatch]:
        """The batches before ``start``, all at once (the replay's back story)."""
        end = self._position if self.start is not None else 0
        return [self._batch(i) for i in range(end)]

    def next_batch(self) -> QuoteBatch | None:
        """The next batch in time order, setting the clock to its time; None at the end."""
        if self.finished:
            return None
        batch = self._batch(self._position)
        self._position += 1
        self.clock.set(batch.time)
        return batch

    @property
    def finished(self) -> bool:
        return self._position >= len(self._batches)

    def _batch(self, index: int) -> QuoteBatch:
        t, rows = self._batches[index]
        return QuoteBatch(t, {r.symbol: self._quote(r.symbol, t) for r in rows})

    # ---- latest known quotes (live polling, ``once --at``) -----------------------

    def latest_at(self, t: datetime, symbols: Sequence[str] | None = None) -> QuoteBatch:
        """For each symbol (default: all in the file), the latest row at or before ``t``."""
        wanted = list(dict.fromkeys(symbols)) if symbols is not None else self.symbols
        return QuoteBatch(t, {s: self._quote(s, t) for s in wanted})

    def _quote(self, symbol: str, t: datetime) -> Quote:
        series = self._series.get(symbol)
        if series is None:
            return Quote(symbol=symbol, status=Status.NO_DATA, error="not in recorded file")
        i = series.index_at(t)
        if i is None:
            return Quote(
                symbol=symbol,
                status=Status.NO_DATA,
                error=f"no recorded row at or before {t.isoformat()}",
            )
        row = series.rows[i]
        return Quote(
            symbol=symbol,
            price=row.price,
            prev_close=row.prev_close,
            open=row.open,
            high=row.high,
            low=row.low,
            volume=known_volume(symbol, row.volume),
            currency=row.currency,
            market_state=sessions.market_state(symbol, t),
            as_of=row.time,
            status=Status.OK,
            name=row.name,
            intraday=series.intraday(i),
            shares_outstanding=row.shares,
        )

    # ---- QuoteSource -------------------------------------------------------------

    async def fetch(self, symbols: Sequence[str]) -> QuoteBatch:
        return self.latest_at(self.clock.now(), symbols)

    async def history(self, symbol: str, days: int = 400) -> list[DailyBar]:
        """Daily bars of the ``days`` before the clock's day, never of it or later: the
        daily-history file's, else the last recorded row of each trading day (close =
        price).  As the replay's clock moves on, its replayed days join the history."""
        now = self.clock.now()
        today = now.astimezone(sessions.market_for(symbol).tz).date()
        keys, bars = self._all_bars(symbol)
        start = bisect.bisect_left(keys, today - timedelta(days=days))
        return bars[start : bisect.bisect_left(keys, today)]

    def _all_bars(self, symbol: str) -> tuple[list[date], list[DailyBar]]:
        """Every day's bar of ``symbol``, in day order (computed once)."""
        found = self._bars.get(symbol)
        if found is None:
            by_day = {b.day: b for b in self._derived_bars(symbol)}
            by_day.update({b.day: b for b in self._daily.get(symbol, [])})
            keys = sorted(by_day)
            found = self._bars[symbol] = (keys, [by_day[d] for d in keys])
        return found

    def _derived_bars(self, symbol: str) -> list[DailyBar]:
        series = self._series.get(symbol)
        if series is None:
            return []
        last_of_day: dict[date, Row] = {}
        for day, row in zip(series.days, series.rows, strict=True):
            last_of_day[day] = row
        return [
            DailyBar(d, r.open, r.high, r.low, r.price, known_volume(symbol, r.volume))
            for d, r in last_of_day.items()
        ]

    def source_status(self) -> SourceStatus:
        status = Status.OK if self.clock.now() >= self.first_time else Status.PENDING
        return SourceStatus(
            self.name, "quotes", status, last_poll=self.clock.now(), detail=str(self.path)
        )

    async def aclose(self) -> None:
        return None

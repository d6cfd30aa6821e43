"""A suspect print is shown marked in the watchlist, and so is an unverified one
(monitor/plausibility.py; the engine side is tests/test_suspect_prints.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from monitor.model import Quote, Status
from monitor.ui.widgets.quote_cells import quote_cells

NOW = datetime(2025, 1, 27, 20, 0, tzinfo=UTC)


def test_a_suspect_print_shows_its_price_marked():
    held = Quote("BTC-USD", 0.0001, 100.0, as_of=NOW, status=Status.SUSPECT, error="suspect print")
    cells = quote_cells("BTC-USD", held, NOW)
    assert cells["last"].plain == "0.0001"
    assert cells["age"].plain.startswith("⚠ suspect")


def test_an_unverified_print_is_marked_a_plain_one_is_not():
    released = Quote("SMCI", 40.0, 100.0, as_of=NOW, unverified=True)
    assert quote_cells("SMCI", released, NOW)["age"].plain.startswith("⚠ unverified")
    plain = Quote("SMCI", 40.0, 100.0, as_of=NOW)
    assert "⚠" not in quote_cells("SMCI", plain, NOW)["age"].plain

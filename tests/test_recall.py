"""Precision and recall of the bundled default topic query on labeled real headlines.

The labeled set (tests/data/recall/, its README says where each row comes from) has a
tune half, on which the default query was tuned, and a held-out half, measured here.
Run ``pytest -s tests/test_recall.py`` to see the figures.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pytest

from monitor.config import bundled_config_dir, load_config_file
from monitor.query import Query, parse_query

DATA = Path(__file__).parent / "data" / "recall" / "headlines.csv"
#: the bundled default before issue 13, measured on the same half as a baseline
BASELINE_QUERY = 'DeepSeek OR "深度求索" OR "Liang Wenfeng" OR 梁文锋'
TARGET_PRECISION = 0.97
TARGET_RECALL = 0.95


@dataclass(frozen=True)
class Row:
    text: str
    about: bool
    split: str
    source: str


@dataclass(frozen=True)
class Score:
    true_pos: int
    false_pos: int
    false_neg: int

    @property
    def precision(self) -> float:
        flagged = self.true_pos + self.false_pos
        return self.true_pos / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        return self.true_pos / (self.true_pos + self.false_neg)

    def __str__(self) -> str:
        return (
            f"precision {self.precision:.3f} ({self.true_pos}/{self.true_pos + self.false_pos})"
            f", recall {self.recall:.3f} ({self.true_pos}/{self.true_pos + self.false_neg})"
        )


def load_rows() -> list[Row]:
    with DATA.open(encoding="utf-8", newline="") as fh:
        rows = [
            Row(r["text"], {"yes": True, "no": False}[r["label"]], r["split"], r["source"])
            for r in csv.DictReader(fh)
        ]
    assert {r.split for r in rows} == {"tune", "heldout"}
    return rows


def score(query: Query, rows: list[Row]) -> Score:
    hits = [(bool(query.match(r.text)), r.about) for r in rows]
    return Score(
        true_pos=sum(hit and about for hit, about in hits),
        false_pos=sum(hit and not about for hit, about in hits),
        false_neg=sum(about and not hit for hit, about in hits),
    )


def bundled_default_query() -> Query:
    loaded = load_config_file(bundled_config_dir() / "watchlist.toml", "bundled default")
    return parse_query(loaded.config.news.query)


def test_the_labeled_set_is_as_documented() -> None:
    rows = load_rows()
    assert len(rows) >= 200
    captured = [r for r in rows if r.source.startswith("shared/data/feeds/")]
    assert len(captured) >= 100
    heldout = [r for r in rows if r.split == "heldout"]
    assert sum(r.about for r in heldout) >= 40
    assert len({r.text for r in rows}) == len(rows)


def test_bundled_default_query_on_the_heldout_half() -> None:
    heldout = [r for r in load_rows() if r.split == "heldout"]
    baseline = score(parse_query(BASELINE_QUERY), heldout)
    tuned = score(bundled_default_query(), heldout)
    report = (
        f"held-out half ({len(heldout)} headlines): default query {tuned}; "
        f"before issue 13 {baseline}"
    )
    print(f"\n{report}")
    assert tuned.precision >= TARGET_PRECISION, report
    assert tuned.recall >= TARGET_RECALL, report


@pytest.mark.parametrize(
    ("text", "about"),
    [
        ("Perplexity adds R1 reasoning model, hosted in US data centers", True),
        ("DeepSeek-V3爆火，杭州AI公司一夜成名", True),
        ("Janus Pro 1B running 100% locally in-browser on WebGPU", True),
        ("Stocks Markets Fall Sharply as Investors Worry About China’s AI Advances", True),
        ("Rivian's R1 lineup carries 2024 deliveries to 51,579 vehicles", False),
        ("Rabbit R1 AI gadget gets an Android agent in new update", False),
        ("Manifest V3: Chrome disables uBlock Origin for more users", False),
        ("Janus Henderson beats profit estimates on higher fees", False),
        ("Deep-sea mining firms lobby Trump administration for seabed permits", False),
        ("Chinese startup Moonshot says its Kimi k1.5 model rivals OpenAI's o1", False),
        ("Eskom says it needs R1 trillion for the grid", False),
        ("a high-flyer stock falls", False),
    ],
)
def test_bundled_default_query_examples(text: str, about: bool) -> None:
    assert bool(bundled_default_query().match(text)) is about


def test_the_demo_uses_the_bundled_default_query() -> None:
    demo = Path(__file__).parents[1] / "monitor" / "demo" / "watchlist.toml"
    assert load_config_file(demo).config.news.query == bundled_default_query().source

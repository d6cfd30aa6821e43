"""feedparser's own test corpus (about 2,000 well-formed, ill-formed, encoding and entity
feeds) served on 127.0.0.1 and read by the real engine: no crash, and no escape
sequence or control character in anything stored, printed or reported.

The corpus is the ``tests/`` folder of feedparser's source distribution; fetch it with
``tests/faults/fetch_feedparser_corpus.sh DIR`` and point ``MONITOR_FEEDPARSER_CORPUS``
at ``DIR/tests``.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest

from monitor.cli.printer import Printer
from monitor.clock import ManualClock
from monitor.model import Status
from tests.faults.kit import US_OPEN, config_text, open_engine

CORPUS = os.environ.get("MONITOR_FEEDPARSER_CORPUS")
FOLDERS = ("wellformed", "illformed", "encoding", "entities", "compression")
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_HEADER = re.compile(rb"^Header:\s*([A-Za-z-]+):\s*(.+?)\s*$", re.MULTILINE)

pytestmark = [
    pytest.mark.skipif(
        not CORPUS,
        reason="feedparser corpus not fetched: run tests/faults/fetch_feedparser_corpus.sh "
        "DIR and set MONITOR_FEEDPARSER_CORPUS=DIR/tests (CI does)",
    ),
    pytest.mark.timeout(600),
]


def _corpus_files() -> list[Path]:
    root = Path(CORPUS or ".")
    if not root.is_dir():
        pytest.fail(f"MONITOR_FEEDPARSER_CORPUS={CORPUS}: not a directory")
    files = sorted(
        p
        for folder in FOLDERS
        for p in (root / folder).rglob("*")
        if p.is_file() and p.suffix in (".xml", ".rdf", ".gz", ".z", ".zz", "")
    )
    assert len(files) > 1500, f"only {len(files)} corpus files under {root}"
    return files


def _content_type(data: bytes) -> str | None:
    """The ``Header: Content-type:`` a corpus file asks to be served with, if any."""
    for name, value in _HEADER.findall(data[:2000]):
        if name.lower() == b"content-type":
            return value.decode("latin-1")
    return None


def _texts(headline) -> list[str]:
    return [
        headline.title,
        headline.summary,
        headline.link or "",
        headline.source,
        headline.feed,
        *(f"{o.source} {o.link or ''}" for o in headline.outlets),
    ]


async def test_feedparser_corpus_through_the_ingest_path(feed_server, tmp_path) -> None:
    files = _corpus_files()
    for i, path in enumerate(files):
        data = path.read_bytes()
        feed_server.serve(f"/c{i}", data, content_type=_content_type(data) or "application/xml")
    text = config_text(feeds=[(f"c{i}", feed_server.url(f"/c{i}")) for i in range(len(files))])
    engine, events = await open_engine(tmp_path, text, clock=ManualClock(US_OPEN), deadline=30)
    out = io.StringIO()
    printer = Printer(as_json=True, show_all=True, out=out)
    engine.subscribe(printer.event)
    plain = io.StringIO()
    engine.subscribe(Printer(as_json=False, show_all=True, out=plain).event)
    try:
        await engine.poll_news(force=True)
        stored = await engine.recent_headlines(limit=100_000, matched_only=False)
        sources = engine.sources()
    finally:
        await engine.stop()

    assert [n for n in events.notices if "poll failed" in n] == []
    fetched = [s for s in sources if s.kind == "feed"]
    assert len(fetched) == len(files)
    assert all(s.status in (Status.OK, Status.NOT_MODIFIED) for s in fetched), [
        (s.name, s.status, s.error) for s in fetched if s.status not in (Status.OK,)
    ][:10]
    assert len(stored) > 50  # the corpus really went in (most files test feed-level fields)
    bad = [(h.feed, t) for h in stored for t in _texts(h) if CONTROL.search(t)]
    assert bad == [], bad[:10]
    for s in fetched:
        assert not CONTROL.search(f"{s.error or ''} {s.detail or ''}"), (s.name, s.detail)
    for output in (out.getvalue(), plain.getvalue()):
        assert "\x1b" not in output and not CONTROL.search(output.replace("\n", ""))

"""Bursts, and the stories related to them.

A *burst* is the burst rule's own notion: a rule's news part that counts two or more
stories (``news "DeepSeek" count >= 5 within 30m``) holding now.  Its *episode* runs
back from now to the moment its count last reached the threshold without falling below
it since; its stories are the topic matches from one window before that moment to now.

While a burst is live, a headline that does not match the topic but came in during the
burst (first seen since one window before the episode began) is *related* when it
mentions a watched symbol ("Nvidia rout" under ``NVDA = ["Nvidia"]``) or at least
``MIN_VOCABULARY_HITS`` words of the event's vocabulary.  The vocabulary is the burst's
own: title words found in at least ``MIN_SUPPORT`` of its stories (and two), several
times (``DISTINCTIVE``) more often there than in the other headlines of the day, less
the topic query's own words.  Common words ("the", "as", "stocks") are as frequent in
other news, so they are no vocabulary; without enough other news to tell
(``MIN_BACKGROUND`` headlines) there is none, and only watched symbols relate.

Pure: headlines, rule specs and ``now`` in, bursts and marked headlines out.  Being
related never makes a headline a topic match: news rules and alerts never see it.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from monitor import frozen
from monitor.model import Headline
from monitor.query import fold
from monitor.rules.evaluate import Snapshot, matching_headlines
from monitor.rules.language import News, walk
from monitor.rules.spec import RuleSpec

#: a news part counting at least this many stories is a burst rule
BURST_COUNT = 2
MIN_SUPPORT = 0.15
DISTINCTIVE = 3.0
MIN_VOCABULARY_HITS = 2
MIN_BACKGROUND = 20
# Latin words of two letters or more (folded text), apostrophes inside
_WORD = re.compile(r"[a-z\u00e0-\u024f][a-z0-9\u00e0-\u024f'’]*[a-z0-9\u00e0-\u024f]")


@dataclass(frozen=True, slots=True)
class Burst:
    """A burst rule's news part holding now."""

    rule: str
    since: datetime  # one window before the episode began: related stories come after
    stories: tuple[str, ...]  # the topic matches since then
    vocabulary: frozenset[str]


def burst_parts(specs: Iterable[RuleSpec]) -> list[tuple[str, News]]:
    """(rule name, news part) of every enabled rule counting two or more stories."""
    return [
        (spec.name, node)
        for spec in specs
        if spec.enabled
        for node in walk(spec.rule.expr)
        if isinstance(node, News) and node.count >= BURST_COUNT
    ]


def live_bursts(
    specs: Iterable[RuleSpec],
    matches: Sequence[Headline],
    others: Sequence[Headline],
    now: datetime,
) -> list[Burst]:
    """The bursts holding at ``now``: ``matches`` are the topic matches the rules see,
    ``others`` the day's other headlines (the vocabulary's background)."""
    found = []
    snap = Snapshot(now=now, quotes={}, headlines=list(matches))
    for rule, node in burst_parts(specs):
        if len(matching_headlines(node, snap)) < node.count:
            continue
        window = timedelta(seconds=node.window)
        topical = [h for h in matches if h.first_seen <= now and node.query.match(_text(h))]
        since = episode_start([h.first_seen for h in topical], node.count, window) - window
        stories = [h for h in topical if h.first_seen > since]
        vocabulary = event_vocabulary(
            [h.title for h in stories], [h.title for h in others], node.query.terms
        )
        found.append(Burst(rule, since, tuple(h.story for h in stories), vocabulary))
    return found


def episode_start(times: Sequence[datetime], count: int, window: timedelta) -> datetime:
    """When the number of ``times`` in a sliding ``window`` last reached ``count`` and
    stayed there up to the latest time (the count holds at the end; times may repeat:
    one poll brings many stories at once).

    Between arrivals the count only falls, lowest just before the next arrival: the
    episode goes back over each arrival before which the count was still ``count``."""
    ordered = sorted(times)
    for t in sorted(set(ordered), reverse=True):
        before = bisect.bisect_left(ordered, t) - bisect.bisect_right(ordered, t - window)
        if before < count:
            return t
    raise ValueError("no times")


def event_vocabulary(
    stories: Sequence[str], background: Sequence[str], query_terms: Iterable[str]
) -> frozenset[str]:
    """Words of the burst's titles that are its own (see the module docstring)."""
    if len(stories) < 2 or len(background) < MIN_BACKGROUND:
        return frozenset()
    own = Counter(w for title in stories for w in words(title))
    other = Counter(w for title in background for w in words(title))
    exclude = {w for term in query_terms for w in words(term)}
    n, m = len(stories), len(background)
    support = max(2, MIN_SUPPORT * n)
    return frozenset(
        w
        for w, c in own.items()
        if c >= support and w not in exclude and c / n >= DISTINCTIVE * (other[w] + 1) / (m + 2)
    )


@lru_cache(maxsize=8192)
def words(text: str) -> frozenset[str]:
    """A title's Latin words, folded, without a possessive 's."""
    return frozenset(w.replace("’", "'").removesuffix("'s") for w in _WORD.findall(fold(text)))


def relation(headline: Headline, bursts: Sequence[Burst]) -> tuple[str, tuple[str, ...]] | None:
    """(burst rule, what ties it: symbols or vocabulary words) for a headline that does
    not match the topic and came in during a live burst; None otherwise."""
    if headline.matched:
        return None
    for burst in bursts:
        if headline.first_seen <= burst.since or headline.story in burst.stories:
            continue
        if headline.symbols:
            return burst.rule, headline.symbols
        hits = sorted(words(headline.title) & burst.vocabulary)
        if len(hits) >= MIN_VOCABULARY_HITS:
            return burst.rule, tuple(hits)
    return None


def mark_related(headlines: Iterable[Headline], bursts: Sequence[Burst]) -> list[Headline]:
    """The headlines with ``related`` set (or cleared) as the bursts say."""
    out = []
    for h in headlines:
        tie = relation(h, bursts) if bursts else None
        rule, by = tie if tie is not None else (None, ())
        if (h.related, h.related_by) != (rule, by):
            h = frozen.replace(h, related=rule, related_by=by)
        out.append(h)
    return out


def _text(h: Headline) -> str:
    return f"{h.title}\n{h.summary}"

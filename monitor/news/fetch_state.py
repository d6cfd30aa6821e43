"""What is remembered about a feed between polls, and the pure step that updates it.

``FetchResult`` is the outcome of one request; ``next_state`` folds it into the feed's
persisted ``FeedState``: the conditional-GET validators (ETag, Last-Modified), a
remembered permanent redirect, the backoff after failures (``monitor.backoff``) and
410 Gone.  No I/O and no clock here: ``now`` is always given.

Status semantics in ``FeedState.status``: the status of the last attempt is kept as it
was (``timeout``, ``unreachable``, ``rate_limited``, ``error`` ...), even while the feed
is backing off; callers show "backing off until ``next_try``" from ``next_try`` rather
than from a separate ``backoff`` status.  The engine skips a feed while
``now < next_try`` or it is ``gone``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.backoff import Backoff
from monitor.model import Status, iso

GONE_ERROR = "feed is gone (HTTP 410); disabled"
#: How a failing feed backs off: 30 s, 1 min, 2 min ... up to an hour, ±20% jitter.
FEED_BACKOFF = Backoff(initial=30, maximum=3600, jitter=0.2)


@dataclass(frozen=True)
class FeedState:
    """What is remembered about one feed between polls (persisted by the store)."""

    url: str  # current URL (after a remembered permanent redirect)
    etag: str | None = None
    last_modified: str | None = None
    failures: int = 0  # consecutive failures
    next_try: datetime | None = None  # do not fetch before this (backoff / Retry-After)
    gone: bool = False  # 410: disabled until the user changes the URL
    status: Status = Status.PENDING  # the last attempt's own status (see module doc)
    error: str | None = None
    last_ok: datetime | None = None
    moved_from: str | None = None  # original URL when a permanent redirect was remembered

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "etag": self.etag,
            "last_modified": self.last_modified,
            "failures": self.failures,
            "next_try": iso(self.next_try),
            "gone": self.gone,
            "status": self.status.value,
            "error": self.error,
            "last_ok": iso(self.last_ok),
            "moved_from": self.moved_from,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FeedState:
        return cls(
            url=data["url"],
            etag=data.get("etag"),
            last_modified=data.get("last_modified"),
            failures=int(data.get("failures", 0)),
            next_try=_parse_iso(data.get("next_try")),
            gone=bool(data.get("gone", False)),
            status=Status(data.get("status", Status.PENDING)),
            error=data.get("error"),
            last_ok=_parse_iso(data.get("last_ok")),
            moved_from=data.get("moved_from"),
        )

    def conditional_headers(self) -> dict[str, str]:
        """If-None-Match / If-Modified-Since from the last good answer's validators."""
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


def _parse_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    t = datetime.fromisoformat(text)
    return t if t.tzinfo else t.replace(tzinfo=UTC)


@dataclass(frozen=True)
class FetchResult:
    """The outcome of one fetch.  ``status`` is one of ok, not_modified, rate_limited,
    timeout, unreachable, gone, error; ``error`` is a short plain-text reason."""

    name: str
    url: str  # the URL requested (the state's URL)
    status: Status
    body: bytes | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    new_url: str | None = None  # permanent redirect (301/308) target to remember
    retry_after: float | None = None  # seconds
    http_status: int | None = None
    error: str | None = None


def next_state(
    state: FeedState,
    result: FetchResult,
    now: datetime,
    *,
    rng: random.Random | None = None,
    policy: Backoff = FEED_BACKOFF,
) -> FeedState:
    """Fold one fetch result into the feed's state.  Pure: no I/O, no clock.

    - ok / not_modified: failures reset, ``next_try`` cleared, ``last_ok`` = now; a 200
      stores the response's validators, a 304 keeps the old ones unless new ones came.
      A permanent redirect (``new_url``) is remembered only on success, so a moved feed
      whose new home is broken (or a refused redirect) keeps its original URL.
    - rate_limited (429), or an error with a Retry-After (503): failures + 1,
      ``next_try = now + max(retry_after, backoff)``.
    - gone: ``gone`` set, status gone; the engine stops polling it.
    - other failures: failures + 1, ``policy``'s backoff with jitter from ``rng``.
    """
    if result.status in (Status.OK, Status.NOT_MODIFIED):
        return _succeeded(state, result, now)
    if result.status is Status.GONE:
        return replace(
            state,
            gone=True,
            status=Status.GONE,
            error=GONE_ERROR,
            next_try=None,
            failures=state.failures + 1,
        )
    failures = state.failures + 1
    retry_after = result.retry_after  # only a 429 or a 503 carries one
    delay = policy.wait(failures, retry_after, rng=rng)
    return replace(
        state,
        failures=failures,
        next_try=now + timedelta(seconds=delay),
        status=result.status,
        error=result.error,
    )


def _succeeded(state: FeedState, result: FetchResult, now: datetime) -> FeedState:
    if result.status is Status.OK:
        etag, last_modified = result.etag, result.last_modified
    else:
        etag = result.etag or state.etag
        last_modified = result.last_modified or state.last_modified
    url, moved_from = state.url, state.moved_from
    if result.new_url and result.new_url != state.url:
        url, moved_from = result.new_url, state.moved_from or state.url
    return replace(
        state,
        url=url,
        moved_from=moved_from,
        etag=etag,
        last_modified=last_modified,
        failures=0,
        next_try=None,
        gone=False,
        status=result.status,
        error=None,
        last_ok=now,
    )

"""POST each alert as JSON to a webhook (ntfy, Slack-style incoming webhooks, Home Assistant).

The body is the alert's JSON plus a ``"text"`` field (the severity, rule and message),
which is what Slack and Mattermost display.  That text is escaped the way Slack asks
(``&``, ``<``, ``>``) so a headline cannot turn into a link or an ``<!channel>`` ping.

Network errors, timeouts, 5xx and 429 are retried with the one backoff policy
(``monitor.backoff``: exponential, Retry-After honoured up to ``max_retry_after``); any
other status is final.  Error messages name
only the scheme and host: webhook paths often carry the secret token.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from monitor.backoff import Backoff, RetryLater, parse_retry_after
from monitor.model import Alert
from monitor.notify.payload import alert_payload, clean_text

log = logging.getLogger(__name__)

USER_AGENT = "monitor (alert webhook)"


class WebhookNotifier:
    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10,
        retries: int = 3,
        headers: Mapping[str, str] | None = None,
        backoff: float = 0.5,
        max_retry_after: float = 30.0,
    ) -> None:
        """``retries`` is how many times a failed POST is repeated (at most 1 + retries
        requests); the n-th retry waits ``backoff * 2**(n-1)`` seconds, or what the
        server's Retry-After asks (up to ``max_retry_after``) when that is longer."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"webhook URL must be http(s)://host/...: {_where(url)}")
        self.url = url
        self.timeout = timeout
        self.retries = max(0, retries)
        self.headers = {"User-Agent": USER_AGENT, **(headers or {})}
        self.max_retry_after = max_retry_after
        # no jitter (no rng): one notifier's few retries need no spreading
        self.policy = Backoff(initial=backoff, maximum=backoff * 2**self.retries)
        longest_wait = max(max_retry_after, self.policy.maximum)
        self.deadline = (self.retries + 1) * timeout + self.retries * longest_wait
        self.last_error: str | None = None

    async def send(self, alert: Alert) -> bool:
        try:
            body = json.dumps(_body(alert), ensure_ascii=False, default=str).encode()
            error = await self._post_with_retries(body)
        except Exception as exc:  # a bug or an odd payload must not stop the other channels
            log.exception("webhook send failed")
            error = f"{type(exc).__name__}: {exc}"
        if error is None:
            self.last_error = None
            return True
        self.last_error = f"webhook {_where(self.url)} failed: {error}"
        log.warning("%s", self.last_error)
        return False

    async def _post_with_retries(self, body: bytes) -> str | None:
        headers = {**self.headers, "Content-Type": "application/json"}
        retrying = self.policy.retrying(self.retries + 1, max_retry_after=self.max_retry_after)
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            try:
                async for attempt in retrying:
                    with attempt:
                        return await self._post_once(client, body, headers, attempt.num)
            except RetryLater as exc:  # the last attempt failed too
                return exc.reason
        return None  # pragma: no cover - stamina makes at least one attempt

    async def _post_once(
        self, client: httpx.AsyncClient, body: bytes, headers: dict[str, str], attempt: int
    ) -> str | None:
        """None when the POST was accepted, the error when it is final; raises
        :class:`RetryLater` when it is worth repeating."""
        try:
            # httpx's timeout is per phase; this bounds the whole request.
            response = await asyncio.wait_for(
                client.post(self.url, content=body, headers=headers), self.timeout
            )
        except TimeoutError:
            raise RetryLater(f"no answer within {self.timeout:g} s", attempt=attempt) from None
        except httpx.HTTPError as exc:
            raise RetryLater(f"{type(exc).__name__}: {exc}", attempt=attempt) from None
        status = response.status_code
        if 200 <= status < 300:
            return None
        error = f"HTTP {status}"
        if status == 429 or status >= 500:
            wait = parse_retry_after(
                response.headers.get("Retry-After"), datetime.now(UTC), cap=self.max_retry_after
            )
            raise RetryLater(error, attempt=attempt, retry_after=wait)
        return error


def _body(alert: Alert) -> dict[str, Any]:
    body = alert_payload(alert)
    text = f"{alert.severity.upper()} {alert.rule}: {alert.message}"
    body["text"] = clean_text(text, html=True)
    return body


def _where(url: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]  # never the user:password part
    return f"{parts.scheme}://{host or '?'}"

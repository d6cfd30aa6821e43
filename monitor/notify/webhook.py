"""POST each alert as JSON to a webhook (ntfy, Slack-style incoming webhooks, Home Assistant).

The body is the alert's JSON plus a ``"text"`` field (the severity, rule and message),
which is what Slack and Mattermost display.  That text is escaped the way Slack asks
(``&``, ``<``, ``>``) so a headline cannot turn into a link or an ``<!channel>`` ping.

Network errors, timeouts, 5xx and 429 are retried with exponential backoff (Retry-After
honoured up to ``max_retry_after``); any other status is final.  Error messages name
only the scheme and host: webhook paths often carry the secret token.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

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
        requests); the n-th retry waits ``backoff * 2**n`` seconds unless the server sent
        Retry-After."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"webhook URL must be http(s)://host/...: {_where(url)}")
        self.url = url
        self.timeout = timeout
        self.retries = max(0, retries)
        self.headers = {"User-Agent": USER_AGENT, **(headers or {})}
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        longest_wait = max(max_retry_after, backoff * 2**self.retries)
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
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            for attempt in range(self.retries + 1):
                error, retry, wait = await self._post_once(client, body, headers, attempt)
                if error is None or not retry or attempt == self.retries:
                    return error
                await asyncio.sleep(wait)
        return error

    async def _post_once(
        self, client: httpx.AsyncClient, body: bytes, headers: dict[str, str], attempt: int
    ) -> tuple[str | None, bool, float]:
        """(error or None, worth retrying, seconds to wait first)."""
        backoff = self.backoff * 2**attempt
        try:
            # httpx's timeout is per phase; this bounds the whole request.
            response = await asyncio.wait_for(
                client.post(self.url, content=body, headers=headers), self.timeout
            )
        except TimeoutError:
            return f"no answer within {self.timeout:g} s", True, backoff
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}", True, backoff
        status = response.status_code
        if 200 <= status < 300:
            return None, False, 0.0
        error = f"HTTP {status}"
        if status == 429 or status >= 500:
            wait = _retry_after(response.headers.get("Retry-After"))
            return error, True, backoff if wait is None else min(wait, self.max_retry_after)
        return error, False, 0.0


def _body(alert: Alert) -> dict[str, Any]:
    body = alert_payload(alert)
    text = f"{alert.severity.upper()} {alert.rule}: {alert.message}"
    body["text"] = clean_text(text, html=True)
    return body


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _where(url: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]  # never the user:password part
    return f"{parts.scheme}://{host or '?'}"

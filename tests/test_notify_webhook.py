"""The webhook channel against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.backoff import parse_retry_after
from monitor.model import Alert
from monitor.notify.webhook import WebhookNotifier
from tests.notify_fixtures import Hook

pytestmark = pytest.mark.timeout(60)

T0 = datetime(2025, 4, 7, 14, 30, tzinfo=UTC)


def alert(**kw: object) -> Alert:
    base: dict[str, object] = {
        "rule": "nvda-below",
        "time": T0,
        "message": "NVDA below 120 <!channel> & <https://evil.test|click>",
        "severity": "warning",
        "symbol": "NVDA",
        "notify": ("webhook",),
    }
    base.update(kw)
    return Alert(**base)  # type: ignore[arg-type]


async def test_posts_alert_json_with_slack_text(webhook_server: Hook) -> None:
    notifier = WebhookNotifier(webhook_server.url, headers={"Authorization": "Bearer abc"})

    assert await notifier.send(alert()) is True

    (request,) = webhook_server.requests
    assert request["path"] == "/hooks/s3cr3t-token"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["Authorization"] == "Bearer abc"
    (body,) = webhook_server.bodies()
    assert body["type"] == "alert"
    assert body["rule"] == "nvda-below"
    assert body["symbol"] == "NVDA"
    assert body["message"] == "NVDA below 120 <!channel> & <https://evil.test|click>"
    # Slack's own escaping, so the headline cannot ping everyone or make a link.
    assert body["text"] == (
        "WARNING nvda-below: NVDA below 120 &lt;!channel&gt; &amp; &lt;https://evil.test|click&gt;"
    )


async def test_escape_sequences_are_stripped_from_the_payload(webhook_server: Hook) -> None:
    headline = {"title": "Chips \x1b]8;;http://evil.test\x07crash\x1b]8;;\x07", "source": "X"}
    assert await WebhookNotifier(webhook_server.url).send(
        alert(message="a\x1b[2Jb", headlines=(headline,))
    )
    (body,) = webhook_server.bodies()
    assert body["message"] == "ab"
    assert body["headlines"][0]["title"] == "Chips crash"


async def test_retries_5xx_then_succeeds(webhook_server: Hook) -> None:
    webhook_server.script = [(500, {}), (503, {})]
    notifier = WebhookNotifier(webhook_server.url, retries=3, backoff=0.01)

    assert await notifier.send(alert()) is True
    assert len(webhook_server.requests) == 3
    assert len({r["body"] for r in webhook_server.requests}) == 1  # the same alert each time
    assert notifier.last_error is None


async def test_gives_up_after_the_retries(webhook_server: Hook) -> None:
    webhook_server.script = [(502, {})] * 5
    notifier = WebhookNotifier(webhook_server.url, retries=2, backoff=0.01)

    assert await notifier.send(alert()) is False
    assert len(webhook_server.requests) == 3
    assert notifier.last_error is not None
    assert notifier.last_error.endswith("failed: HTTP 502")
    assert "s3cr3t" not in notifier.last_error  # the path (the token) is never shown


async def test_4xx_is_not_retried(webhook_server: Hook) -> None:
    webhook_server.script = [(400, {}), (200, {})]
    notifier = WebhookNotifier(webhook_server.url, backoff=0.01)

    assert await notifier.send(alert()) is False
    assert len(webhook_server.requests) == 1
    origin = webhook_server.url.removesuffix("/hooks/s3cr3t-token")
    assert notifier.last_error == f"webhook {origin} failed: HTTP 400"


async def test_429_waits_as_told_by_retry_after(
    webhook_server: Hook, monkeypatch: pytest.MonkeyPatch
) -> None:
    import monitor.notify.webhook as webhook

    slept: list[float] = []
    real_sleep = webhook.asyncio.sleep

    async def record_sleep(seconds: float) -> None:
        slept.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(webhook.asyncio, "sleep", record_sleep)
    webhook_server.script = [(429, {"Retry-After": "7"}), (429, {"Retry-After": "3600"}), (200, {})]
    notifier = WebhookNotifier(webhook_server.url, backoff=0.01, max_retry_after=60)

    assert await notifier.send(alert()) is True
    assert len(webhook_server.requests) == 3
    assert slept == [7.0, 60.0]  # honoured, but an hour is capped


async def test_unreachable_server_is_retried_then_fails() -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    notifier = WebhookNotifier(f"http://127.0.0.1:{port}/x", retries=1, backoff=0.01)

    assert await notifier.send(alert()) is False
    assert notifier.last_error is not None
    assert "ConnectError" in notifier.last_error


def test_retry_after_forms() -> None:
    now = datetime.now(UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after(None, now) is None
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now) == 0.0  # in the past


def test_only_http_urls() -> None:
    with pytest.raises(ValueError):
        WebhookNotifier("file:///etc/passwd")

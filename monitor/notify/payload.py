"""What an alert looks like when it leaves the program: clean text and clean JSON.

Alert text was sanitized on ingest; it is cleaned again here because a notification is
another edge where text leaves the program (a desktop shell renders a small HTML subset,
Slack renders ``<url|text>`` links).  The cleaning itself is ``monitor.text`` with
``html=False`` (the text is already plain: a ``<b>`` in it is literal text, to be shown,
not stripped); escaping for a markup-rendering receiver is done here.
"""

from __future__ import annotations

import html as _html
from typing import Any

from monitor.model import Alert
from monitor.text import clean_multiline


def clean_text(text: str, html: bool = False) -> str:
    """Plain, safe text (line breaks kept): no escape sequences, controls, bidi
    overrides or invisible characters; tags in it are text, not markup.

    With ``html=True`` the result is escaped for the freedesktop body markup subset
    (``<``, ``>``, ``&``), so ``<b>`` or ``<a href=...>`` in a headline shows literally.
    """
    plain = clean_multiline(text, html=False)
    return _html.escape(plain, quote=False) if html else plain


def clean_json(value: Any) -> Any:
    """``value`` with every string in it cleaned (a JSON payload leaving the program)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_json(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    return value


def alert_payload(alert: Alert) -> dict[str, Any]:
    """The alert as JSON for programs and webhooks (``Alert.to_json``, strings cleaned)."""
    payload: dict[str, Any] = clean_json(alert.to_json())
    return payload

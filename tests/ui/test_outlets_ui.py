"""The Headlines pane with a Google News story: its detail names each outlet's domain,
and `o` opens the outlet's own link where a feed gave one (not Google's redirect)."""

from __future__ import annotations

from datetime import timedelta

from monitor.model import Headline, Outlet
from monitor.ui.screens.confirm_open import ConfirmOpen
from monitor.ui.screens.headline_detail import HeadlineDetail
from tests.ui.fake_engine import NOW, FakeEngine
from tests.ui.test_app import WIDE, make_app, ready, wait_for

GOOGLE = "https://news.google.com/rss/articles/CBMiAAA1?oc=5"
CNBC = "https://www.cnbc.com/2025/01/27/nvidia-deepseek.html"


def google_story(*, with_cnbc: bool) -> Headline:
    t = NOW - timedelta(minutes=5)
    outlets = [Outlet("Reuters", GOOGLE, t, "reuters.com")]
    if with_cnbc:
        outlets.append(Outlet("CNBC", CNBC, t + timedelta(minutes=1), "cnbc.com"))
    return Headline(
        story="g1",
        title="Nvidia shares plunge 17% as DeepSeek rattles AI trade - Reuters",
        link=GOOGLE,
        source="Reuters",
        feed="Google News",
        published=t,
        first_seen=t,
        matched=("DeepSeek",),
        outlets=tuple(outlets),
        domain="reuters.com",
    )


async def _open_link(monkeypatch, headline: Headline) -> str:
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", opened.append)
    engine = FakeEngine()
    engine._headlines = [headline]
    app, _ = make_app(engine)
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        app.action_show_pane("headlines")
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmOpen))
        shown = app.screen.url
        await pilot.press("y")
        await wait_for(pilot, lambda: bool(opened))
    assert opened == [shown]
    return shown


async def test_o_opens_the_outlets_own_link_where_a_feed_gave_one(monkeypatch) -> None:
    assert await _open_link(monkeypatch, google_story(with_cnbc=True)) == CNBC


async def test_o_opens_googles_redirect_when_no_feed_gave_more(monkeypatch) -> None:
    assert await _open_link(monkeypatch, google_story(with_cnbc=False)) == GOOGLE


async def test_the_detail_names_each_outlets_domain() -> None:
    engine = FakeEngine()
    engine._headlines = [google_story(with_cnbc=True)]
    app, _ = make_app(engine)
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        app.action_show_pane("headlines")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, HeadlineDetail))
        plain = str(app.screen.query_one("#headline-detail").render())
    assert "Reuters (reuters.com) · " in plain
    assert f"Reuters (reuters.com): {GOOGLE}" in plain
    assert f"CNBC (cnbc.com): {CNBC}" in plain

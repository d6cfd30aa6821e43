"""Related stories: while a news burst is live, the headlines that do not match the topic
but mention a watched symbol or the burst's vocabulary (``monitor.rules.bursts``).

The part remembers the day's other headlines (those not matching the topic), marks
fresh headlines before they are announced, and after every rule evaluation (new news,
each quote batch) works the bursts out again at the engine clock: when the related
set changes (a burst begins, a story joins, the burst ends) it announces the whole set
in a ``RelatedEvent``.  Never a topic match: news rules and alerts do not see them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from monitor.clock import Clock
from monitor.engine.build import EngineSettings
from monitor.engine.sources import Emit
from monitor.events import RelatedEvent
from monitor.frozen import replace
from monitor.model import Headline
from monitor.rules.bursts import Burst, live_bursts, mark_related
from monitor.store import StoreWorker

#: how long the other headlines are remembered (the vocabulary's background)
OTHERS_MEMORY = timedelta(hours=24)
_REMEMBERED = 2000


class RelatedStories:
    """The stories related to a live burst, kept current as news and time move."""

    def __init__(
        self,
        settings: EngineSettings,
        *,
        matches: Callable[[], Sequence[Headline]],
        clock: Clock,
        store: StoreWorker,
        emit: Emit,
    ) -> None:
        self.settings = settings
        self._matches = matches
        self._clock = clock
        self._store = store
        self._emit = emit
        self.others: dict[str, Headline] = {}  # story -> a headline not matching the topic
        self.bursts: list[Burst] = []
        self._announced: dict[str, str] = {}  # story -> burst rule, as last announced

    async def open(self) -> None:
        """The day's other headlines, from the store."""
        since = self._clock.now() - OTHERS_MEMORY
        stored = await self._store.read(
            lambda s: s.recent_headlines(limit=_REMEMBERED, matched_only=False, since=since)
        )
        self._remember(stored)

    def clear(self) -> None:
        self.others.clear()
        self.bursts = []
        self._announced.clear()

    def note(self, headlines: Sequence[Headline]) -> list[Headline]:
        """Fresh headlines, marked related where a live burst says so."""
        self._remember(headlines)
        self._work_out()
        return mark_related(headlines, self.bursts)

    def refresh(self) -> None:
        """Work the bursts out again; announce the related set when it changed."""
        self._work_out()
        related = self.current()
        ties = {h.story: h.related or "" for h in related}
        if ties != self._announced:
            self._announced = ties
            names = tuple(dict.fromkeys(b.rule for b in self.bursts))
            self._emit(RelatedEvent(tuple(related), names))

    def current(self) -> list[Headline]:
        """The headlines related to a live burst now, newest first."""
        if not self.bursts:
            return []
        marked = mark_related(self.others.values(), self.bursts)
        return sorted((h for h in marked if h.related), key=lambda h: h.first_seen, reverse=True)

    def shown(self, polled: Sequence[Headline], show_all: bool = False) -> list[Headline]:
        """Of ``polled``: the topic matches and the related stories, marked (all of them
        with ``show_all``), in their order."""
        related = {h.story: h for h in self.current()}
        marked = [related.get(h.story, h) for h in polled]
        return [h for h in marked if show_all or h.matched or h.related]

    def _work_out(self) -> None:
        now = self._clock.now()
        specs = self.settings.rule_specs
        self.bursts = live_bursts(specs, self._matches(), list(self.others.values()), now)

    def _remember(self, headlines: Sequence[Headline]) -> None:
        for h in headlines:
            if h.matched:
                self.others.pop(h.story, None)
                continue
            old = self.others.get(h.story)
            # another outlet of a known story keeps its first sighting
            self.others[h.story] = h if old is None else replace(h, first_seen=old.first_seen)
        cutoff = self._clock.now() - OTHERS_MEMORY
        if len(self.others) > _REMEMBERED or any(
            h.first_seen < cutoff for h in self.others.values()
        ):
            kept = sorted(
                (h for h in self.others.values() if h.first_seen >= cutoff),
                key=lambda h: h.first_seen,
                reverse=True,
            )[:_REMEMBERED]
            self.others = {h.story: h for h in kept}

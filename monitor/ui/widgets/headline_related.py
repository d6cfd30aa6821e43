"""The stories related to a live news burst, as the Headlines pane shows them.

While a burst rule holds (``news "DeepSeek" count >= 5 within 30m``), the engine names
the headlines that do not match the topic but mention a watched symbol or the burst's
vocabulary (``monitor.rules.bursts``).  The pane shows them beside the topic matches,
marked ``≈``; ``~`` hides or shows them; when the burst is over they leave the view.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass, field

from monitor.model import Headline

RELATED = "≈"


@dataclass
class RelatedSet:
    """The related stories now, the bursts they belong to, and whether they are shown."""

    stories: set[str] = field(default_factory=set)
    bursts: tuple[str, ...] = ()
    shown: bool = True

    def update(
        self,
        headlines: MutableMapping[str, Headline],
        related: Iterable[Headline],
        bursts: tuple[str, ...] = (),
    ) -> None:
        """The engine's whole related set now: its headlines join ``headlines`` marked,
        and stories no longer related lose their mark."""
        related = list(related)
        now = {h.story for h in related}
        for story in self.stories - now:
            if story in headlines:
                headlines[story] = dataclasses.replace(
                    headlines[story], related=None, related_by=()
                )
        for h in related:
            headlines[h.story] = h
        self.stories = now
        self.bursts = bursts or tuple(dict.fromkeys(h.related for h in related if h.related))

    def wanted(self, headline: Headline) -> bool:
        return self.shown and headline.story in self.stories

    @property
    def marks(self) -> bool:
        """Rows need the mark column: related stories are on screen."""
        return self.shown and bool(self.stories)

    def title(self) -> str:
        """' · burst: DeepSeek news burst, 3 related ≈ (~ hides)', or ''."""
        if not self.stories:
            return ""
        toggle = "~ hides" if self.shown else "~ shows"
        count = len(self.stories)
        return f" · burst: {', '.join(self.bursts)}, {count} related {RELATED} ({toggle})"

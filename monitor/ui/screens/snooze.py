"""Pick how long to snooze a rule: 15m, 1h, 4h or until tomorrow."""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option


def until_tomorrow(now: datetime, tz: tzinfo | None) -> float:
    """Seconds from ``now`` to the next local midnight."""
    local = now.astimezone(tz)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), local.tzinfo)
    return (midnight - local).total_seconds()


def snooze_choices(now: datetime, tz: tzinfo | None) -> list[tuple[str, float]]:
    return [
        ("15 minutes", 15 * 60.0),
        ("1 hour", 3600.0),
        ("4 hours", 4 * 3600.0),
        ("until tomorrow (00:00)", until_tomorrow(now, tz)),
    ]


class SnoozeScreen(ModalScreen[float | None]):
    """Dismisses with the snooze length in seconds, or None when cancelled."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="cancel_snooze")]

    def __init__(self, rule: str, now: datetime, tz: tzinfo | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.rule = rule
        self.choices = snooze_choices(now, tz)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text.assemble("Snooze ", (self.rule, "bold"), " for…"))
            yield OptionList(
                *(Option(Text(label), id=str(i)) for i, (label, _) in enumerate(self.choices)),
                id="snooze-choices",
            )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.choices[event.option_index][1])

"""The app's own edits of the watchlist file: add or remove a symbol or a feed, mute a
rule (``enabled = false``).

The file is edited as a TOML document (tomlkit), so its comments, order and layout stay
as the person wrote them; the edited text is validated like any loaded file before it
is written, so an edit can never leave a broken file.  It is written through
``monitor.trust.write_config`` (atomic; a file the person allowed stays allowed).  A
bundled config (the default or the demo's) is part of the installed package and is
never written: ``BundledConfig`` says so, and ``save_copy`` puts an edited copy in the
user config dir instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor import trust
from monitor.config import ConfigError, parse_config_text, user_config_path

if TYPE_CHECKING:  # tomlkit itself is imported by the first edit, not at start-up
    from tomlkit.items import AoT, Table

Edit = Callable[[Any], str]  # changes the document, returns what it did in words


class EditError(ValueError):
    """An edit that cannot be made (unknown symbol, a name already used...)."""


class BundledConfig(EditError):
    """The config in use is part of the package: edits go to a copy, if anywhere."""


# ---- edits of a parsed document -------------------------------------------------------


def _watchlist(doc: Any) -> Table:
    import tomlkit
    from tomlkit.items import Table

    if "watchlist" not in doc:
        doc["watchlist"] = tomlkit.table()
    table = doc["watchlist"]
    if not isinstance(table, Table):
        raise EditError("[watchlist] is not a table")
    return table


def add_symbol(symbol: str, group: str | None = None) -> Edit:
    symbol = symbol.strip()

    def edit(doc: Any) -> str:
        import tomlkit
        from tomlkit.items import Array

        if not symbol:
            raise EditError("no symbol given")
        table = _watchlist(doc)
        for name, symbols in table.items():
            if symbol in symbols:
                raise EditError(f"{symbol} is already in group {name!r}")
        target = group or next(iter(table.keys()), "Watchlist")
        if target not in table:
            table[target] = tomlkit.array()
        array = table[target]
        if not isinstance(array, Array):
            raise EditError(f"[watchlist] {target!r} is not a list")
        array.append(symbol)
        return f"added {symbol} to {target!r}"

    return edit


def remove_symbol(symbol: str) -> Edit:
    def edit(doc: Any) -> str:
        from tomlkit.items import Array

        for name, array in _watchlist(doc).items():
            if isinstance(array, Array) and symbol in array:
                array.remove(symbol)
                return f"removed {symbol} from {name!r}"
        raise EditError(f"{symbol} is not in the watchlist")

    return edit


def _feeds(doc: Any) -> AoT:
    import tomlkit
    from tomlkit.items import AoT

    news = doc.setdefault("news", tomlkit.table())
    if "feeds" not in news:
        news.append("feeds", tomlkit.aot())
    feeds = news["feeds"]
    if not isinstance(feeds, AoT):
        raise EditError("[news] feeds is not a list of [[news.feeds]] tables")
    return feeds


def add_feed(name: str, url: str) -> Edit:
    name, url = name.strip(), url.strip()

    def edit(doc: Any) -> str:
        import tomlkit

        if not name or not url:
            raise EditError("a feed needs a name and a URL")
        feeds = _feeds(doc)
        if any(f.get("name") == name for f in feeds):
            raise EditError(f"a feed is already named {name!r}")
        feed = tomlkit.table()
        feed["name"], feed["url"] = name, url
        feed.add(tomlkit.nl())  # a blank line before whatever table follows
        feeds.append(feed)
        return f"added feed {name!r}"

    return edit


def remove_feed(name: str) -> Edit:
    def edit(doc: Any) -> str:
        feeds = _feeds(doc)
        for i, feed in enumerate(feeds):
            if feed.get("name") == name:
                del feeds[i]
                return f"removed feed {name!r}"
        raise EditError(f"no feed named {name!r}")

    return edit


def set_rule_enabled(rule: str, enabled: bool) -> Edit:
    def edit(doc: Any) -> str:
        for table in doc.get("alerts", []):
            if table.get("name") == rule:
                if enabled:
                    table.pop("enabled", None)  # the default
                else:
                    table["enabled"] = False
                return f"{'unmuted' if enabled else 'muted'} rule {rule!r}"
        raise EditError(f"no rule named {rule!r}")

    return edit


# ---- the file -------------------------------------------------------------------------


def edited_text(text: str, edit: Edit, path: Path) -> tuple[str, str]:
    """The file's text with ``edit`` applied, validated as a config read from ``path``;
    and what the edit did.  Raises ``EditError`` (also for a result that fails to load)."""
    import tomlkit  # ~1 MB and 6 ms: only when an edit is made

    doc = tomlkit.parse(text)
    done = edit(doc)
    new = tomlkit.dumps(doc)
    try:
        parse_config_text(new, path)
    except ConfigError as exc:
        raise EditError(f"not saved: the edit would make the file invalid: {exc}") from None
    return new, done


def apply(path: Path, source: str, edit: Edit) -> str:
    """Edit the config file in place; what was done.  A bundled file is refused
    (``BundledConfig``): see ``save_copy``."""
    if source in trust.BUNDLED_SOURCES:
        raise BundledConfig(
            f"the {source} config is part of the installed package and is not edited; "
            f"save a copy to {user_config_path()} to change it"
        )
    text = path.read_text(encoding="utf-8-sig")
    new, done = edited_text(text, edit, path)
    trust.write_config(path, new)
    return done


def save_copy(path: Path, edit: Edit | None = None, target: Path | None = None) -> Path:
    """The bundled default (with ``edit`` applied) copied to the user config dir, which
    the search order then finds; never over an existing file."""
    target = target or user_config_path()
    if target.exists():
        raise EditError(f"{target} exists already: not overwritten")
    text = path.read_text(encoding="utf-8-sig")
    if edit is not None:
        text, _ = edited_text(text, edit, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    trust.write_config(target, text)
    return target


class ConfigEditor:
    """The engine's config edits for the app: each writes the file in use (in a
    thread) and returns what it did; the app then reloads it like any other edit."""

    def __init__(self, where: Callable[[], tuple[Path, str]]) -> None:
        self._where = where  # the file in use and how it was found

    @property
    def bundled(self) -> bool:
        """The config in use is part of the package: edits need a copy (``save_copy``)."""
        return self._where()[1] in trust.BUNDLED_SOURCES

    @property
    def can_copy(self) -> bool:
        """A copy of the config in use may go to the user config dir (the bundled
        default; not the demo's, whose recording sits beside it)."""
        return self._where()[1] == "bundled default" and not user_config_path().exists()

    async def _apply(self, edit: Edit) -> str:
        path, source = self._where()
        return await asyncio.to_thread(apply, path, source, edit)

    async def add_symbol(self, symbol: str, group: str | None = None) -> str:
        return await self._apply(add_symbol(symbol, group))

    async def remove_symbol(self, symbol: str) -> str:
        return await self._apply(remove_symbol(symbol))

    async def add_feed(self, name: str, url: str) -> str:
        return await self._apply(add_feed(name, url))

    async def remove_feed(self, name: str) -> str:
        return await self._apply(remove_feed(name))

    async def mute_rule(self, rule: str, muted: bool = True) -> str:
        return await self._apply(set_rule_enabled(rule, not muted))

    async def save_copy(self) -> Path:
        """The config in use copied to the user config dir (used from the next start)."""
        return await asyncio.to_thread(save_copy, self._where()[0])

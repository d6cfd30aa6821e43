"""Trust for the config parts that run programs: command and webhook alerts.

A watchlist file can start a program for each alert ([notify.command]) or send it to a
URL ([notify.webhook]).  Two rules keep a file someone else wrote from doing that:

- **Allowed by the person.**  A file found implicitly outside the user config dir (the
  search order's ``./watchlist.toml``: think of a cloned repository or a shared folder)
  runs no command and sends no webhook until the person allows that very file with
  ``monitor trust PATH``.  What is allowed is the file's path and the SHA-256 of its
  bytes, remembered in the data dir (like direnv's ``allow``), so an edit made outside
  the app asks again; an edit the app makes itself (``write_config``) keeps the file
  allowed.  A file named by ``--config`` or ``$MONITOR_CONFIG``, the one in the user
  config dir and the bundled ones need no allowing.
- **Safe permissions** (like ssh's StrictModes), for every file: command and webhook
  alerts are refused while the file or its folder is writable by the group or by
  everyone, or is owned by someone other than the user or root.

Every refusal says exactly why, and how to allow.  Nothing here knows the notify layer:
``Guarded`` wraps any channel (``async send(alert) -> bool`` and ``last_error``).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from monitor import paths
from monitor.config import LoadedConfig, user_config_path
from monitor.model import Alert

#: How a config was found (``LoadedConfig.source``) when the person named it themselves.
EXPLICIT_SOURCES = frozenset({"--config", "$MONITOR_CONFIG"})
#: Found by the search order but shipped with the package.
BUNDLED_SOURCES = frozenset({"bundled default", "bundled demo"})
TRUST_FILE = "trusted-configs.json"
WHAT = "command and webhook alerts are off"


@dataclass(frozen=True)
class Origin:
    """Where a loaded config came from: its file, how it was found, and the SHA-256 of
    the bytes that were validated (None: read the file now)."""

    path: Path
    source: str
    digest: str | None = None

    @classmethod
    def of(cls, loaded: LoadedConfig) -> Origin:
        return cls(loaded.path, loaded.source, loaded.digest)


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def trust_file() -> Path:
    return paths.data_dir() / TRUST_FILE


# ---- the remembered allowances -------------------------------------------------------


def _key(path: Path) -> str:
    return str(Path(path).resolve())


def allowed_digests(store: Path | None = None) -> dict[str, str]:
    """path -> SHA-256 of every allowed file (empty when none or unreadable)."""
    try:
        data = json.loads((store or trust_file()).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = data.get("allowed") if isinstance(data, dict) else None
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}


def _save(allowed: dict[str, str], store: Path | None = None) -> None:
    store = store or trust_file()
    store.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"version": 1, "allowed": allowed}, indent=1, sort_keys=True)
    fd, tmp = tempfile.mkstemp(dir=store.parent, prefix=".trust-")  # created 0600
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text + "\n")
    os.replace(tmp, store)


def allow(path: Path, digest: str, store: Path | None = None) -> None:
    """Remember ``path`` as allowed with the content whose SHA-256 is ``digest``."""
    allowed = allowed_digests(store)
    allowed[_key(path)] = digest
    _save(allowed, store)


def revoke(path: Path, store: Path | None = None) -> bool:
    """Forget an allowance; whether there was one."""
    allowed = allowed_digests(store)
    if allowed.pop(_key(path), None) is None:
        return False
    _save(allowed, store)
    return True


def write_config(path: Path, text: str, store: Path | None = None) -> None:
    """Write the config file as the app's own edit: atomically, and a file that was
    allowed before stays allowed with its new content."""
    path = Path(path)
    try:
        before = digest_of(path.read_bytes())
    except OSError:
        before = None
    data = text.encode("utf-8")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    if path.exists():
        os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))
    os.replace(tmp, path)
    if before is not None and allowed_digests(store).get(_key(path)) == before:
        allow(path, digest_of(data), store)


# ---- the checks ----------------------------------------------------------------------


def needs_allowing(origin: Origin) -> bool:
    """Whether this config must be allowed before it may run programs."""
    if origin.source in EXPLICIT_SOURCES or origin.source in BUNDLED_SOURCES:
        return False
    user_dir = user_config_path().parent.resolve()
    return not Path(origin.path).resolve().is_relative_to(user_dir)


def permission_problem(path: Path) -> str | None:
    """Why the file's permissions make it unsafe to run programs from, or None."""
    path = Path(path)
    places = [path.resolve(), path.resolve().parent]
    if path.absolute().parent not in places:  # a link's own folder can swap the link
        places.append(path.absolute().parent)
    for place in places:
        try:
            st = place.stat()
        except OSError as exc:
            return f"{place} cannot be checked ({exc.strerror})"
        if problem := _unsafe(place, st):
            return problem
    return None


def _unsafe(place: Path, st: os.stat_result) -> str | None:
    kind = "its folder " if stat.S_ISDIR(st.st_mode) else ""
    if st.st_uid not in (os.getuid(), 0):
        return (
            f"{kind}{place} is owned by another user (uid {st.st_uid}), not by you or root; "
            f"take it over (chown) or move the file somewhere of yours"
        )
    writable = st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    if writable:
        who = "everyone" if st.st_mode & stat.S_IWOTH else "its group"
        mode = f"{stat.S_IMODE(st.st_mode):04o}"
        return f"{kind}{place} is writable by {who} (mode {mode}); run: chmod go-w {place}"
    return None


def refusal(origin: Origin | None, store: Path | None = None) -> str | None:
    """Why this config may not run commands or send webhooks, or None when it may.

    One line: what is off, exactly why, and how to allow it.
    """
    if origin is None:  # built from a bare config (tests): nothing to check
        return None
    path = Path(origin.path)
    if problem := permission_problem(path):
        return f"{WHAT}: {problem}"
    if not needs_allowing(origin):
        return None
    digest = origin.digest or _current_digest(path)
    allowed = allowed_digests(store).get(_key(path))
    if allowed is not None and allowed == digest:
        return None
    how = f"check it, then run: monitor trust {path.resolve()}"
    if allowed is None:
        why = f"{path.resolve()} was found in the current folder and is not allowed yet"
    else:
        why = f"{path.resolve()} changed since you allowed it (an edit outside the app)"
    return f"{WHAT}: {why}; {how}"


def _current_digest(path: Path) -> str | None:
    try:
        return digest_of(path.read_bytes())
    except OSError:
        return None


# ---- guarding a channel --------------------------------------------------------------


class _Channel(Protocol):
    async def send(self, alert: Alert) -> bool: ...


class Guarded:
    """A channel that sends only while ``check()`` finds nothing to refuse.

    The check runs at each send, so ``monitor trust`` takes effect without a restart.
    """

    def __init__(self, channel: _Channel, check: Callable[[], str | None]) -> None:
        self.channel = channel
        self.check = check
        self.last_error: str | None = None

    @property
    def deadline(self) -> Any:
        return getattr(self.channel, "deadline", None)

    async def send(self, alert: Alert) -> bool:
        why = self.check()
        if why is not None:
            self.last_error = why
            return False
        ok = await self.channel.send(alert)
        self.last_error = None if ok else getattr(self.channel, "last_error", None)
        return ok

"""Issue 11, case 7: a watchlist file in the working directory can run programs.

A file found implicitly (``./watchlist.toml``) runs no command and sends no webhook
until the person allows it (``monitor trust PATH``); an edit from outside asks again
on reload, saying why; the app's own edits keep it allowed; a file or folder others can
write to, or owned by someone else, runs nothing (StrictModes).  The explicit
``--config`` and the user config dir keep working as before.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor import trust
from monitor.clock import ManualClock
from monitor.config import load_config, load_config_file, user_config_path
from monitor.engine import Engine
from monitor.model import Quote
from tests.cli_helpers import isolated_env, run_monitor
from tests.faults.kit import US_OPEN, Events, StaticQuotes, wait_until
from tests.notify_fixtures import Hook

ROOT = Path(__file__).resolve().parents[2]
DEMO_QUOTES = ROOT / "monitor" / "demo" / "quotes.csv"


def watchlist(hook_url: str | None = None, *, recorded: bool = False) -> str:
    lines = ["[settings]", 'notify = ["terminal", "command"]', 'database = "m.db"']
    if recorded:
        lines += [f'quote_source = "{DEMO_QUOTES}"', "[settings.replay]", "speed = 100000"]
    lines += ["[watchlist]", 'chips = ["NVDA"]', "[notify.command]"]
    lines += ['argv = ["sh", "-c", "id >> ran.txt"]']
    if hook_url:
        lines += ["[notify.webhook]", f'url = "{hook_url}"']
    notify = '["terminal", "command", "webhook"]' if hook_url else '["terminal", "command"]'
    lines += ["[[alerts]]", 'name = "up"', 'when = "NVDA price > 100"', 'cooldown = "1s"']
    lines += [f"notify = {notify}"]
    return "\n".join(lines) + "\n"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A project folder as the current directory; the user's dirs in tmp."""
    for var, sub in (("XDG_CONFIG_HOME", "xdg-config"), ("XDG_DATA_HOME", "xdg-data")):
        monkeypatch.setenv(var, str(tmp_path / sub))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MONITOR_CONFIG", raising=False)
    project = tmp_path / "cloned-repo"
    project.mkdir()
    monkeypatch.chdir(project)
    yield project


# ---- the whole command, as in the issue ------------------------------------------------


def headless_until(project: Path, wanted: str) -> str:
    """`monitor run --headless` in ``project`` until a line contains ``wanted``; its output."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", "--headless"],
        cwd=project,
        env=isolated_env(project.parent),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            seen.append(line)
            if wanted in line:
                break
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    return "".join(seen)


def test_case07_implicit_config_runs_no_program_until_allowed(tmp_path: Path) -> None:
    project = tmp_path / "cloned-repo"
    project.mkdir()
    config = project / "watchlist.toml"
    config.write_text(watchlist(recorded=True), encoding="utf-8")

    out = headless_until(project, "recording ended")
    assert "ALERT [warning]" in out  # the rule fired...
    assert not (project / "ran.txt").exists()  # ...and no program ran
    assert (
        f"-- command and webhook alerts are off: {config} was found in the current folder "
        f"and is not allowed yet; check it, then run: monitor trust {config}"
    ) in out

    env = isolated_env(tmp_path)  # the same user dirs as the runs above
    allowed = run_monitor(project, "trust", "./watchlist.toml", env=env)
    assert allowed.returncode == 0, allowed.stderr
    assert f"allowed {config}" in allowed.stdout
    assert "its alerts may run: sh -c 'id >> ran.txt'" in allowed.stdout
    assert "command and webhook alerts: on" in run_monitor(project, "check", env=env).stdout

    (project / "m.db").unlink()  # a fresh database: the rule fires again
    out = headless_until(project, "recording ended")
    assert "alerts are off" not in out
    assert wait_for_file(project / "ran.txt")


def wait_for_file(path: Path) -> bool:
    """The command runs in the background of the alert: bounded wait, not a timing."""
    import time

    for _ in range(200):
        if path.exists() and path.read_text():
            return True
        time.sleep(0.05)
    return False


# ---- the engine: reloads, outside edits, the app's own edits --------------------------


async def fire(engine: Engine, quotes: StaticQuotes, clock: ManualClock) -> None:
    """One alert of rule "up": the price dips (re-arm), then rises above 100."""
    for price in (50.0, 150.0):
        clock.advance(60)
        quotes.quotes["NVDA"] = Quote("NVDA", price=price, prev_close=100.0, as_of=clock.now())
        await engine.quote_book.poll()


async def test_case07_outside_edit_asks_again_on_reload_with_the_reason(
    home: Path, webhook_server: Hook
) -> None:
    config = home / "watchlist.toml"
    config.write_text(watchlist(webhook_server.url), encoding="utf-8")
    loaded = load_config(None)
    assert loaded.source == "./watchlist.toml"
    clock = ManualClock(US_OPEN)
    quotes = StaticQuotes(clock=clock)
    engine = Engine(loaded, clock=clock, quote_source=quotes, database=home / "m.db")
    events = Events()
    engine.subscribe(events)
    await engine.open()
    try:
        engine.alerting.check_trust()
        assert events.notices[-1].endswith(
            f"not allowed yet; check it, then run: monitor trust {config}"
        )
        await fire(engine, quotes, clock)
        assert await wait_until(lambda: refused_sends(engine) == 2)
        assert not (home / "ran.txt").exists() and webhook_server.requests == []

        assert run_monitor_here(home, "trust", str(config)).returncode == 0
        assert await engine.reload_config() is None
        await fire(engine, quotes, clock)
        assert await wait_until(lambda: len(webhook_server.requests) == 1)
        assert wait_for_file(home / "ran.txt")

        config.write_text(watchlist(webhook_server.url) + "# an outside edit\n", "utf-8")
        events.clear()
        assert await engine.reload_config() is None
        assert events.notices == [
            f"command and webhook alerts are off: {config} changed since you allowed it "
            f"(an edit outside the app); check it, then run: monitor trust {config}"
        ]
        await fire(engine, quotes, clock)
        assert await wait_until(lambda: refused_sends(engine) == 2)
        assert len(webhook_server.requests) == 1
        assert (home / "ran.txt").read_text().count("uid=") == 1
    finally:
        await engine.stop()


def refused_sends(engine: Engine) -> int:
    """How many of the current dispatcher's guarded channels refused their last send."""
    dispatcher = engine.alerting.dispatcher
    channels = dispatcher.channels.values() if dispatcher else ()
    return sum(1 for c in channels if "alerts are off" in (getattr(c, "last_error", "") or ""))


def run_monitor_here(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`monitor ARGS` with this test's environment (its XDG dirs)."""
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_case07_the_apps_own_edit_keeps_the_file_allowed(home: Path) -> None:
    config = home / "watchlist.toml"
    config.write_text(watchlist(), encoding="utf-8")
    origin = lambda: trust.Origin.of(load_config(None))  # noqa: E731
    assert "not allowed yet" in (trust.refusal(origin()) or "")
    trust.allow(config, trust.digest_of(config.read_bytes()))
    assert trust.refusal(origin()) is None

    trust.write_config(config, watchlist().replace('"up"', '"up again"'))
    assert trust.refusal(origin()) is None  # the app's own edit: still allowed
    config.write_text(watchlist(), encoding="utf-8")  # an edit from outside
    assert "changed since you allowed it" in (trust.refusal(origin()) or "")


def test_case07_explicit_and_user_config_need_no_allowing(home: Path) -> None:
    explicit = home / "mine.toml"
    explicit.write_text(watchlist(), encoding="utf-8")
    assert trust.refusal(trust.Origin.of(load_config(str(explicit)))) is None
    env_named = load_config(None, env={"MONITOR_CONFIG": str(explicit)})
    assert env_named.source == "$MONITOR_CONFIG"
    assert trust.refusal(trust.Origin.of(env_named)) is None
    user = user_config_path()
    user.parent.mkdir(parents=True)
    user.write_text(watchlist(), encoding="utf-8")
    os.chdir(user.parent)  # even found as ./watchlist.toml, it is the user's own file
    for loaded in (load_config(None, cwd=home / "elsewhere"), load_config(None)):
        assert trust.refusal(trust.Origin.of(loaded)) is None


# ---- StrictModes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("what", "expected"),
    [
        ("file 0666", "mine.toml is writable by everyone (mode 0666); run: chmod go-w"),
        ("file 0664", "mine.toml is writable by its group (mode 0664); run: chmod go-w"),
        ("folder 0777", "its folder {dir} is writable by everyone (mode 0777); run: chmod go-w"),
        ("file owner", "mine.toml is owned by another user (uid 65534), not by you or root"),
        ("folder owner", "its folder {dir} is owned by another user (uid 65534)"),
    ],
)
def test_case07_unsafe_permissions_refuse_programs_even_with_config(
    home: Path, what: str, expected: str
) -> None:
    folder = home / "shared"
    folder.mkdir(mode=0o755)
    config = folder / "mine.toml"
    config.write_text(watchlist(), encoding="utf-8")
    config.chmod(0o644)
    loaded = load_config(str(config))
    assert trust.refusal(trust.Origin.of(loaded)) is None
    target = config if what.startswith("file") else folder
    if what.endswith("owner"):
        if os.getuid() != 0:
            pytest.skip("changing a file's owner needs root")
        os.chown(target, 65534, -1)
    else:
        target.chmod(int(what.split()[1], 8))
    why = trust.refusal(trust.Origin.of(loaded)) or ""
    assert why.startswith("command and webhook alerts are off: ")
    assert expected.format(dir=folder) in why
    check = run_monitor(home, "check", "--config", str(config))
    assert expected.format(dir=folder) in check.stdout  # `check` says it too


async def test_case07_unsafe_permissions_refuse_the_channel_itself(
    home: Path, webhook_server: Hook
) -> None:
    config = home / "mine.toml"
    config.write_text(watchlist(webhook_server.url), encoding="utf-8")
    config.chmod(0o666)
    clock = ManualClock(US_OPEN)
    quotes = StaticQuotes(clock=clock)
    engine = Engine(
        load_config_file(config), clock=clock, quote_source=quotes, database=home / "m.db"
    )
    events = Events()
    engine.subscribe(events)
    await engine.open()
    try:
        await fire(engine, quotes, clock)
        await wait_until(lambda: any("writable by everyone" in n for n in events.notices))
        assert webhook_server.requests == [] and not (home / "ran.txt").exists()
    finally:
        await engine.stop()

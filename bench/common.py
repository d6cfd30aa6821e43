"""Shared pieces of the benchmarks: figures, generated feeds and configs, process stats."""

from __future__ import annotations

import os
import random
import resource
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Figure:
    """One printed figure: ``name: value unit (baseline: value, ratio: x)``."""

    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str | None = None
    target: str | None = None
    met: bool | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0) or self.value is None:
            return None
        return self.value / self.baseline

    def line(self) -> str:
        text = f"{self.name}: {_num(self.value)} {self.unit}"
        if self.baseline is not None:
            ratio = self.ratio
            text += f" (baseline: {_num(self.baseline)}"
            text += f", ratio: {ratio:.3g}x)" if ratio is not None else ")"
        if self.target:
            verdict = "" if self.met is None else (" met" if self.met else " NOT met")
            text += f"  [target {self.target}{verdict}]"
        return text

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


def _num(x: float | None) -> str:
    if x is None:
        return "n/a"
    if x == 0 or abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


# ---- timing and process statistics ------------------------------------------------------


@contextmanager
def timed() -> Iterator[dict[str, float]]:
    """Wall and CPU seconds (this process, all threads) of the block."""
    out: dict[str, float] = {}
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield out
    finally:
        out["wall"] = time.perf_counter() - wall
        out["cpu"] = time.process_time() - cpu


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_rss_bytes(pid: int) -> int:
    fields = Path(f"/proc/{pid}/statm").read_text().split()
    return int(fields[1]) * PAGE


def proc_tree(pid: int) -> list[int]:
    """``pid`` and every descendant (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def tree_rss_bytes(pid: int) -> int:
    total = 0
    for p in proc_tree(pid):
        try:
            total += proc_rss_bytes(p)
        except OSError:
            pass  # exited meanwhile
    return total


def self_peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def machine() -> dict[str, Any]:
    import platform

    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PHYS_PAGES") * PAGE
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(mem / 1e9, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


# ---- generated data (seeded) ------------------------------------------------------------

TOPIC_WORDS = ["DeepSeek", "深度求索", "Liang Wenfeng", "梁文锋"]
OTHER_WORDS = (
    "market stocks rally chips Nvidia Broadcom TSMC earnings guidance outlook investors "
    "shares fall rise AI model training inference cloud data center demand supply export "
    "rules China US Europe bank rates inflation oil energy"
).split()
BASE_TIME = datetime(2025, 1, 27, 12, 0, tzinfo=UTC)


def headline_text(rng: random.Random, topic_share: float = 0.3) -> str:
    words = [rng.choice(OTHER_WORDS) for _ in range(rng.randint(6, 12))]
    if rng.random() < topic_share:
        words.insert(rng.randrange(len(words)), rng.choice(TOPIC_WORDS))
    return " ".join(words).capitalize()


def rss_feed(
    rng: random.Random, feed: int, items: int, *, start: int = 0, base: datetime = BASE_TIME
) -> bytes:
    """An RSS 2.0 feed like a news site's: ``items`` items with guid, link, date, summary."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>',
        f"<title>Outlet {feed}</title><link>https://outlet{feed}.example/</link>",
        "<description>generated</description>",
    ]
    for i in range(start, start + items):
        when = base - timedelta(minutes=i * 7 + feed)
        title = escape(headline_text(rng))
        summary = escape(headline_text(rng, 0.1) + ". " + headline_text(rng, 0.0) + ".")
        parts.append(
            f"<item><title>{title}</title>"
            f"<link>https://outlet{feed}.example/news/{i}</link>"
            f'<guid isPermaLink="false">outlet{feed}-{i}</guid>'
            f"<pubDate>{format_datetime(when)}</pubDate>"
            f"<description>{summary}</description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def watchlist_toml(
    *,
    database: Path,
    feeds: Sequence[tuple[str, str]] = (),
    symbols: Sequence[str] = ("NVDA",),
    rules: Sequence[tuple[str, str]] = (),
    quote_source: str = "yfinance",
    news_every: str = "2m",
    quotes_every: str = "30s",
    notify: Sequence[str] = ("terminal",),
) -> str:
    """A watchlist file for a benchmark (all paths in a temporary directory)."""
    lines = [
        "[settings]",
        f'news_every = "{news_every}"',
        f'quotes_every = "{quotes_every}"',
        f"quote_source = {_toml_str(quote_source)}",
        f"database = {_toml_str(str(database))}",
        f"notify = [{', '.join(_toml_str(n) for n in notify)}]",
        "",
        "[watchlist]",
        f"bench = [{', '.join(_toml_str(s) for s in symbols)}]",
        "",
        "[news]",
        'query = \'DeepSeek OR "深度求索" OR "Liang Wenfeng" OR 梁文锋\'',
    ]
    for name, url in feeds:
        lines += ["", "[[news.feeds]]", f"name = {_toml_str(name)}", f"url = {_toml_str(url)}"]
    for name, when in rules:
        lines += [
            "",
            "[[alerts]]",
            f"name = {_toml_str(name)}",
            f"when = {_toml_str(when)}",
            'cooldown = "1s"',
        ]
    return "\n".join(lines) + "\n"


def _toml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def load_watchlist(path: Path, text: str) -> Any:
    from monitor.config import load_config_file

    path.write_text(text, encoding="utf-8")
    return load_config_file(path, "bench")


def bench_rules(symbols: Sequence[str], n: int, rng: random.Random) -> list[tuple[str, str]]:
    """``n`` alert rules of the kinds people write, over ``symbols``."""
    rules = []
    for i in range(n):
        sym = symbols[i % len(symbols)]
        kind = i % 5
        if kind == 0:
            when = f"{sym} day% <= -{rng.choice([3, 5, 7])}"
        elif kind == 1:
            when = f"{sym} price < {rng.randint(50, 150)}"
        elif kind == 2:
            when = f"{sym} day% >= {rng.choice([3, 5])}"
        elif kind == 3:
            others = ", ".join(symbols[(i + k) % len(symbols)] for k in range(4))
            when = f"any 2 of [{others}] day% <= -3"
        else:
            when = f'news "DeepSeek" within 2h and {sym} day% <= -2'
        rules.append((f"rule {i}", when))
    return rules

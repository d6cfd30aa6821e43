"""Run the benchmarks: ``python -m bench [--quick] [--only NAME ...] [--json PATH]``.

Each benchmark runs in its own Python process (so one's imports and memory never
colour another's figures), prints ``name: value unit (baseline: value, ratio: x)``
lines, and the figures of all of them are written as JSON with the machine they ran
on.  Figures are printed, never asserted: the exit status is non-zero only when a
benchmark itself broke.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.common import ROOT, machine

#: name -> module, in the issue's order
BENCHMARKS = {
    "fanout": "bench.fanout",
    "ingest": "bench.ingest",
    "quotes": "bench.quotes",
    "startup": "bench.startup",
    "memory": "bench.memory",
    "live": "bench.live",
    "idle": "bench.idle",
    "alerts": "bench.alerts",
    "search": "bench.search",
    "newsboat": "bench.newsboat",
    "stream": "bench.stream",
}
#: a benchmark that takes longer than this is broken (the whole run must stay < 10 min)
TIMEOUT = 300


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes: exercise every path")
    p.add_argument(
        "--only",
        action="append",
        choices=list(BENCHMARKS),
        metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}",
    )
    p.add_argument(
        "--json",
        type=Path,
        default=None,
        help="where to write the figures (default bench/results.json, or "
        "bench/results-quick.json with --quick)",
    )
    args = p.parse_args(argv)
    names = args.only or list(BENCHMARKS)
    info = machine()
    print(
        f"machine: {info['cpu']}, {info['cores']} cores, {info['memory_gb']} GB, "
        f"Python {info['python']}; mode: {'quick' if args.quick else 'full'}",
        flush=True,
    )
    results: dict[str, object] = {}
    failed = []
    started = time.perf_counter()
    for name in names:
        print(f"== {name}", flush=True)
        figures, error = _run_one(BENCHMARKS[name], args.quick)
        results[name] = {"figures": figures, "error": error}
        if error:
            failed.append(name)
            print(f"{name}: FAILED: {error}", flush=True)
    total = time.perf_counter() - started
    print(f"total: {total:.1f} s", flush=True)
    if args.json is None:
        args.json = ROOT / "bench" / ("results-quick.json" if args.quick else "results.json")
    report = {
        "machine": info,
        "quick": args.quick,
        "when": datetime.now(UTC).isoformat(),
        "seconds": round(total, 1),
        "benchmarks": results,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print(f"figures written to {args.json}", flush=True)
    return 1 if failed else 0


def _run_one(module: str, quick: bool) -> tuple[list[dict[str, object]], str | None]:
    with tempfile.TemporaryDirectory(prefix="monitor-bench-") as tmp:
        out = Path(tmp) / "figures.json"
        cmd = [sys.executable, "-m", "bench.runner", module, str(out)]
        if quick:
            cmd.append("--quick")
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
            ),
        }
        try:
            proc = subprocess.run(cmd, cwd=ROOT, env=env, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            return [], f"timed out after {TIMEOUT} s"
        if proc.returncode != 0 or not out.exists():
            return [], f"exit status {proc.returncode}"
        return json.loads(out.read_text("utf-8")), None


if __name__ == "__main__":
    sys.exit(main())

"""Runs one benchmark module in this process: ``python -m bench.runner MODULE OUT [--quick]``.

The module's ``run(quick)`` returns its figures; each is printed as it is known and
all are written to OUT as JSON for ``python -m bench`` to collect.
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
from pathlib import Path


def main() -> int:
    module, out = sys.argv[1], Path(sys.argv[2])
    quick = "--quick" in sys.argv[3:]
    logging.basicConfig(level=logging.CRITICAL)  # engine warnings are not figures
    figures = importlib.import_module(module).run(quick)
    for figure in figures:
        print(figure.line(), flush=True)
    out.write_text(json.dumps([f.to_json() for f in figures], ensure_ascii=False), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

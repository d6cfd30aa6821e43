"""monitor: a terminal news-and-market monitor."""

import sys

__version__ = "0.1.0"

# httpx imports its command-line client (click, pygments, rich: ~55 ms and a few MB)
# when it can; with this entry that import fails and httpx keeps its own fallback, so
# `monitor once` and the engine never load them.  The app loads rich through Textual.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

"""monitor: a terminal news-and-market monitor."""

__version__ = "0.1.0"

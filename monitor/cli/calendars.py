"""``python -m monitor.cli.calendars``: make the exchange calendars shipped with the
package (``monitor/calendars_shipped.json``) anew with the installed ``holidays``, for
every market ``monitor.sessions`` knows.  Run it when a new ``holidays`` comes out."""

from __future__ import annotations

from monitor import calendar_cache, sessions

if __name__ == "__main__":
    calendar_cache.write_shipped(sessions.CALENDARS)
    print(f"wrote {calendar_cache.SHIPPED}")

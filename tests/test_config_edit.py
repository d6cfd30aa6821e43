"""The app's own edits of the watchlist file: comments and layout kept, the result
validated before it is written, a bundled file never written, trust kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor import trust
from monitor.config import load_config_file
from monitor.engine import config_edit as ce

TEXT = """\
# my watchlist — keep this comment
[settings]
news_every = "2m"   # a trailing comment

[watchlist]
"AI chips" = ["NVDA", "^SOX"]   # the chips
"Big tech" = [
  "MSFT",  # Microsoft
  "META",
]

[news]
query = "DeepSeek"

# the wire
[[news.feeds]]
name = "Wire"
url = "https://wire.example/rss"

[[alerts]]
name = "SOX selloff"   # the big one
when = "^SOX day% <= -5"
"""


def _file(tmp_path: Path) -> Path:
    path = tmp_path / "watchlist.toml"
    path.write_text(TEXT, encoding="utf-8")
    return path


def test_an_edit_and_its_undo_give_back_the_file_byte_for_byte(tmp_path: Path) -> None:
    path = _file(tmp_path)
    assert ce.apply(path, "--config", ce.add_symbol("AVGO", "AI chips")) == (
        "added AVGO to 'AI chips'"
    )
    text = path.read_text(encoding="utf-8")
    assert '"AI chips" = ["NVDA", "^SOX", "AVGO"]   # the chips' in text
    assert load_config_file(path).config.groups["AI chips"] == ["NVDA", "^SOX", "AVGO"]
    ce.apply(path, "--config", ce.remove_symbol("AVGO"))
    assert path.read_text(encoding="utf-8") == TEXT


def test_feeds_and_rules_are_edited_with_every_comment_kept(tmp_path: Path) -> None:
    path = _file(tmp_path)
    ce.apply(path, "--config", ce.add_feed("CNBC", "https://cnbc.example/rss"))
    ce.apply(path, "--config", ce.set_rule_enabled("SOX selloff", False))
    ce.apply(path, "--config", ce.remove_symbol("META"))
    text = path.read_text(encoding="utf-8")
    for comment in ("# my watchlist", "# a trailing comment", "# the chips", "# the wire",
                    "# the big one", "# Microsoft"):  # fmt: skip
        assert comment in text
    config = load_config_file(path).config
    assert [f.name for f in config.news.feeds] == ["Wire", "CNBC"]
    assert config.alerts[0].enabled is False
    assert config.groups["Big tech"] == ["MSFT"]
    ce.apply(path, "--config", ce.remove_feed("CNBC"))
    ce.apply(path, "--config", ce.set_rule_enabled("SOX selloff", True))
    assert "CNBC" not in path.read_text(encoding="utf-8")
    assert load_config_file(path).config.alerts[0].enabled is True


def test_a_bad_edit_is_refused_and_the_file_left_as_it_was(tmp_path: Path) -> None:
    path = _file(tmp_path)
    with pytest.raises(ce.EditError, match="already in group 'AI chips'"):
        ce.apply(path, "--config", ce.add_symbol("NVDA"))
    with pytest.raises(ce.EditError, match="not in the watchlist"):
        ce.apply(path, "--config", ce.remove_symbol("AAPL"))
    with pytest.raises(ce.EditError, match="invalid"):  # the config refuses the URL
        ce.apply(path, "--config", ce.add_feed("Bad", "ftp://x"))
    with pytest.raises(ce.EditError, match="no rule named"):
        ce.apply(path, "--config", ce.set_rule_enabled("nope", False))
    assert path.read_text(encoding="utf-8") == TEXT


def test_a_bundled_config_is_never_written_and_a_copy_goes_elsewhere(tmp_path: Path) -> None:
    path = _file(tmp_path)
    with pytest.raises(ce.BundledConfig, match="save a copy"):
        ce.apply(path, "bundled default", ce.add_symbol("AVGO"))
    assert path.read_text(encoding="utf-8") == TEXT
    target = tmp_path / "user" / "watchlist.toml"
    assert ce.save_copy(path, ce.add_symbol("AVGO"), target) == target
    assert "AVGO" in target.read_text(encoding="utf-8")
    with pytest.raises(ce.EditError, match="exists already"):
        ce.save_copy(path, None, target)


def test_an_allowed_file_stays_allowed_after_the_apps_edit(tmp_path: Path) -> None:
    path = _file(tmp_path)
    trust.allow(path, trust.digest_of(path.read_bytes()))
    origin = trust.Origin(path, "./watchlist.toml")
    assert trust.refusal(origin) is None
    ce.apply(path, "./watchlist.toml", ce.add_symbol("AVGO"))
    assert trust.refusal(trust.Origin(path, "./watchlist.toml")) is None

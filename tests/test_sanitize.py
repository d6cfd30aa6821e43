"""Untrusted feed text and links become plain, safe values."""

from __future__ import annotations

import pytest

from monitor.text import (
    clean_field,
    clean_multiline,
    clean_text,
    clean_url,
    has_controls,
    one_line,
    strip_controls,
    visible,
)

# Characters that must never reach a terminal or a person's eyes unannounced.
FORBIDDEN = (
    [chr(c) for c in range(0x00, 0x20)]
    + ["\x7f"]
    + [chr(c) for c in range(0x80, 0xA0)]
    + ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068"]
    + ["\u2069", "\u200e", "\u200f", "\u061c", "\u200b", "\ufeff", "\u00ad", "\u2060"]
)


def assert_safe(text: str) -> None:
    bad = [ch for ch in text if ch in FORBIDDEN]
    assert not bad, f"{bad!r} survived in {text!r}"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<b>Bold</b> AT&amp;amp;T <i>earnings</i>", "Bold AT&amp;T earnings"),
        ("AT&amp;T &lt;b&gt;", "AT&T <b>"),  # entities decoded once, after tags go
        ("Clear \x1b[2Jscreen and \x1b[1;31mred\x1b[0m text", "Clear screen and red text"),
        ("Clipboard \x1b]52;c;cm0gLXJmIH4K\x07 hijack", "Clipboard hijack"),
        ("Clip \x1b]52;c;cm0gLXJmIH4K\x1b\\ hijack", "Clip hijack"),
        (
            "Link \x1b]8;;https://evil.example/\x1b\\innocent\x1b]8;;\x1b\\ text",
            "Link innocent text",
        ),
        ("bell\x07 here\x08", "bell here"),
        ("C1 \x9b2J csi and \x9d52;c;SGVsbG8=\x9c osc", "C1 csi and osc"),
        ("DCS \x1bPq#0;2;0;0;0\x1b\\ end", "DCS end"),
        ("APC \x9fhidden\x9c end", "APC end"),
        ("save \x1b7cursor and lone escape\x1b", "save cursor and lone escape"),
        ("ESC r eats the r: \x1bright", "ESC r eats the r: ight"),  # as a terminal would
        ("Spoof \u202egnp.exe\u202c", "Spoof gnp.exe"),
        ("iso \u2066late\u2069 \u200eLRM\u200f \u061cALM", "iso late LRM ALM"),
        ("zero\u200bwidth soft\u00adhyphen bom\ufeff", "zerowidth softhyphen bom"),
        ("tag\U000e0041\U000e0042 chars", "tag chars"),
        (
            "[bold]Fake[/] [link=https://x]click[/link]",
            "[bold]Fake[/] [link=https://x]click[/link]",
        ),
        ("[@click=app.quit]quit[/]", "[@click=app.quit]quit[/]"),
        ("a < b and c > d", "a < b and c > d"),
        ("  many \t\n\r  spaces\u2028here  ", "many spaces here"),
        ("<script>alert(1)</script><p>Visible</p><style>p{}</style>", "Visible"),
        ("<!-- hidden -->shown", "shown"),
        ("&#x202e;reversed &#27;[2J", "reversed [2J"),
        ("DeepSeek称遭大规模网攻", "DeepSeek称遭大规模网攻"),
        (
            "family \U0001f468\u200d\U0001f469\u200d\U0001f467",
            "family \U0001f468\u200d\U0001f469\u200d\U0001f467",
        ),
        ("<p>Chip stocks fell on <b>Monday</b>.</p><p>Two</p>", "Chip stocks fell on Monday. Two"),
        ("word<br>word", "word word"),
        (None, ""),
        ("", ""),
    ],
)
def test_clean_text(raw: str | None, expected: str) -> None:
    out = clean_text(raw)
    assert out == expected
    assert_safe(out)


# Introducers of sequences (ESC, DCS, SOS, CSI, OSC, PM, APC) take what follows with them.
INTRODUCERS = {0x1B, 0x90, 0x98, 0x9B, 0x9D, 0x9E, 0x9F}


CONTROLS = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), 0x202E, 0x2066, 0x200F, 0xFEFF]


@pytest.mark.parametrize("code", CONTROLS)
def test_every_control_character_is_removed_and_neighbours_kept(code: int) -> None:
    out = clean_text(f"left{chr(code)}right", html=False)
    assert_safe(out)
    assert out.startswith("left")
    if code not in INTRODUCERS:
        assert out.replace(" ", "") == "leftright"


def test_html_false_keeps_angle_brackets_and_entities() -> None:
    assert clean_text("<b>x</b> &amp;", html=False) == "<b>x</b> &amp;"


def test_truncation_adds_ellipsis_within_max_len() -> None:
    out = clean_text("word " * 100, max_len=20)
    assert len(out) == 20
    assert out.endswith("…")
    assert clean_text("short", max_len=20) == "short"


def test_truncation_does_not_leave_a_dangling_zwj() -> None:
    out = clean_text("ab\u200d\U0001f469xyz", max_len=4)
    assert out == "ab…"


def test_clean_multiline_keeps_paragraphs() -> None:
    raw = "<p>One <b>two</b></p><p>Three<br/>four</p><ul><li>a</li><li>b</li></ul>\n\n\n\nEnd"
    assert clean_multiline(raw) == "One two\n\nThree\nfour\n\na\n\nb\n\nEnd"


def test_clean_multiline_plain_text_and_escapes() -> None:
    raw = "plain\r\nline  two\x1b[2J\u202e\n\n\n\npara\ttwo\x07"
    out = clean_multiline(raw, html=False)
    assert out == "plain\nline two\n\npara two"
    assert_safe(out.replace("\n", ""))


def test_clean_multiline_truncates() -> None:
    out = clean_multiline("<p>" + "x" * 50 + "</p>", max_len=10)
    assert out == "x" * 9 + "…"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://news.example.com/a?b=1", "https://news.example.com/a?b=1"),
        ("HTTPS://Example.COM./x", "https://example.com/x"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com:443/x", "https://example.com/x"),
        ("http://example.com:8080/x", "http://example.com:8080/x"),
        (
            "https://example.com/a b/ü?q=ä x#frag",
            "https://example.com/a%20b/%C3%BC?q=%C3%A4%20x#frag",
        ),
        ("https://example.com/%41%20", "https://example.com/%41%20"),
        ("  https://example.com/a\t\nb  ", "https://example.com/ab"),
        ("https://example.com/p\u202eath", "https://example.com/path"),
        (
            "https://аррӏе.com/news",
            "https://xn--80ak6aa92e.com/news",
        ),  # homograph shown as punycode
        ("https://xn--80ak6aa92e.com/", "https://xn--80ak6aa92e.com/"),
        ("https://münchen.de/", "https://xn--mnchen-3ya.de/"),
        ("http://[::1]:80/x", "http://[::1]/x"),
    ],
)
def test_clean_url_accepts_and_normalizes(raw: str, expected: str) -> None:
    assert clean_url(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "file:///etc/passwd",
        "vbscript:msgbox",
        "ftp://example.com/x",
        "//example.com/x",
        "/relative/path",
        "https://",
        "http://google.com@evil.example/",  # userinfo is rejected outright
        "http://user:pass@example.com/",
        "http://evil.example\\@good.example/",
        "http://exa\u202emple.com/",
        "http://exa mple.com/",
        "http://example.com:99999/",
        "http://ex%41mple.com/",
        "https://" + "a" * 5000 + ".com/",
    ],
)
def test_clean_url_rejects(raw: str | None) -> None:
    assert clean_url(raw) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://news.example.com/a/b?c=1&d=%20#frag",
        "http://a.b.example/x/y/z/",
        "https://example.com/?q=a?b",
        "https://example.com/path;p=1/@user/!$'()*+,=:~",
        "https://news.google.com/rss/articles/CBMiAAA1?oc=5",
    ],
)
def test_fast_path_agrees_with_full_normalization(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import re

    from monitor import text as sanitize

    fast = clean_url(url)
    monkeypatch.setattr(sanitize, "_NORMAL_URL", re.compile(r"(?!)"))
    assert clean_url(url) == fast == url


def test_multiline_text_already_clean_skips_the_substitutions_with_the_same_result() -> None:
    """The shortcut for clean text gives what every substitution would have given."""
    import random

    from monitor import text

    def every_substitution(s: str) -> str:
        s = s.replace("\r\n", "\n").replace("\r", "\n")
        s = text._LINE_SPACES.sub("\n", text._INLINE_SPACES.sub(" ", text._REMOVE.sub("", s)))
        return text._BLANK_LINES.sub("\n\n", s).strip()

    rng = random.Random(3)
    alphabet = "ab \n\t\xa0\u200b\u2028\u3000\x85.é中\r"
    samples = [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 15))) for _ in range(20_000)
    ]
    assert [clean_multiline(s, html=False) for s in samples] == [
        every_substitution(s) for s in samples
    ]


# ---- fields, names and typed text (issue 11) -----------------------------------------


def test_clean_field_is_one_clean_line_or_none() -> None:
    assert clean_field("US\x1b]52;c;UFdORUQ=\x07\x1b[2J\x9b31m") == "US"
    assert clean_field("NVIDIA\u202e Corp  <b>x</b>") == "NVIDIA Corp <b>x</b>"  # tags literal
    assert clean_field("\x1b[2J") is None and clean_field("  ") is None
    assert clean_field(42) is None and clean_field(None) is None
    assert clean_field("x" * 500, max_len=12) == "x" * 11 + "…"
    assert one_line(" a\n\tb ") == "a b"


def test_every_forbidden_character_is_seen_written_out_and_stripped() -> None:
    for ch in FORBIDDEN:
        text = f"a{ch}b"
        assert has_controls(text), repr(ch)
        assert_safe(visible(text))
        written = f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"
        assert visible(text) == f"a{written}b"
        assert_safe(strip_controls(text))
    assert not has_controls("Chips [/] 深度求索 👨‍👩‍👧")  # markup and ZWJ are not controls
    assert visible("plain [b]text[/b]") == "plain [b]text[/b]"


def test_strip_controls_keeps_what_is_being_typed() -> None:
    assert strip_controls("chips \x1b[2J\x1b]52;c;QQ==\x07rally ") == "chips rally "
    assert strip_controls("a\tb\nc") == "a b c"
    assert strip_controls("two  spaces ") == "two  spaces "


def test_a_query_may_span_lines_a_name_may_not() -> None:
    query = 'DeepSeek\n  OR "Liang Wenfeng"\r\n\tOR 梁文锋'
    assert has_controls(query) and not has_controls(query, lines_ok=True)
    assert has_controls("a\nb\x1b[2J", lines_ok=True) and has_controls("a\u202eb", lines_ok=True)


def test_plain_ascii_shortcut_is_exactly_what_the_patterns_would_not_match(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Printable ASCII without a double space skips every pattern: for every ASCII
    string the shortcut is taken only where no pattern would have matched, and the
    cleaned text is what the patterns give."""
    import random

    from monitor import text

    rng = random.Random(14)
    alphabet = [chr(c) for c in range(128)] + [" "] * 20 + ["a"] * 20
    samples = [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(20_000)
    ]
    for s in samples:
        no_work = not (text._needs_work(s) or text._multiline_work(s)
                       or text._ESCAPE_START.search(s))  # fmt: skip
        if text._plain(s):
            assert no_work, repr(s)
    plain = [s for s in samples if "<" not in s and "&" not in s]
    fast = [(clean_text(s), clean_multiline(s)) for s in plain]
    assert text._plain("Nvidia falls 17% as DeepSeek rattles AI trade")
    monkeypatch.setattr(text, "_plain", lambda s: False)
    assert fast == [(clean_text(s), clean_multiline(s)) for s in plain]


def test_a_link_of_printable_ascii_without_spaces_has_no_edges_to_cut() -> None:
    """clean_url skips the edge pattern for such links: it would have cut nothing."""
    import random

    from monitor import text

    rng = random.Random(5)
    alphabet = [chr(c) for c in range(128)]
    for _ in range(20_000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6)))
        if s.isprintable() and " " not in s:
            assert text._URL_EDGES.sub("", s) == s, repr(s)
    assert clean_url("\u200b https://a.example/x \t") == "https://a.example/x"


def test_the_work_tests_find_what_the_alternations_they_replace_found() -> None:
    """``_needs_work`` and ``_multiline_work`` (a class and substring tests) against
    the regexes they replace, with characters alone, doubled, and beside a space or a
    line break."""
    import re
    import sys

    from monitor import text

    needs = re.compile(f"[{text._INVISIBLE}]|[^\\S ]|  ")
    multiline = re.compile(
        f"[{text._INVISIBLE}\t\x0b\x0c\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029"
        "\u202f\u205f\u3000]|  | \n|\n |\n\n\n"
    )
    import random

    # every whitespace and invisible character lies in these; a sample of the rest
    codes = [*range(0x3100), *range(0xFE00, 0x10000), *range(0xDFFF0, 0xE0090)]
    codes += random.Random(4).sample(range(0x3100, sys.maxunicode + 1), 3000)
    for code in codes:
        c = chr(code)
        for s in (f"a{c}b", f"{c}{c}", f"{c} ", f" {c}", f"\n{c}", f"{c}\n\n"):
            assert text._needs_work(s) == bool(needs.search(s)), (hex(code), s)
            assert text._multiline_work(s) == bool(multiline.search(s)), (hex(code), s)

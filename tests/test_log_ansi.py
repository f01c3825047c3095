"""ANSI SGR becomes styles; every other escape, control char and markup stays inert."""

from __future__ import annotations

import pytest
from rich.color import Color

from prowtui.logs.ansi import ansi_to_text


def _spans_style(text, offset: int):
    from rich.style import Style

    style = Style()
    for span in text.spans:
        if span.start <= offset < span.end:
            style += span.style if not isinstance(span.style, str) else Style.parse(span.style)
    return style


def test_sgr_colours_bold_and_reset() -> None:
    text = ansi_to_text(b"\x1b[1;31mred bold\x1b[0m plain \x1b[38;5;42mx\x1b[48;2;1;2;3my")
    assert text.plain == "red bold plain xy"
    red = _spans_style(text, 0)
    assert red.bold and red.color is not None and red.color.number == 1
    assert _spans_style(text, 10).color is None and not _spans_style(text, 10).bold
    assert _spans_style(text, 15).color == Color.from_ansi(42)
    assert _spans_style(text, 16).bgcolor == Color.from_rgb(1, 2, 3)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (b"\x1b]52;c;aGVsbG8=\x07", "\\e]52;c;aGVsbG8=\\x07"),
        (b"\x1b[2J\x1b[H", "\\e[2J\\e[H"),
        (b"\x1b]0;pwned title\x07", "\\e]0;pwned title\\x07"),
        (b"\x1b[10;5Hmove\x1b[3A", "\\e[10;5Hmove\\e[3A"),
        ("left\u202eright".encode(), "left\\u202eright"),
        (b"cr\rline\x00nul", "cr\\x0dline\\x00nul"),
        (b"\xc2\x9b31m", "\\x9b31m"),
    ],
)
def test_other_sequences_are_escaped(raw: bytes, shown: str) -> None:
    text = ansi_to_text(raw)
    assert text.plain == shown
    assert "\x1b" not in text.plain and "\x07" not in text.plain


def test_markup_stays_literal() -> None:
    text = ansi_to_text(b"[bold]x[/bold] [@click=app.quit]quit[/] [link=http://e]l[/link]")
    assert text.plain == "[bold]x[/bold] [@click=app.quit]quit[/] [link=http://e]l[/link]"
    assert not text.spans


def test_invalid_utf8_is_replaced() -> None:
    assert ansi_to_text(b"a\xffb").plain == "a\ufffdb"


def test_long_line_is_cut_with_marker() -> None:
    text = ansi_to_text(b"y" * 25_000, limit=10_000)
    assert text.plain.startswith("y" * 10_000)
    assert text.plain.endswith("…[+15,000 chars]")
    assert ansi_to_text(b"z" * 10, limit=10, hidden=5).plain.endswith("…[+5 chars]")


def test_tabs_are_expanded() -> None:
    assert ansi_to_text(b"a\tb\x1b[1m\tc").plain == "a       b       c"

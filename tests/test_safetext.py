"""Untrusted text is made inert: no control sequence reaches the terminal, no markup applies."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from prowtui.safetext import inert, inert_text

HOSTILE = [
    "\x1b]52;c;ZXZpbA==\x07",  # OSC 52 clipboard write
    "\x1b[2J",  # clear screen
    "\x1b]0;owned\x07",  # window title
    "\x1b[10;10H",  # cursor move
    "\u202egnp.exe",  # bidi override
    "\x9b31m",  # C1 CSI
    "a\x00b",  # NUL
]


@pytest.mark.parametrize("payload", HOSTILE)
def test_control_sequences_become_visible_escapes(payload: str) -> None:
    out = inert(payload)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in out)
    assert "\u202e" not in out
    assert "\\" in out


def test_escape_shown_as_backslash_e() -> None:
    assert inert("\x1b[2J") == "\\e[2J"


def test_newlines_kept_only_when_asked() -> None:
    assert inert("a\nb") == "a\\x0ab"
    assert inert("a\nb", keep_newlines=True) == "a\nb"
    assert inert("a\tb") == "a\tb"


@pytest.mark.parametrize(
    "markup", ["[bold]x[/bold]", "[link=https://evil]x[/link]", "[@click=app.quit]q[/]"]
)
def test_markup_stays_literal(markup: str) -> None:
    console = Console(record=True, width=200, color_system=None)
    console.print(inert_text(markup))
    assert console.export_text().strip() == markup


@given(st.text())
def test_inert_output_has_no_control_characters(text: str) -> None:
    out = inert(text)
    assert all(not (ord(c) < 0x20 and c != "\t") for c in out)
    assert all(not (0x7F <= ord(c) <= 0x9F) for c in out)

"""Highlighted JSON (made inert first): the raw form of metadata files and other JSON."""

from __future__ import annotations

import json

from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from prowtui.safetext import inert

#: JSON larger than this is shown as plain text instead of being highlighted
HIGHLIGHT_LIMIT = 2 << 20


def pretty_json(data: bytes) -> str:
    """Indented JSON when ``data`` parses, else its text (invalid UTF-8 replaced)."""
    text = data.decode("utf-8", errors="replace")
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def json_renderable(data: bytes) -> Syntax | Text:
    """A highlighted, inert rendering of JSON bytes."""
    code = inert(pretty_json(data), keep_newlines=True)
    if len(code) > HIGHLIGHT_LIMIT:
        return Text(code)
    return Syntax(code, "json", theme="ansi_dark", word_wrap=True, background_color="default")


class JsonView(VerticalScroll):
    """A scrollable, highlighted JSON document."""

    DEFAULT_CSS = """
    JsonView { height: 1fr; padding: 0 1; }
    """

    def __init__(self, data: bytes, title: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._data = data
        self._title = title

    def compose(self) -> ComposeResult:
        if self._title:
            yield Static(Text(inert(self._title), style="bold underline"))
        yield Static(json_renderable(self._data))

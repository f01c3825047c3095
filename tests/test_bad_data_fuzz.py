"""Property tests for the parsers not covered by ``test_prow_fuzz``/``test_gcsweb_html``: any
input gives a result or the project's own error type, and displayed text is always inert."""

from __future__ import annotations

import argparse

from hypothesis import given, settings
from hypothesis import strategies as st

from prowtui.commands.cat import parse_range
from prowtui.errors import ProwtuiError
from prowtui.logs.ansi import ansi_to_text
from prowtui.safetext import inert, inert_text
from prowtui.sources.http import parse_retry_after
from prowtui.sources.resolve import resolve_target
from tests.test_hostile_data import UNSAFE

FUZZ = settings(max_examples=150, deadline=None)
#: text rich in escapes, controls, bidi marks and markup
HOSTILE_TEXT = st.lists(
    st.one_of(
        st.characters(max_codepoint=0x9F),
        st.sampled_from(["\u202e", "\u2066", "\u200f", "\ufeff", "[", "]", "@", "=", "/", ";"]),
        st.sampled_from(["\x1b[", "\x1b]52;c;", "\x1b]0;", "\x07", "[bold]", "[@click=app.quit]"]),
        st.sampled_from(["gs://", "https://", "http://127.0.0.1:1/gcs/", "logs/", "..", "demo"]),
    ),
    max_size=40,
).map("".join)


@FUZZ
@given(text=HOSTILE_TEXT)
def test_inert_leaves_nothing_active_and_markup_literal(text: str) -> None:
    shown = inert(text)
    assert UNSAFE.search(shown) is None
    assert inert_text(text).plain == shown  # no markup was interpreted
    assert UNSAFE.search(inert(text, keep_newlines=True).replace("\n", "")) is None


@FUZZ
@given(line=st.one_of(HOSTILE_TEXT, st.binary(max_size=300)), limit=st.integers(1, 400))
def test_log_lines_render_inert(line: str | bytes, limit: int) -> None:
    rendered = ansi_to_text(line, limit=limit)
    assert UNSAFE.search(rendered.plain.replace("\t", "")) is None
    assert all(span.style is None or not str(span.style).startswith("@") for span in rendered.spans)


@FUZZ
@given(source=st.one_of(st.none(), HOSTILE_TEXT), target=st.one_of(st.none(), HOSTILE_TEXT))
def test_any_source_and_path_resolve_or_raise_usage_errors(
    source: str | None, target: str | None
) -> None:
    try:
        spec, path = resolve_target(source, target)
    except ProwtuiError as exc:
        assert "\n" not in str(exc).strip() or UNSAFE.search(inert(str(exc))) is None
        return
    assert isinstance(path, str) and not path.startswith("/")
    assert spec.kind in ("demo", "local", "gcsweb", "gcs")


@FUZZ
@given(value=st.one_of(st.none(), HOSTILE_TEXT))
def test_retry_after_is_a_bounded_number_or_none(value: str | None) -> None:
    seconds = parse_retry_after(value)
    assert seconds is None or seconds >= 0


@FUZZ
@given(text=HOSTILE_TEXT)
def test_cat_ranges_parse_or_are_argparse_errors(text: str) -> None:
    try:
        start, end = parse_range(text)
    except argparse.ArgumentTypeError:
        return
    assert start >= 0 and (end is None or end > start)

"""Parse one gcsweb directory page (both generations) into entries; pure, no I/O.

``parse_listing(page, prefix)`` takes the page as sent (bytes, UTF-8) or as text. It selects
``ul.resource-grid > li.grid-row`` rows (reference §1.3/§1.7), skips the ``..`` row and rows
with an empty name (modern placeholder objects), and builds each key as ``prefix + link
text`` -- hrefs are never URL-decoded. Directories are recognised by a trailing ``/`` or the
``dir.png`` icon. Any input returns a :class:`ListingPage` or raises
:class:`~prowtui.errors.BadResponse`.

Dates: every layout gcsweb ever printed is accepted on every page, whatever generation its
links suggest: RFC1123 (``Mon, 02 Jan 2006 15:04:05 UTC``, modern pages) and
``02 Jan 2006 15:04:05`` (UTC; legacy pages, and modern ones for a few weeks in 2020, when the
layout was ``01 Jan 2006 15:04:05``: Go prints the month number where the day belongs, which
reads the same and cannot be told apart). A cell that fits no layout (``-``, ``<unknown>``,
an impossible date) gives ``None`` and never fails the listing.

Two parsers, one answer. Pages exactly as gcsweb's templates print them (whitespace aside) are
read by :func:`_scan`, a handful of regular expressions over the text: about a tenth of the
cost of building an HTML tree, which was the largest per-page cost of a crawl. Anything else
-- a re-indented copy, entities, comments, odd tags, control characters, invalid UTF-8 -- goes
to lxml's libxml2 HTML parser (``recover=True``, no network), walked with lxml's element API;
the scanner accepts a page only when every byte of its grid is understood, so both give the
same entries (a property test checks this on generated and mutated pages).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Literal

from prowtui.errors import BadResponse
from prowtui.sources.base import Entry

Generation = Literal["modern", "legacy", "unknown"]

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    )
}
#: RFC1123 and ``02 Jan 2006 15:04:05``; weekday and zone optional, so either fits
_DATE = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) ([A-Z][a-z]{2}) (\d{4}) "
    r"(\d{2}):(\d{2}):(\d{2})(?: (UTC|GMT|UT|Z|[+-]\d{4}))?"
)
_SIZE = re.compile(r"\d{1,20}")

# -- the scanner: gcsweb's templates (text/template and html/template), whitespace-flexible --
_WS = r"[ \t\n]*"
_HEAD = re.compile(
    rf"{_WS}<!doctype html>{_WS}<html>{_WS}<head>{_WS}"
    rf'(?:<link rel="stylesheet" type="text/css" href="[^"<>&]*">{_WS})?'
    rf'<meta charset="utf-8">{_WS}'
    rf'(?:<meta name="viewport" content="[^"<>&]*">{_WS})?'
    rf"<title>[^<>&]*</title>{_WS}"
    rf"(?:<style>[^<>&]*</style>{_WS})?"
    rf"</head>{_WS}<body>{_WS}<header>{_WS}<h1>[^<>&]*</h1>{_WS}"
    rf"<h3>(?P<h3>[^<>&]*)</h3>{_WS}</header>{_WS}"
    r'<ul class="resource-grid">'
)
_ROW = re.compile(
    rf'<li class="pure-g grid-row">{_WS}<div class="pure-u-2-5">'
    r'<a href="([^"<>&]*)"><img src="([^"<>&]*)">([^<>&]*)</a>'
    rf'</div>{_WS}<div class="pure-u-1-5">([^<>&]*)</div>{_WS}'
    rf'<div class="pure-u-2-5">([^<>&]*)</div>{_WS}</li>'
)
#: what may stand between rows: whitespace, the grid header, next-page buttons
_BETWEEN_ROWS = re.compile(
    rf'(?:[ \t\n]+|<li class="pure-g">{_WS}<div class="pure-u-2-5 grid-head">Name</div>{_WS}'
    rf'<div class="pure-u-1-5 grid-head">Size</div>{_WS}'
    rf'<div class="pure-u-2-5 grid-head">Modified</div>{_WS}</li>'
    rf'|<a href="(?P<next>[^"<>&]*)"{_WS} class="pure-button next-button">[^<>&]*</a>)*'
)
#: bytes libxml2 may drop or rewrite: pages holding any go to lxml (as do U+FFFE, U+FFFF)
_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F])

_lxml_parser = None


def _html_parser():  # type: ignore[no-untyped-def]
    """lxml's HTML parser, made on first use (most pages never need it)."""
    global _lxml_parser
    if _lxml_parser is None:
        from lxml import etree

        _lxml_parser = etree.HTMLParser(
            encoding="utf-8",
            recover=True,
            no_network=True,
            remove_comments=True,
            remove_pis=True,
            remove_blank_text=False,
        )
    return _lxml_parser


@dataclass(frozen=True, slots=True)
class ListingPage:
    """One parsed page: entries in page order, the legacy next-page href, the generation."""

    entries: list[Entry] = field(default_factory=list)
    next_href: str | None = None
    generation: Generation = "unknown"
    #: the page's ``<h3>`` text (``/<bucket>/<path>/``), when present
    heading: str | None = None


@lru_cache(maxsize=4096)
def parse_modified(text: str, generation: Generation = "unknown") -> datetime | None:
    """A Modified cell as an aware UTC datetime, or None when it fits no layout gcsweb used.

    ``generation`` is accepted for compatibility and ignored: every layout is tried on every
    page."""
    match = _DATE.fullmatch(text.strip())
    if match is None:
        return None
    day, mon, year, hh, mm, ss, zone = match.groups()
    month = _MONTHS.get(mon)
    if month is None:
        return None
    try:
        value = datetime(int(year), month, int(day), int(hh), int(mm), int(ss), tzinfo=timezone.utc)
    except ValueError:
        return None
    if zone and zone[0] in "+-":
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5]))
        value = value - offset if zone[0] == "+" else value + offset
    return value


def _parse_size(text: str) -> int | None:
    if text.isdigit() and text.isascii() and len(text) <= 20:  # the usual cell, as is
        return int(text)
    text = text.strip()
    return int(text) if _SIZE.fullmatch(text) else None


def _clean_name(text: str) -> str:
    """The entry name from the link text: minus the single space gcsweb puts after the icon."""
    if "\n" in text or "\t" in text or "\r" in text or text.startswith("  "):
        return text.strip()  # re-indented page: whitespace is layout, not name
    return text[1:] if text.startswith(" ") else text


#: one grid row as both parsers see it: link text, href, icon src, size and modified text
_Row = tuple[str, str, str | None, str, str]


def _page(rows: list[_Row], next_href: str | None, heading: str | None, prefix: str) -> ListingPage:
    """Entries, generation and next-page link from the rows of a page (shared by both parsers);
    one pass, every page of a crawl comes through here."""
    entries: list[Entry] = []
    append = entries.append
    modern = legacy = 0
    for link_text, href, icon_src, size_text, modified_text in rows:
        name = _clean_name(link_text)
        if name == ".." or name == "../":
            if not prefix and href.rstrip("/") == "/gcs":
                legacy += 1  # legacy keeps a `..` row at the bucket root
            continue
        if name.strip("/") in ("", ".", ".."):
            continue
        if name[-1] == "/":
            append(Entry(name, prefix + name, True, None, None))
        elif isinstance(icon_src, str) and icon_src.endswith("dir.png"):
            name += "/"
            append(Entry(name, prefix + name, True, None, None))
        else:
            if href.startswith(("http://", "https://")):
                legacy += 1
            elif href.startswith(("/gcs/", "/s3/")):
                modern += 1
            append(
                Entry(
                    name,
                    prefix + name,
                    False,
                    _parse_size(size_text),
                    parse_modified(modified_text),
                )
            )
    if next_href is not None and next_href.strip():
        legacy += 1
        next_href = next_href.strip()
    else:
        next_href = None
    generation: Generation = "unknown"
    if modern > legacy:
        generation = "modern"
    elif legacy > modern:
        generation = "legacy"
    return ListingPage(entries, next_href, generation, heading)


def _scan(html: str, data: bytes, prefix: str) -> ListingPage | None:
    """A page exactly as gcsweb's templates print it, read with regular expressions; None
    for anything else (which then goes to lxml)."""
    head = _HEAD.match(html)
    if (
        head is None
        or len(data.translate(None, _CONTROL_BYTES)) != len(data)
        or "\ufffe" in html
        or "\uffff" in html
    ):
        return None
    start = head.end()
    end = html.find("</ul>", start)
    if end < 0:
        return None
    # rows and what stands between them, alternately: [gap, 5 row fields, gap, ..., gap]
    parts = _ROW.split(html[start:end])
    next_href: str | None = None
    for gap in parts[::6]:
        if gap.strip(" \t\n"):  # something besides whitespace: only what the template prints
            between = _BETWEEN_ROWS.fullmatch(gap)
            if between is None:
                return None
            if next_href is None:
                next_href = between.group("next")
    rows: list[_Row] = list(
        zip(parts[3::6], parts[1::6], parts[2::6], parts[4::6], parts[5::6], strict=True)
    )
    return _page(rows, next_href, head.group("h3").strip(), prefix)


def _text(element) -> str:  # type: ignore[no-untyped-def]
    """All text below ``element`` (its children's tails included, its own tail not)."""
    return "".join(element.itertext())


def _has_class(element, name: str) -> bool:  # type: ignore[no-untyped-def]
    value = element.get("class")
    return isinstance(value, str) and name in value.split()


def _parse_tree(page: bytes, prefix: str) -> ListingPage:
    """Any page, through libxml2's HTML parser (bs4's ``find``/``get_text`` semantics)."""
    from lxml import etree

    root = etree.fromstring(page, _html_parser())
    if root is None:
        raise BadResponse("not a gcsweb listing page (empty document)")
    grid = next((ul for ul in root.iter("ul") if _has_class(ul, "resource-grid")), None)
    if grid is None:
        raise BadResponse("not a gcsweb listing page (no resource-grid)")
    heading_tag = next(root.iter("h3"), None)
    heading = (
        "".join(part.strip() for part in heading_tag.itertext())
        if heading_tag is not None
        else None
    )
    rows: list[_Row] = []
    for row in grid.iterchildren("li"):
        if not _has_class(row, "grid-row"):
            continue
        cells = list(row.iterchildren("div"))
        anchor = next(cells[0].iter("a"), None) if cells else None
        if anchor is None:
            continue
        icon = next(anchor.iter("img"), None)
        icon_src = icon.get("src") if icon is not None else None
        size_text = _text(cells[1]) if len(cells) > 1 else ""
        modified_text = _text(cells[2]) if len(cells) > 2 else ""
        rows.append((_text(anchor), anchor.get("href") or "", icon_src, size_text, modified_text))
    next_anchor = next((a for a in grid.iter("a") if _has_class(a, "next-button")), None)
    next_href = next_anchor.get("href") if next_anchor is not None else None
    return _page(rows, next_href if isinstance(next_href, str) else None, heading, prefix)


def parse_listing(page: str | bytes, prefix: str) -> ListingPage:
    """Parse a gcsweb directory page listing ``prefix`` (a bucket key ending in ``/`` or "")."""
    if isinstance(page, str):
        text: str | None = page
        data = page.encode("utf-8", "replace")
    elif isinstance(page, (bytes, bytearray, memoryview)):
        data = bytes(page)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
    else:
        raise BadResponse("gcsweb page is not text")
    if b"resource-grid" not in data:
        raise BadResponse("not a gcsweb listing page (no resource-grid)")
    try:
        scanned = _scan(text, data, prefix) if text is not None else None
        return scanned if scanned is not None else _parse_tree(data, prefix)
    except BadResponse:
        raise
    except Exception as exc:  # a malformed page must never crash a caller
        raise BadResponse(f"malformed gcsweb page ({type(exc).__name__})") from exc

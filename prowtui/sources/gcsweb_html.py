"""Parse one gcsweb directory page (both generations) into entries; pure, no I/O.

``parse_listing(html, prefix)`` selects ``ul.resource-grid > li.grid-row`` rows (reference
§1.3/§1.7), skips the ``..`` row and rows with an empty name (modern placeholder objects),
and builds each key as ``prefix + link text`` -- hrefs are never URL-decoded. Directories are
recognised by a trailing ``/`` or the ``dir.png`` icon. Dates: RFC1123 on modern pages,
``02 Jan 2006 15:04:05`` (UTC) on legacy pages; on a modern page the legacy shape is the
2020-09 bug layout (month number in the day field) and gives ``None``, as does ``<unknown>``.
Any input returns a :class:`ListingPage` or raises :class:`~prowtui.errors.BadResponse`.

Pages are parsed with lxml's libxml2 HTML parser (``recover=True``, no network, comments and
processing instructions dropped) and walked with lxml's element API. BeautifulSoup, even on
the lxml builder, spends ~1.3 ms building its tree for a 10-row build page against ~0.07 ms
here; a crawl parses hundreds of pages, so this was the largest per-request cost (README,
benchmarks/Crawl). Text is taken as bs4's ``get_text()`` would: every text node below the
element, tails included, comments excluded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Literal

from lxml import etree

from prowtui.errors import BadResponse
from prowtui.sources.base import Entry

Generation = Literal["modern", "legacy", "unknown"]

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    )
}
_MODERN_DATE = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{1,2}) ([A-Z][a-z]{2}) (\d{4}) "
    r"(\d{2}):(\d{2}):(\d{2}) (UTC|GMT|Z|[+-]\d{4})"
)
_LEGACY_DATE = re.compile(r"(\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2})")
_SIZE = re.compile(r"\d{1,20}")
_HTML_PARSER = etree.HTMLParser(
    encoding="utf-8",
    recover=True,
    no_network=True,
    remove_comments=True,
    remove_pis=True,
    remove_blank_text=False,
)


@dataclass(frozen=True, slots=True)
class ListingPage:
    """One parsed page: entries in page order, the legacy next-page href, the generation."""

    entries: list[Entry] = field(default_factory=list)
    next_href: str | None = None
    generation: Generation = "unknown"
    #: the page's ``<h3>`` text (``/<bucket>/<path>/``), when present
    heading: str | None = None


def _make_date(groups: tuple[str, ...], zone: str = "UTC") -> datetime | None:
    day, mon, year, hh, mm, ss = groups
    month = _MONTHS.get(mon)
    if month is None:
        return None
    try:
        value = datetime(int(year), month, int(day), int(hh), int(mm), int(ss), tzinfo=timezone.utc)
    except ValueError:
        return None
    if zone[0] in "+-":
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5]))
        value = value - offset if zone[0] == "+" else value + offset
    return value


def parse_modified(text: str, generation: Generation = "unknown") -> datetime | None:
    """A Modified cell as an aware UTC datetime, or None (``-``, ``<unknown>``, bug layout)."""
    text = text.strip()
    match = _MODERN_DATE.fullmatch(text)
    if match:
        return _make_date(match.groups()[:6], match.group(7))
    if generation != "modern":
        match = _LEGACY_DATE.fullmatch(text)
        if match:
            return _make_date(match.groups())
    return None


def _parse_size(text: str) -> int | None:
    text = text.strip()
    return int(text) if _SIZE.fullmatch(text) else None


def _text(element: etree._Element) -> str:
    """All text below ``element`` (its children's tails included, its own tail not)."""
    return "".join(element.itertext())


def _link_name(anchor: etree._Element) -> str:
    """The entry name: the anchor text minus the single space gcsweb puts after the icon."""
    text = _text(anchor)
    if any(c in text for c in "\n\r\t") or text.startswith("  "):
        return text.strip()  # re-indented page: whitespace is layout, not name
    return text[1:] if text.startswith(" ") else text


def _has_class(element: etree._Element, name: str) -> bool:
    value = element.get("class")
    return isinstance(value, str) and name in value.split()


def _first(element: etree._Element, tag: str) -> etree._Element | None:
    """The first descendant ``tag`` element in document order (bs4's ``find``)."""
    return next(element.iter(tag), None)


def _children(element: etree._Element, tag: str) -> list[etree._Element]:
    return [child for child in element.iterchildren(tag)]


def _href_generation(href: str) -> Generation:
    if href.startswith(("http://", "https://")):
        return "legacy"
    if href.startswith("/gcs/") or href.startswith("/s3/"):
        return "modern"
    return "unknown"


def _parse(html: str, prefix: str) -> ListingPage:
    if "resource-grid" not in html:
        raise BadResponse("not a gcsweb listing page (no resource-grid)")
    root = etree.fromstring(html.encode("utf-8", "replace"), _HTML_PARSER)
    if root is None:
        raise BadResponse("not a gcsweb listing page (empty document)")
    grid = next((ul for ul in root.iter("ul") if _has_class(ul, "resource-grid")), None)
    if grid is None:
        raise BadResponse("not a gcsweb listing page (no resource-grid)")
    heading_tag = _first(root, "h3")
    heading = (
        "".join(part.strip() for part in heading_tag.itertext())
        if heading_tag is not None
        else None
    )

    raw: list[tuple[str, bool, str, str]] = []  # name, is_dir, size text, modified text
    votes = {"modern": 0, "legacy": 0}
    for row in grid.iterchildren("li"):
        if not _has_class(row, "grid-row"):
            continue
        cells = _children(row, "div")
        anchor = _first(cells[0], "a") if cells else None
        if anchor is None:
            continue
        name = _link_name(anchor)
        href = anchor.get("href") or ""
        icon = _first(anchor, "img")
        icon_src = icon.get("src") if icon is not None else None
        if name in ("..", "../"):
            if not prefix and href.rstrip("/") == "/gcs":
                votes["legacy"] += 1  # legacy keeps a `..` row at the bucket root
            continue
        if name.strip("/") in ("", ".", ".."):
            continue
        is_dir = name.endswith("/") or (isinstance(icon_src, str) and icon_src.endswith("dir.png"))
        if not is_dir:
            generation_of_href = _href_generation(href)
            if generation_of_href != "unknown":
                votes[generation_of_href] += 1
        size_text = _text(cells[1]) if len(cells) > 1 else ""
        modified_text = _text(cells[2]) if len(cells) > 2 else ""
        raw.append((name, is_dir, size_text, modified_text))

    next_anchor = next((a for a in grid.iter("a") if _has_class(a, "next-button")), None)
    next_href = next_anchor.get("href") if next_anchor is not None else None
    if isinstance(next_href, str) and next_href.strip():
        votes["legacy"] += 1
        next_href = next_href.strip()
    else:
        next_href = None

    generation: Generation = "unknown"
    if votes["modern"] > votes["legacy"]:
        generation = "modern"
    elif votes["legacy"] > votes["modern"]:
        generation = "legacy"

    entries = []
    for name, is_dir, size_text, modified_text in raw:
        if is_dir:
            dir_name = name if name.endswith("/") else name + "/"
            entries.append(Entry(dir_name, prefix + dir_name, True, None, None))
        else:
            updated = parse_modified(modified_text, generation)
            entries.append(Entry(name, prefix + name, False, _parse_size(size_text), updated))
    return ListingPage(entries, next_href, generation, heading)


def parse_listing(html: str, prefix: str) -> ListingPage:
    """Parse a gcsweb directory page listing ``prefix`` (a bucket key ending in ``/`` or "")."""
    if not isinstance(html, str):
        raise BadResponse("gcsweb page is not text")
    try:
        return _parse(html, prefix)
    except BadResponse:
        raise
    except Exception as exc:  # a malformed page must never crash a caller
        raise BadResponse(f"malformed gcsweb page ({type(exc).__name__})") from exc

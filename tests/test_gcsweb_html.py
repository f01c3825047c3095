"""The gcsweb page parser: both generations, awkward names, dates, big pages, fuzzing."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prowtui.errors import BadResponse
from prowtui.sources.gcsweb_html import (
    ListingPage,
    _parse_tree,
    _scan,
    parse_listing,
    parse_modified,
)
from tests.servers.gcsweb_server import GcswebServer, _Object

UTC = timezone.utc
MTIME = datetime(2025, 1, 14, 8, 3, 27, tzinfo=UTC).timestamp()
# in GCS (lexicographic) order, as both generations list them
NAMES = sorted(
    ["a b.txt", "100%.log", "x#y.txt", "junit%23run.xml", "R&D notes.txt", "ünïcødé-日本.json"]
)


def render(generation: str, prefix: str, dirs: list[str], names: list[str], **kw: object) -> str:
    """A page exactly as the test server renders it (so server and parser share the spec)."""
    server = GcswebServer(Path("/nonexistent"), "example-bucket", generation=generation, **kw)  # type: ignore[arg-type]
    server.storage_url = "https://storage.googleapis.com"
    files = [_Object(name, 10 + i, MTIME) for i, name in enumerate(names)]
    if generation == "modern":
        return server.render_modern(prefix, dirs, files)
    return server.render_legacy(prefix, dirs, files, marker="")


@pytest.mark.parametrize("generation", ["modern", "legacy"])
def test_both_generations_parse_to_the_same_entries(generation: str) -> None:
    prefix = "logs/job/1790000000000000001/"
    page = parse_listing(render(generation, prefix, ["artifacts/"], NAMES), prefix)
    assert page.generation == generation
    assert page.next_href is None
    assert [e.name for e in page.entries] == ["artifacts/", *NAMES]
    directory = page.entries[0]
    assert directory.is_dir and directory.path == prefix + "artifacts/" and directory.size is None
    for i, entry in enumerate(page.entries[1:]):
        assert entry.path == prefix + NAMES[i]  # key = prefix + link text, never a decoded href
        assert entry.size == 10 + i and not entry.is_dir
        assert entry.updated == datetime(2025, 1, 14, 8, 3, 27, tzinfo=UTC)


def test_legacy_root_has_parent_row_that_is_skipped() -> None:
    page = parse_listing(render("legacy", "", ["logs/", "pr-logs/"], []), "")
    assert [e.path for e in page.entries] == ["logs/", "pr-logs/"]
    assert page.generation == "legacy"  # only dirs, but the `..` at the root gives it away


def test_legacy_next_page_link() -> None:
    names = [f"f{i}.txt" for i in range(5)]
    html = render("legacy", "logs/job/", [], names, page_size=2)
    page = parse_listing(html, "logs/job/")
    assert [e.name for e in page.entries] == ["f0.txt", "f1.txt"]
    assert page.next_href == "/gcs/example-bucket/logs/job/?marker=logs%2fjob%2ff1.txt"
    assert html.count("Next page") == 2


# An excerpt of a real OpenShift page (logjuicer's trimmed copy, see shared NOTES.md).
LOGJUICER = """
    <!doctype html>
    <html>
    <head>
        <link rel="stylesheet" type="text/css" href="/styles/style.css">
        <meta charset="utf-8">
        <title>GCS browser: origin-ci-test</title>
    </head>
    <body>
    <header>
        <h1>origin-ci-test</h1>
        <h3>/origin-ci-test/pr-logs/pull/o_c/437/pull-ci-ansible-test/1689624623181729792/</h3>
    </header>
    <ul class="resource-grid">

    <li class="pure-g">
        <div class="pure-u-2-5 grid-head">Name</div>
        <div class="pure-u-1-5 grid-head">Size</div>
        <div class="pure-u-2-5 grid-head">Modified</div>
    </li>

    <li class="pure-g grid-row">
        <div class="pure-u-2-5"><a href="@J@"><img src="/icons/back.png"> ..</a></div>
        <div class="pure-u-1-5">-</div>
        <div class="pure-u-2-5">-</div>
    </li>

    <li class="pure-g grid-row">
    <div class="pure-u-2-5"><a href="@B@artifacts/"><img src="/icons/dir.png"> artifacts/</a></div>
        <div class="pure-u-1-5">-</div>
        <div class="pure-u-2-5">-</div>
    </li>

    <li class="pure-g grid-row">
    <div class="pure-u-2-5"><a href="@B@build-log.txt"><img src="/icons/file.png"> build-log.txt</a>
        </div>
        <div class="pure-u-1-5">1627</div>
        <div class="pure-u-2-5">Thu, 10 Aug 2023 13:14:15 UTC</div>
    </li>
    </ul>
    <details><summary style="display: list-item">Download</summary>
    <div><pre>gsutil -m cp -r gs://origin-ci-test/pr-logs/pull/o_c/437/x/ .</pre></div></details>
    </body></html>
"""
LOGJUICER = LOGJUICER.replace("@B@", "@J@1689624623181729792/").replace(
    "@J@", "/gcs/origin-ci-test/pr-logs/pull/o_c/437/pull-ci-ansible-test/"
)


def test_logjuicer_excerpt_of_a_real_page() -> None:
    prefix = "pr-logs/pull/o_c/437/pull-ci-ansible-test/1689624623181729792/"
    page = parse_listing(LOGJUICER, prefix)
    assert page.generation == "modern"
    assert page.heading == "/origin-ci-test/" + prefix
    assert [(e.name, e.is_dir, e.size) for e in page.entries] == [
        ("artifacts/", True, None),
        ("build-log.txt", False, 1627),
    ]
    assert page.entries[1].updated == datetime(2023, 8, 10, 13, 14, 15, tzinfo=UTC)


def test_placeholder_rows_and_dir_icon_without_slash() -> None:
    html = LOGJUICER.replace(
        "    </ul>",
        '<li class="pure-g grid-row"><div class="pure-u-2-5"><a href="/gcs/b/p/">'
        '<img src="/icons/file.png"> </a></div><div class="pure-u-1-5">0</div>'
        '<div class="pure-u-2-5">Thu, 10 Aug 2023 13:14:15 UTC</div></li>'
        '<li class="pure-g grid-row"><div class="pure-u-2-5"><a href="/gcs/b/p/d/">'
        '<img src="/icons/dir.png"> d</a></div><div class="pure-u-1-5">-</div>'
        '<div class="pure-u-2-5">-</div></li></ul>',
    )
    page = parse_listing(html, "p/")
    assert [e.path for e in page.entries] == ["p/artifacts/", "p/build-log.txt", "p/d/"]


WHEN = datetime(2025, 1, 14, 8, 3, 27, tzinfo=UTC)
#: every layout gcsweb printed: RFC1123 (modern), ``02 Jan 2006 15:04:05`` (legacy, and modern
#: pages in 2020, whose ``01 Jan 2006 15:04:05`` layout prints the same shape)
LAYOUTS = {
    "rfc1123": "Tue, 14 Jan 2025 08:03:27 UTC",
    "rfc1123-gmt": "Tue, 14 Jan 2025 08:03:27 GMT",
    "rfc1123z": "Tue, 14 Jan 2025 09:03:27 +0100",
    "day-month-year": "14 Jan 2025 08:03:27",
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("generation", ["modern", "legacy", "unknown"])
def test_every_layout_parses_whatever_the_generation(layout: str, generation: str) -> None:
    assert parse_modified(LAYOUTS[layout], generation) == WHEN  # type: ignore[arg-type]
    assert parse_modified(f"  {LAYOUTS[layout]}\n", generation) == WHEN  # type: ignore[arg-type]


def test_gcsweb_2020_unit_test_date_on_a_modern_page() -> None:
    # gcsweb's own test at test-infra 4298e57d66 expected "01 Jan 2000 00:00:00" on a modern page
    assert parse_modified("01 Jan 2000 00:00:00", "modern") == datetime(2000, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "<unknown>",
        "-",
        "",
        "31 Feb 2025 08:03:27",
        "Tue, 14 Foo 2025 08:03:27 UTC",
        "Tue, 14 Jan 2025 08:03:27 PST",  # a zone that cannot be placed
        "14 Jan 2025 25:03:27",
        "2025-01-14T08:03:27Z",
        "14 Jan 25 08:03:27",
    ],
)
def test_a_date_in_no_layout_is_none(text: str) -> None:
    for generation in ("modern", "legacy", "unknown"):
        assert parse_modified(text, generation) is None  # type: ignore[arg-type]


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("generation", ["modern", "legacy"])
def test_pages_of_either_generation_carry_any_layout(layout: str, generation: str) -> None:
    prefix = "logs/job/1/"
    page = render(generation, prefix, ["artifacts/"], ["a.txt", "b.txt"])
    stamp = "Tue, 14 Jan 2025 08:03:27 UTC" if generation == "modern" else "14 Jan 2025 08:03:27"
    first, _, rest = page.partition(stamp)
    page = first + LAYOUTS[layout] + rest.replace(stamp, "&lt;unknown&gt;")
    listing = parse_listing(page, prefix)
    assert listing.generation == generation
    assert [(e.name, e.updated) for e in listing.entries] == [
        ("artifacts/", None),
        ("a.txt", WHEN),
        ("b.txt", None),  # no layout: None, and the listing still stands
    ]


def test_day_month_year_on_the_logjuicer_modern_page() -> None:
    html = LOGJUICER.replace("Thu, 10 Aug 2023 13:14:15 UTC", "08 Aug 2023 13:14:15")
    page = parse_listing(html, "p/")
    assert page.generation == "modern"
    assert page.entries[1].updated == datetime(2023, 8, 8, 13, 14, 15, tzinfo=UTC)


def test_unknown_date_and_bad_size_in_legacy_page() -> None:
    html = render("legacy", "p/", [], ["a.txt"]).replace("14 Jan 2025 08:03:27", "&lt;unknown&gt;")
    html = html.replace('"pure-u-1-5">10<', '"pure-u-1-5">12kB<')
    (entry,) = parse_listing(html, "p/").entries
    assert entry.updated is None and entry.size is None


@pytest.mark.parametrize("generation", ["modern", "legacy"])
def test_very_long_listing(generation: str) -> None:
    names = [f"{i:019d}.txt" for i in range(5000)]
    html = render(generation, "logs/busy/", [], names, page_size=10_000)
    started = time.perf_counter()
    page = parse_listing(html, "logs/busy/")
    elapsed = time.perf_counter() - started
    assert len(page.entries) == 5000 and page.entries[-1].path == "logs/busy/" + names[-1]
    assert elapsed < 8.0, f"parsing 5000 rows took {elapsed:.2f}s"


def test_not_a_listing_raises_bad_response() -> None:
    with pytest.raises(BadResponse):
        parse_listing("<html><body>hello</body></html>", "")
    with pytest.raises(BadResponse):
        parse_listing(b"bytes".decode(), "")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=2000))
def test_arbitrary_text_never_raises_anything_else(text: str) -> None:
    try:
        page = parse_listing(text, "p/")
    except BadResponse:
        return
    assert isinstance(page, ListingPage)


_BASE_PAGES = [render("modern", "p/", ["d/"], NAMES), render("legacy", "p/", ["d/"], NAMES)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.sampled_from(_BASE_PAGES),
    cuts=st.lists(
        st.tuples(st.integers(0, 4000), st.integers(0, 200), st.text(max_size=30)), max_size=6
    ),
)
def test_mutated_pages_never_raise_anything_else(
    base: str, cuts: list[tuple[int, int, str]]
) -> None:
    html = base
    for at, length, insert in cuts:
        at %= len(html) + 1
        html = html[:at] + insert + html[at + length :]
    try:
        page = parse_listing(html, "p/")
    except BadResponse:
        return
    for entry in page.entries:
        assert entry.path.startswith("p/") and entry.name not in ("", "..")
        assert entry.size is None or entry.size >= 0
        assert entry.updated is None or entry.updated.tzinfo is not None


_TOKENS = [
    '<li class="pure-g grid-row">',
    "</li>",
    '<div class="pure-u-2-5">',
    '<div class="pure-u-1-5">',
    "</div>",
    '<a href="/gcs/b/p/x">',
    '<a href="https://storage.googleapis.com/b/p/x" class="next-button">',
    "</a>",
    '<img src="/icons/dir.png">',
    "<img",
    " ..",
    " name/",
    "123",
    "-",
    "Tue, 14 Jan 2025 08:03:27 UTC",
    "14 Jan 2025 08:03:27",
    "&amp;",
    "&#0;",
    "<ul class='resource-grid'>",
    "</ul>",
    "<h3>",
]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_TOKENS) | st.text(max_size=8), max_size=60))
def test_token_soup_inside_a_grid_never_raises_anything_else(parts: list[str]) -> None:
    html = '<ul class="resource-grid">' + "".join(parts)
    try:
        page = parse_listing(html, "")
    except BadResponse:
        return
    assert all(e.name and e.name != ".." for e in page.entries)


# -- the template scanner and lxml give the same answer --------------------------------------


def scanned_and_tree(page: str, prefix: str) -> tuple[ListingPage | None, ListingPage]:
    data = page.encode("utf-8", "surrogatepass")
    return _scan(page, data, prefix), _parse_tree(data, prefix)


@pytest.mark.parametrize("generation", ["modern", "legacy"])
def test_template_pages_take_the_scanner(generation: str) -> None:
    for prefix in ("", "logs/job/1790000000000000001/"):
        page = render(generation, prefix, ["artifacts/", "d e/"], ["a b.txt", "x#y.json"])
        scanned, tree = scanned_and_tree(page, prefix)
        assert scanned is not None and scanned == tree
    paged = render("legacy", "logs/job/", [], [f"f{i}.txt" for i in range(5)], page_size=2)
    scanned, tree = scanned_and_tree(paged, "logs/job/")
    assert scanned is not None and scanned == tree and scanned.next_href


def test_pages_off_the_template_go_to_lxml() -> None:
    page = render("modern", "p/", [], ["a.txt"])
    for changed in (
        page.replace('<li class="pure-g grid-row">', '<li class="grid-row pure-g">', 1),
        page.replace("<h3>", "<!-- x --><h3>"),
        page.replace("a.txt</a>", "a&amp;b.txt</a>"),
        page.replace("a.txt</a>", "a\x0cb.txt</a>"),
        page.replace("</ul>", "<li>stray</li></ul>"),
        LOGJUICER,
    ):
        assert _scan(changed, changed.encode(), "p/") is None
        parse_listing(changed, "p/")  # and lxml still reads them


_NAME = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="/"), min_size=1, max_size=12
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    generation=st.sampled_from(["modern", "legacy"]),
    dirs=st.lists(_NAME.map(lambda n: n + "/"), max_size=3, unique=True),
    names=st.lists(_NAME, max_size=5, unique=True),
)
def test_scanner_and_lxml_agree_on_any_names(
    generation: str, dirs: list[str], names: list[str]
) -> None:
    page = render(generation, "p/", sorted(dirs), sorted(names))
    scanned, tree = scanned_and_tree(page, "p/")
    if scanned is not None:
        assert scanned == tree


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.sampled_from(_BASE_PAGES),
    cuts=st.lists(
        st.tuples(st.integers(0, 6000), st.integers(0, 40), st.sampled_from([*_TOKENS, " ", ""])),
        max_size=4,
    ),
)
def test_scanner_and_lxml_agree_on_mutated_pages(
    base: str, cuts: list[tuple[int, int, str]]
) -> None:
    page = base
    for at, length, insert in cuts:
        at %= len(page) + 1
        page = page[:at] + insert + page[at + length :]
    try:
        scanned, tree = scanned_and_tree(page, "p/")
    except BadResponse:
        return
    if scanned is not None:
        assert scanned == tree

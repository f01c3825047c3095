"""A hostile bucket (terminal escapes, markup, bidi, path tricks) and what sources do with it.

:func:`build_hostile_bucket` is shared by the other ``test_hostile_*`` modules; the tests here
prove that such names never reach a file outside the source root, the cache or the export
directory, and that gcsweb links to other hosts are never followed.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from yarl import URL

from prowtui.errors import BadResponse, NotFound
from prowtui.sources.gcsweb import GcswebSource
from prowtui.sources.http import RetryPolicy
from prowtui.sources.local import LocalSource
from tests.servers.gcsweb_server import GcswebServer

OSC52 = "\x1b]52;c;aGVsbG8=\x07"
CLEAR = "\x1b[2J"
TITLE = "\x1b]0;pwned\x07"
MOVE = "\x1b[5;5H"
BIDI = "\u202e"
CSI_C1 = "\x9b2J"
MARKUP = ("[bold]", "[link=https://x]", "[@click=app.quit]")

#: file names under the hostile build's ``artifacts/`` (all legal on a POSIX file system)
HOSTILE_NAMES = (
    f"osc52{OSC52}.txt",
    f"clear{CLEAR}{MOVE}.log",
    f"title{TITLE}.txt",
    f"bidi{BIDI}txt.exe",
    f"c1{CSI_C1}.txt",
    "[bold]loud[red]red.txt",
    "[link=mailto:a@b]link.txt",  # a key's "/" makes directories, so no "https://" here
    "[@click=app.quit]QUIT.txt",
    "..\\..\\back\\slash.txt",
)
HOSTILE_DIR = f"[@click=app.quit]DIR{CLEAR}/"
HOSTILE_JOB = f"[bold]job{TITLE}"
JOB = f"logs/{HOSTILE_JOB}/"
BUILD = f"{JOB}1001/"
#: one of everything, for contents (log lines, JSON values, junit names)
HOSTILE_TEXT = f"A{OSC52}B{CLEAR}C{TITLE}D{MOVE}E{BIDI}F{CSI_C1}G [bold]H[/bold] " + " ".join(
    f"{m}I" for m in MARKUP[1:]
)

#: characters that must never reach a terminal from data (tab and newline are layout)
UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
#: what Rich itself writes to a colour terminal: SGR only
SGR = re.compile(r"\x1b\[[0-9;]*m")


def assert_inert(text: str, *, terminal: bool = False) -> None:
    """No active character in ``text`` (after dropping Rich's own SGR when ``terminal``)."""
    shown = SGR.sub("", text) if terminal else text
    found = UNSAFE.search(shown)
    if found is not None:
        near = shown[max(0, found.start() - 40) : found.end() + 40]
        raise AssertionError(f"active character {found.group()!r} near {near!r}")


def _events() -> dict[str, object]:
    return {
        "kind": "EventList",
        "items": [
            {
                "metadata": {"uid": f"u{i}", "namespace": f"ns{CLEAR}", "name": f"ev{i}{OSC52}"},
                "reason": reason,
                "type": "Warning",
                "message": HOSTILE_TEXT,
                "count": 2,
                "lastTimestamp": "2023-11-14T22:20:00Z",
                "source": {"component": f"[@click=app.quit]kubelet{TITLE}"},
                "involvedObject": {"kind": "Pod", "name": f"pod{BIDI}x"},
            }
            for i, reason in enumerate(("[bold]BackOff[/bold]", f"Failed{MOVE}"))
        ],
    }


def _junit() -> str:
    def attr(value: str) -> str:  # XML 1.0 cannot carry most C0 controls: write what it can
        return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")

    visible = f"[@click=app.quit]case [bold]x[/bold] {BIDI} \x85 {CSI_C1}"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>'
        f'<testsuite name="{attr("[link=https://x]suite")}" tests="2" failures="1">'
        f'<testcase name="{attr(visible)}" classname="e2e" time="1.5"/>'
        f'<testcase name="{attr("[bold]fails" + BIDI)}" classname="e2e" time="2">'
        f'<failure message="{attr(visible)}">{attr(visible)}</failure></testcase>'
        "</testsuite></testsuites>\n"
    )


def build_hostile_bucket(root: Path) -> Path:
    """A bucket with one job (hostile name) of two builds full of hostile names and contents."""
    for build_id, passed in (("1001", False), ("1002", True)):
        build = root / JOB / build_id
        artifacts = build / "artifacts"
        (artifacts / HOSTILE_DIR).mkdir(parents=True)
        (artifacts / HOSTILE_DIR / f"inner{OSC52}.txt").write_text(HOSTILE_TEXT + "\n")
        started = {
            "timestamp": 1_700_000_000 + int(build_id),
            "node": f"node{OSC52}",
            "repos": {f"[bold]org/repo{CLEAR}": f"main:{BIDI}abc"},
            "metadata": {"[link=https://x]key": HOSTILE_TEXT},
        }
        (build / "started.json").write_text(json.dumps(started))
        finished = {
            "timestamp": 1_700_003_600 + int(build_id),
            "passed": passed,
            "result": "SUCCESS" if passed else f"[red]FAIL{CLEAR}{BIDI}",
            "revision": f"[link=https://x]rev{TITLE}",
            "metadata": {"note": HOSTILE_TEXT},
        }
        (build / "finished.json").write_text(json.dumps(finished))
        log = [f"line {n} plain" for n in range(60)]
        log[10] = f"ERROR {HOSTILE_TEXT}"
        log[20] = f"\x1b[31mred SGR is colour, not control\x1b[0m {OSC52}"
        (build / "build-log.txt").write_text("\n".join(log) + "\n")
        (artifacts / "events.json").write_text(json.dumps(_events()))
        (artifacts / "junit_e2e.xml").write_text(_junit())
        for name in HOSTILE_NAMES:
            (artifacts / name).write_text(f"{HOSTILE_TEXT}\n")
    (root / JOB / "latest-build.txt").write_text("1002")
    return root


@pytest.fixture
def hostile_bucket(tmp_path: Path) -> Path:
    """A fresh hostile bucket in ``<tmp>/bucket`` (siblings of it must stay untouched)."""
    return build_hostile_bucket(tmp_path / "bucket")


def tree_snapshot(top: Path) -> set[str]:
    """Every file and directory below ``top`` (relative paths)."""
    return {str(p.relative_to(top)) for p in top.rglob("*")}


# -- local source: names are data, never paths ------------------------------------------------


async def test_local_source_lists_and_reads_hostile_names_verbatim(hostile_bucket: Path) -> None:
    source = LocalSource(hostile_bucket)
    listing = await source.list(BUILD + "artifacts/")
    names = {entry.name for entry in listing}
    assert set(HOSTILE_NAMES) <= names and HOSTILE_DIR in names
    for name in HOSTILE_NAMES:
        assert await source.read(BUILD + "artifacts/" + name) == f"{HOSTILE_TEXT}\n".encode()


@pytest.mark.parametrize(
    "key",
    [
        "../secret.txt",
        "logs/../../secret.txt",
        f"{JOB}../../../secret.txt",
        "/secret.txt",
        str(Path("/") / "etc" / "passwd"),
        "..\\secret.txt",
        "logs\\..\\..\\secret.txt",
        "logs/\x00/../secret.txt",
        "logs/./../secret.txt",
    ],
)
async def test_local_source_never_reads_outside_its_root(hostile_bucket: Path, key: str) -> None:
    (hostile_bucket.parent / "secret.txt").write_text("secret")
    source = LocalSource(hostile_bucket)
    with pytest.raises(NotFound):
        await source.read(key)
    with pytest.raises(NotFound):
        await source.stat(key)
    with pytest.raises(NotFound):
        [chunk async for chunk in source.stream(key)]
    with pytest.raises(NotFound):
        await source.list(key.rstrip("/") + "/")


async def test_a_symlink_out_of_the_root_is_neither_listed_nor_read(hostile_bucket: Path) -> None:
    (hostile_bucket.parent / "secret.txt").write_text("secret")
    link = hostile_bucket / "logs" / "link.txt"
    os.symlink(hostile_bucket.parent / "secret.txt", link)
    (hostile_bucket / "logs" / "dirlink").symlink_to(
        hostile_bucket.parent, target_is_directory=True
    )
    source = LocalSource(hostile_bucket)
    assert {e.name for e in await source.list("logs/")} == {f"{HOSTILE_JOB}/"}
    for key in ("logs/link.txt", "logs/dirlink/secret.txt"):
        with pytest.raises(NotFound):
            await source.read(key)


# -- gcsweb: hostile names survive the page, other hosts are never contacted -------------------


FAST = RetryPolicy(attempts=2, initial_wait=0.001, max_wait=0.01, total=10.0)


@pytest.fixture
def gcsweb(
    gcsweb_server_factory: Callable[..., GcswebServer], hostile_bucket: Path
) -> Callable[[str], tuple[GcswebServer, GcswebSource]]:
    opened: list[GcswebSource] = []

    def make(generation: str) -> tuple[GcswebServer, GcswebSource]:
        server = gcsweb_server_factory(hostile_bucket, generation=generation)
        source = GcswebSource(
            server.base_url, server.bucket, storage_url=server.storage_url, retry=FAST, timeout=5
        )
        opened.append(source)
        return server, source

    return make


@pytest.mark.parametrize("generation", ["modern", "legacy"])
async def test_gcsweb_keeps_hostile_names_that_survive_html(gcsweb, generation: str) -> None:
    _, source = gcsweb(generation)
    try:
        listing = await source.list(BUILD + "artifacts/")
        # a name with "<" could not survive modern gcsweb's unescaped page; none here has one
        assert set(HOSTILE_NAMES) <= {entry.name for entry in listing}
        name = "[@click=app.quit]QUIT.txt"
        assert await source.read(BUILD + "artifacts/" + name) == f"{HOSTILE_TEXT}\n".encode()
    finally:
        await source.aclose()


def _foreign_row_page(server: GcswebServer, prefix: str) -> bytes:
    """A listing of ``prefix`` whose rows and next-page link point at other hosts."""
    page = server.render_legacy(prefix, ["d0/"], [], marker="")
    row = (
        '<li class="pure-g grid-row"><div class="pure-u-2-5"><a href="{href}">'
        '<img src="/icons/{icon}"> {name}</a></div><div class="pure-u-1-5">{size}</div>'
        '<div class="pure-u-2-5">-</div></li>'
    )
    rows = row.format(href="https://evil.example/gcs/b/x/", icon="dir.png", name="x/", size="-")
    rows += row.format(href="http://evil.example/steal.txt", icon="file.png", name="f.txt", size=3)
    rows += row.format(href="//evil.example/g.txt", icon="file.png", name="g.txt", size=3)
    return page.replace("</ul>", rows + "</ul>").encode()


@pytest.mark.parametrize("generation", ["modern", "legacy"])
async def test_row_links_to_other_hosts_name_keys_and_are_never_fetched(
    gcsweb, generation: str
) -> None:
    server, source = gcsweb(generation)
    try:
        prefix = "logs/"
        html = {"Content-Type": "text/html; charset=utf-8"}
        server.responses["/gcs/test-bucket/logs/"] = (200, html, _foreign_row_page(server, prefix))
        listing = await source.list(prefix)
        assert [e.path for e in listing] == ["logs/d0/", "logs/x/", "logs/f.txt", "logs/g.txt"]
        # reading what a foreign row named asks our host for the key, never the row's href
        server.statuses["/gcs/test-bucket/logs/f.txt"] = 404
        with pytest.raises(NotFound):
            await source.read("logs/f.txt")
        assert all("evil" not in path and "steal" not in path for path in server.paths_requested)
    finally:
        await source.aclose()


async def test_redirect_chains_and_storage_redirects_to_other_hosts_are_refused(gcsweb) -> None:
    server, source = gcsweb("legacy")
    try:
        key = BUILD + "build-log.txt"
        await source.list(BUILD)  # generation known: reads go straight to storage
        assert source.generation == "legacy"
        # storage host → same storage host (allowed) → another host (refused)
        server.redirects["/hop"] = (302, "http://evil.example/x")
        storage_path = URL(source._storage_object_url(key), encoded=True).raw_path
        server.redirects[storage_path] = (307, server.storage_url + "/hop")
        for read in (
            lambda: source.read(key),
            lambda: source.read(key, 5, 10),
            lambda: source.stat(key),
        ):
            with pytest.raises(BadResponse, match=r"refusing redirect to other host evil\.example"):
                await read()
        with pytest.raises(BadResponse, match="refusing redirect"):
            [chunk async for chunk in source.stream(key)]
        # a page redirect that hops within gcsweb then leaves it is refused too
        server.redirects["/gcs/test-bucket/logs/"] = (302, "/gcs/test-bucket/elsewhere/")
        server.redirects["/gcs/test-bucket/elsewhere/"] = (301, "https://evil.example/gcs/")
        with pytest.raises(BadResponse, match=r"refusing redirect to other host evil\.example"):
            await source.list("logs/")
        assert all("evil" not in path for path in server.paths_requested)
    finally:
        await source.aclose()


# -- exports and caches: output names never come from data ------------------------------------


async def test_export_of_a_hostile_job_writes_only_its_own_files(
    hostile_bucket: Path, tmp_path: Path
) -> None:
    from prowtui.analysis.export import export_job

    out = tmp_path / "out"
    before = tree_snapshot(tmp_path)
    await export_job(LocalSource(hostile_bucket), JOB, out)
    written = tree_snapshot(tmp_path) - before
    assert written and all(path == "out" or path.startswith("out/") for path in written)
    assert all(re.fullmatch(r"out(/[a-z_]+\.parquet)?", path) for path in written), written

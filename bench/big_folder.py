"""A real bucket's first folder (run by hand, not in CI): 20,000 jobs under ``logs/``.

    python bench/big_folder.py [--jobs 20000] [--runs 3] [--skip-gcsweb] [--skip-tree]

Builds a mirror whose ``logs/`` holds ``--jobs`` job folders (each with a
``latest-build.txt``, so gcsweb lists it), then measures, printing every figure:

(a) ``prowtui ls`` as scripts and people run it, fresh ``python -m prowtui`` processes on the
    local mirror, default config: piped (one name a line), piped ``-l``, on a terminal (a
    pty 120 columns wide: the table) -- each against ``ls --json`` in the same run, the
    baseline the issue measured (0.3 s, when the table took 5.2 s);
(b) the same listing through the tests' gcsweb server (modern pages: one page of every
    entry) in a child process: ``ls`` piped, cold (an empty cache) and warm; and in this
    process the parse of that one page (``parse_listing``), best of five, against the time
    to fetch it;
(c) the explorer, headless (``App.run_test`` at 120x40, the app's collector thresholds):
    the listing arriving until the folder is on screen, ``G`` and ``g``, and a filter typed
    key by key (each key: filter the children and rebuild the tree's lines), against the
    same on a folder of 100 entries.
Medians of ``--runs`` for the processes. Targets (the issue's): the folder on screen within
1 s of its listing; each filter key well under 100 ms; the page parsed in a fraction of a
second; ``ls`` piped or ``-l`` under 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pty
import select
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

VERSIONS = ("4.12", "4.13", "4.14", "4.15", "4.16", "4.17")
CLOUDS = ("aws", "gcp", "azure", "metal")


def job_name(i: int) -> str:
    """A periodic job name like OpenShift's, unique per ``i``."""
    return (
        f"periodic-ci-openshift-release-master-ci-{VERSIONS[i % 6]}-e2e-{CLOUDS[i % 4]}"
        f"-upgrade-variant-{i:05d}"
    )


def build_mirror(root: Path, jobs: int, *, small: int = 100) -> None:
    """``logs/`` with ``jobs`` job folders and ``small/`` with ``small`` of them."""
    for folder, count in (("logs", jobs), ("small", small)):
        for i in range(count):
            job = root / folder / job_name(i)
            job.mkdir(parents=True)
            (job / "latest-build.txt").write_text("1000")


def env_for(cache: Path) -> dict[str, str]:
    """The environment of a fresh process: the default config, the given cache directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROWTUI_")}
    return {
        **env,
        "PYTHONPATH": str(REPO),
        "PROWTUI_CACHE_DIR": str(cache),
        "PROWTUI_CONFIG": str(cache / "absent.toml"),
    }


def piped(args: list[str], env: dict[str, str]) -> tuple[float, bytes]:
    """``python -m prowtui ARGS`` with stdout on a pipe; wall seconds and its output."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "prowtui", *args], env=env, capture_output=True, check=False
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"prowtui {' '.join(args)} failed: {done.stderr[-400:]!r}")
    return seconds, done.stdout


def on_terminal(args: list[str], env: dict[str, str], columns: int = 120) -> tuple[float, bytes]:
    """The same with stdout on a pty ``columns`` wide (read as it is written)."""
    import fcntl
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    term_env = {k: v for k, v in env.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "prowtui", *args],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.DEVNULL,
        env={**term_env, "TERM": "xterm-256color"},
    )
    os.close(slave)
    out = bytearray()
    while True:
        ready, _, _ = select.select([master], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(master, 1 << 16)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    proc.wait()
    seconds = time.perf_counter() - start
    os.close(master)
    return seconds, bytes(out)


def median_of(runs: int, measure: Callable[[], tuple[float, bytes]]) -> tuple[float, bytes]:
    """The median wall time of ``runs`` measurements and the last output."""
    times, out = [], b""
    for _ in range(runs):
        seconds, out = measure()
        times.append(seconds)
    return statistics.median(times), out


def lines(out: bytes) -> str:
    """How many lines ``out`` has, for a row's note."""
    count = out.count(b"\n")
    return f"{count:,} lines"


def row(label: str, seconds: float, base: float, note: str = "") -> None:
    print(f"  {label:44} {seconds:7.3f} s {seconds / base:7.2f}x  {note}", flush=True)


# -- (a) and (b): the command line -----------------------------------------------------------


def cli_local(root: Path, runs: int, scratch: Path) -> None:
    env = env_for(scratch / "cache-local")
    src = ["--source", str(root)]
    print("(a) prowtui ls logs/ on the local mirror, fresh processes (median):")
    base, out = median_of(runs, lambda: piped(["ls", *src, "logs/", "--json"], env))
    row("baseline: ls --json", base, base, f"{len(out) / 1e6:.1f} MB")
    seconds, out = median_of(runs, lambda: piped(["ls", *src, "logs/"], env))
    row("ls | ...  (one name a line)", seconds, base, lines(out))
    seconds, out = median_of(runs, lambda: piped(["ls", *src, "logs/", "-l"], env))
    row("ls -l | ...", seconds, base, lines(out))
    seconds, out = median_of(runs, lambda: on_terminal(["ls", *src, "logs/"], env))
    row("ls on a 120-column terminal (the table)", seconds, base, lines(out))


def cli_gcsweb(root: Path, runs: int, scratch: Path) -> None:
    from crawl import BUCKET, ServerProcess

    from prowtui.sources.gcsweb_html import parse_listing

    server = ServerProcess(root, 0.0)
    try:
        source = ["--source", f"{server.url}/gcs/{BUCKET}/"]
        print("(b) the same through the tests' gcsweb server (one page of every entry):")
        url = f"{server.url}/gcs/{BUCKET}/logs/"
        fetches = []
        for _ in range(5):
            start = time.perf_counter()
            with urllib.request.urlopen(url) as response:
                page = response.read()
            fetches.append(time.perf_counter() - start)
        fetch = min(fetches)
        parses = []
        for _ in range(5):
            start = time.perf_counter()
            listing = parse_listing(page, "logs/")
            parses.append(time.perf_counter() - start)
        size = f"{len(page) / 1e6:.1f} MB"
        row("baseline: fetch the page (urllib, best of 5)", fetch, fetch, size)
        row(
            "parse_listing of that page (best of 5)",
            min(parses),
            fetch,
            f"{len(listing.entries):,} entries",
        )
        colds, warms = [], []
        for run in range(runs):
            env = env_for(scratch / f"cache-gcsweb-{run}")
            colds.append(piped(["ls", *source, "logs/"], env)[0])
            warms.append(piped(["ls", *source, "logs/"], env)[0])
        base, _ = median_of(1, lambda: piped(["ls", "--source", str(root), "logs/"], env))
        row("baseline: ls | ... on the local mirror", base, base)
        row("ls | ... through gcsweb, cold cache", statistics.median(colds), base)
        row("ls | ... through gcsweb, warm cache", statistics.median(warms), base)
    finally:
        server.stop()


# -- (c): the explorer -----------------------------------------------------------------------


async def tree_figures(root: Path) -> dict[str, dict[str, float]]:
    """Per folder: listing-to-screen, G, g, and the slowest and median filter key (seconds)."""
    from prowtui.app import Explorer, ProwtuiApp
    from prowtui.sources.local import LocalSource

    figures: dict[str, dict[str, float]] = {}
    app = ProwtuiApp(Explorer(LocalSource(root)))
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(20):
            await pilot.pause(0.05)
        tree = app.main_screen.tree
        for folder in ("small/", "logs/"):
            node = next(c for c in tree.root.children if c.data.path == folder)
            await tree.listings.get(folder)  # the listing has arrived
            tree.place_cursor(node)
            start = time.perf_counter()
            node.expand()  # lists from the cache, fills the folder
            while node.data.state != "loaded":
                await asyncio.sleep(0.002)
            await pilot.pause()  # one refresh: the folder on screen
            shown = time.perf_counter() - start
            keys = {}
            for key in ("G", "g"):
                start = time.perf_counter()
                await pilot.press(key)
                await pilot.pause()
                keys[key] = time.perf_counter() - start
            per_key = []
            typed = ""
            for char in "4.16-e2e-aws":
                typed += char
                start = time.perf_counter()
                tree.set_filter(node, typed)
                tree._tree_lines  # noqa: B018 -- the lines the next refresh draws
                per_key.append(time.perf_counter() - start)
            for text in ("*aws*0001?", ""):
                start = time.perf_counter()
                tree.set_filter(node, text)
                tree._tree_lines  # noqa: B018
                per_key.append(time.perf_counter() - start)
            await pilot.pause()
            figures[folder] = {
                "shown": shown,
                "G": keys["G"],
                "g": keys["g"],
                "filter max": max(per_key),
                "filter median": statistics.median(per_key),
                "entries": len(node.children),
            }
            node.collapse()
            await pilot.pause()
    return figures


def tree(root: Path, jobs: int) -> None:
    from prowtui.commands.common import fewer_collections

    print(f"(c) the explorer, headless, 120x40: a folder of {jobs:,} jobs vs one of 100:")
    with fewer_collections():
        figures = asyncio.run(tree_figures(root))
    small, big = figures["small/"], figures["logs/"]
    for name in ("shown", "G", "g", "filter max", "filter median"):
        label = {
            "shown": "listing arrived -> folder on screen",
            "G": "G (bottom), key to screen",
            "g": "g (top), key to screen",
            "filter max": "filter key, slowest (filter + tree lines)",
            "filter median": "filter key, median",
        }[name]
        print(
            f"  {label:44} {big[name] * 1000:8.1f} ms  (100 entries: {small[name] * 1000:6.1f} ms,"
            f" {big[name] / max(small[name], 1e-9):6.1f}x)",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-gcsweb", action="store_true")
    parser.add_argument("--skip-tree", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="prowtui-big-") as tmp:
        scratch = Path(tmp)
        root = scratch / "mirror"
        start = time.perf_counter()
        build_mirror(root, args.jobs)
        print(f"mirror: {args.jobs:,} jobs under logs/ ({time.perf_counter() - start:.1f} s)")
        cli_local(root, args.runs, scratch)
        if not args.skip_gcsweb:
            cli_gcsweb(root, args.runs, scratch)
        if not args.skip_tree:
            tree(root, args.jobs)


if __name__ == "__main__":
    main()

"""Benchmark of the big-log view (run by hand, not in CI).

    python bench/logview.py                # 10 MB, 100 MB, 1 GB + remote 100 MB
    python bench/logview.py --sizes 10 100 # sizes in MB

Generates ci-operator-like logs under a temporary directory (deleted at the end) and measures,
headless (``App.run_test``, ``TEXTUAL_ANIMATIONS=none``), each case in its own subprocess so
that peak RSS and anonymous memory are per case: time to first screen, time to full index,
``G`` (before and after the index is complete; key sent through the driver, timed to the
repaint that shows the end), literal and regex search over the whole file,
peak RSS and anonymous (non-file-backed) memory growth per line. Baselines in the same run:
Textual's ``Log`` widget given the same file (skipped above the first size where it needs more
than 60 s) and ``grep -c`` of the same patterns. Remote: first screen and ``G`` of a 100 MB log
through the tests' gcsweb server (legacy generation, Range supported) with 50 ms latency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

LITERAL = "context deadline exceeded"
REGEX = r"fail(ed|ure)"
SIZE = (120, 40)
TARGETS = {
    "first_screen": 0.15,
    "index_mbps": 400,
    "search_mbps": 200,
    "remote": 0.5,
}
LOG_TIMEOUT = 60.0


# -- data ------------------------------------------------------------------------------------
def _line_pool(rng: random.Random) -> list[bytes]:
    steps = ["ipi-install-install", "e2e-aws-ovn-serial", "gather-extra", "ipi-deprovision"]
    msgs = [
        "Running step {s}.",
        "Step {s} succeeded after {n}m{m}s.",
        "Pod {s} is running, waiting for completion.",
        'level=info msg="Waiting up to 40m0s for the cluster at https://api.ci-op-{n}.example:6443"',
        'level=debug msg="Still waiting for the cluster to initialize: {n}% complete"',
        "I0412 10:{m:02d}:{n:02d}.123456   {n} reflector.go:255] Listing and watching *v1.Pod",
        "  STEP: creating a pod {s}-{n} in namespace e2e-test-{m}",
        "\x1b[32m•\x1b[0m [{n}.{m} seconds] [sig-network] Services should serve {s}",
        "\x1b[1m\x1b[36mINFO\x1b[0m[2024-04-12T10:{m:02d}:{n:02d}Z] Resolved source {s}@{n}",
    ]
    errors = [
        'level=error msg="Attempted to gather ClusterOperator status after failure: {s}"',
        "E0412 10:{m:02d}:{n:02d}.000001   {n} controller.go:1] sync failed: {s}",
        "\x1b[31m[FAILED]\x1b[0m [sig-storage] {s} timed out waiting for the condition",
        "error: context deadline exceeded while waiting for {s}",
        "ERRO[2024-04-12T10:{m:02d}:{n:02d}Z] Step {s} failed after {n}s.",
    ]
    pool = []
    for i in range(20_000):
        template = rng.choice(errors) if i % 400 == 0 else rng.choice(msgs)
        line = template.format(s=rng.choice(steps), n=rng.randint(0, 99), m=rng.randint(0, 59))
        stamp = f"2024/04/12 10:{i % 60:02d}:{i % 57:02d} "
        pool.append((stamp + line + "\n").encode())
    return pool


def generate(path: Path, size: int, seed: int = 1) -> None:
    """Write about ``size`` bytes of ci-operator-like log lines to ``path``."""
    rng = random.Random(seed)
    pool = _line_pool(rng)
    written = 0
    with path.open("wb") as out:
        while written < size:
            block = b"".join(rng.choices(pool, k=40_000))
            out.write(block)
            written += len(block)


# -- memory ----------------------------------------------------------------------------------
def anon_kb() -> int:
    """Anonymous (not file-backed) memory of this process in kB (smaps_rollup)."""
    with open("/proc/self/smaps_rollup") as fh:
        for line in fh:
            if line.startswith("Anonymous:"):
                return int(line.split()[1])
    return 0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- cases (each runs in a subprocess) -------------------------------------------------------
async def _wait(pilot, predicate, timeout: float = 120.0, step: float = 0.002) -> None:
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError("condition not reached")
        await pilot.pause(step)


async def _key_to_paint(pilot, view, key: str, shown, timeout: float = 30.0) -> float:
    """Seconds from sending ``key`` (as a terminal does) until a repaint where ``shown(view)``.

    ``pilot.press`` is not used: it waits for the process to be idle (up to 1 s, twice), which
    never happens while the index thread or a download keeps a core busy.
    """
    from textual import events

    t = time.perf_counter()
    pilot.app._driver.send_message(events.Key(key, key))
    await _wait(pilot, lambda: view.last_paint[0] > t and shown(view), timeout=timeout)
    return view.last_paint[0] - t


def _at_end(view) -> bool:
    """The last repaint showed the end: a tail window, or the complete index scrolled down."""
    _, tail, row = view.last_paint
    index = view.index
    done = index is not None and index.done and row >= view.max_scroll_y
    return tail or done


def _panel_app():
    from textual.app import App

    from prowtui.app.widgets.log_panel import LogPanel

    class PanelApp(App):
        def compose(self):
            yield LogPanel()

    return PanelApp(), LogPanel


async def case_custom(path: Path) -> dict:
    from prowtui.logs.index import LineIndex
    from prowtui.logs.search import Query, search_all

    size = path.stat().st_size
    out: dict = {"size": size}
    app, panel_cls = _panel_app()
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(panel_cls)
        view = panel.view
        view.focus()
        await pilot.pause()
        anon0 = anon_kb()
        t0 = time.perf_counter()
        await panel.open_local(path)
        await _wait(pilot, lambda: view.first_paint is not None)
        out["first_screen"] = view.first_paint - t0
        out["indexed_at_first_screen"] = view.index.indexed_bytes
        # G at once (before the index is complete on big files: tail window)
        out["G_early"] = await _key_to_paint(pilot, view, "G", _at_end)
        out["G_early_mode"] = view.mode or "indexed"
        out["indexed_at_G"] = view.index.indexed_bytes
        await _wait(pilot, lambda: view.index.done, timeout=600, step=0.01)
        out["index_in_view"] = time.perf_counter() - t0
        out["lines"] = view.index.line_count
        await pilot.pause(0.1)
        out["g_indexed"] = await _key_to_paint(pilot, view, "g", lambda v: v.last_paint[2] == 0)
        out["G_indexed"] = await _key_to_paint(pilot, view, "G", _at_end)
        out["anon_growth_mb"] = (anon_kb() - anon0) / 1024
    # pure measurements (no UI): index and search speed
    t = time.perf_counter()
    with LineIndex(path) as index:
        index.wait_done()
        out["index_pure"] = time.perf_counter() - t
        for name, query in (
            ("literal", Query(LITERAL, case=True)),
            ("literal_icase", Query(LITERAL)),
            ("regex", Query(REGEX, regex=True, case=True)),
        ):
            t = time.perf_counter()
            hits = search_all(index, query)
            out[f"search_{name}"] = time.perf_counter() - t
            out[f"hits_{name}"] = len(hits)
    out["peak_rss_mb"] = peak_rss_mb()
    return out


async def case_log_widget(path: Path) -> dict:
    from textual.app import App
    from textual.widgets import Log

    class LogApp(App):
        def compose(self):
            yield Log()

    app = LogApp()
    async with app.run_test(size=SIZE) as pilot:
        log = app.query_one(Log)
        await pilot.pause()
        anon0 = anon_kb()
        t0 = time.perf_counter()
        lines = path.read_text("utf-8", "replace").splitlines()
        log.write_lines(lines)
        del lines
        await pilot.pause()
        first = time.perf_counter() - t0
        anon = (anon_kb() - anon0) / 1024
    return {"first_screen": first, "anon_growth_mb": anon, "peak_rss_mb": peak_rss_mb()}


async def case_remote(path: Path) -> dict:
    from prowtui.sources.gcsweb import GcswebSource
    from tests.servers.gcsweb_server import GcswebServer

    root = path.parent / "bucket"
    key = "logs/periodic-ci-bench/1/build-log.txt"
    (root / key).parent.mkdir(parents=True, exist_ok=True)
    os.link(path, root / key)
    size = path.stat().st_size
    out: dict = {"size": size}
    cache = tempfile.mkdtemp(prefix="prowtui-bench-cache-")
    os.environ["PROWTUI_CACHE_DIR"] = cache
    try:
        with GcswebServer(root, "bench-bucket", generation="legacy", latency=0.05) as server:
            source = GcswebSource(server.base_url, server.bucket, storage_url=server.storage_url)
            app, panel_cls = _panel_app()
            async with app.run_test(size=SIZE) as pilot:
                panel = app.query_one(panel_cls)
                view = panel.view
                view.focus()
                await pilot.pause()
                t0 = time.perf_counter()
                panel.open_remote(source, key, size)
                await _wait(pilot, lambda: view.first_paint is not None, timeout=30)
                out["first_screen"] = view.first_paint - t0
                out["G"] = await _key_to_paint(
                    pilot, view, "G", lambda v: v.last_paint[1] or panel.complete
                )
                out["G_mode"] = view.mode or "downloaded"
                out["downloaded_at_G"] = panel.downloaded
                await _wait(pilot, lambda: panel.complete, timeout=300, step=0.02)
                out["download_total"] = time.perf_counter() - t0
                if panel.error:
                    out["error"] = panel.error
            await source.aclose()
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    out["peak_rss_mb"] = peak_rss_mb()
    return out


CASES = {"custom": case_custom, "log": case_log_widget, "remote": case_remote}


def run_case(case: str, path: Path, timeout: float | None = None) -> dict:
    """Run one case in a fresh interpreter; returns its JSON result (or an error)."""
    cmd = [sys.executable, __file__, "--case", case, "--file", str(path)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"over {timeout:.0f} s"}
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def grep_time(args: list[str], path: Path) -> tuple[float, int]:
    t = time.perf_counter()
    proc = subprocess.run(["grep", "-c", *args, str(path)], capture_output=True, text=True)
    return time.perf_counter() - t, int(proc.stdout.strip() or 0)


# -- report ----------------------------------------------------------------------------------
def verdict(ok: bool) -> str:
    return "ok" if ok else "MISS"


def report(size_mb: int, res: dict, log: dict | None, grep: dict) -> None:
    size = res["size"]
    mb = size / 1e6
    lines = res["lines"]
    print(f"\n== {size_mb} MB ({size:,} bytes, {lines:,} lines) ==")
    fs = res["first_screen"]
    print(
        f"first screen        {fs * 1000:8.1f} ms   target ≤ 150 ms  {verdict(fs <= 0.15)}"
        f"   (indexed {res['indexed_at_first_screen'] / 1e6:.1f} MB by then)"
    )
    idx = mb / res["index_pure"]
    print(
        f"full index (pure)   {res['index_pure']:8.3f} s    {idx:6.0f} MB/s  target ≥ 400  "
        f"{verdict(idx >= 400)}   (in the app: {res['index_in_view']:.3f} s)"
    )
    for name in ("literal", "literal_icase", "regex"):
        dt = res[f"search_{name}"]
        rate = mb / dt
        target = "" if name == "literal_icase" else f"target ≥ 200  {verdict(rate >= 200)}"
        print(
            f"search {name:13s}{dt:8.3f} s    {rate:6.0f} MB/s  {target}"
            f"   ({res[f'hits_{name}']:,} lines)"
        )
    for name, key in (("literal", "-F"), ("regex", "-E")):
        dt, count = grep["grep_" + name]
        print(
            f"grep -c {key} {name:8s}   {dt:8.3f} s    {mb / dt:6.0f} MB/s"
            f"   ({count:,} lines; ours/grep time × {res['search_' + name] / dt:.2f})"
        )
    print(
        f"G (early)           {res['G_early'] * 1000:8.1f} ms   mode: {res['G_early_mode']}"
        f"   (key → repaint; indexed {res['indexed_at_G'] / 1e6:.1f} MB by then)"
    )
    print(f"g / G (indexed)     {res['g_indexed'] * 1000:8.1f} / {res['G_indexed'] * 1000:.1f} ms")
    budget = (16 * lines) / 2**20 + 20
    anon = res["anon_growth_mb"]
    print(
        f"anon memory growth  {anon:8.1f} MB   budget {budget:.1f} MB (16 B/line + 20 MB)  "
        f"{verdict(anon <= budget)}   = {anon * 2**20 / max(1, lines):.1f} B/line"
    )
    print(f"peak RSS            {res['peak_rss_mb']:8.1f} MB")
    if log is None:
        print("Log widget          skipped (it needed more than 60 s at a smaller size)")
    elif "error" in log:
        print(f"Log widget          {log['error']}")
    else:
        print(
            f"Log widget          first screen {log['first_screen']:.2f} s "
            f"(× {log['first_screen'] / fs:.0f} ours), anon +{log['anon_growth_mb']:.0f} MB, "
            f"peak RSS {log['peak_rss_mb']:.0f} MB"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10, 100, 1000])
    parser.add_argument("--remote-size", type=int, default=100)
    parser.add_argument("--skip-log", action="store_true", help="no Log widget baseline")
    parser.add_argument("--case", choices=sorted(CASES))
    parser.add_argument("--file", type=Path)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(asyncio.run(CASES[args.case](args.file))))
        return 0

    tmp = Path(tempfile.mkdtemp(prefix="prowtui-bench-", dir="/tmp"))
    try:
        log_ok = not args.skip_log
        for size_mb in args.sizes:
            path = tmp / f"log-{size_mb}MB.txt"
            t = time.perf_counter()
            generate(path, size_mb * 1_000_000)
            print(f"\n(generated {path.name} in {time.perf_counter() - t:.1f} s)", flush=True)
            subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL, check=False)  # warm
            res = run_case("custom", path)
            if "error" in res:
                print(f"{size_mb} MB: custom view failed: {res['error']}")
                continue
            grep = {
                "grep_literal": grep_time(["-F", LITERAL], path),
                "grep_regex": grep_time(["-E", REGEX], path),
            }
            log = None
            if log_ok:
                log = run_case("log", path, timeout=LOG_TIMEOUT)
                log_ok = "error" not in log
            report(size_mb, res, log, grep)
            if size_mb == args.remote_size:
                remote = run_case("remote", path)
                print(f"\n== remote {size_mb} MB via gcsweb (legacy, 50 ms latency) ==")
                if "error" in remote:
                    print(f"remote failed: {remote['error']}")
                else:
                    fs, g = remote["first_screen"], remote["G"]
                    print(
                        f"first screen        {fs * 1000:8.1f} ms   target ≤ 500 ms  "
                        f"{verdict(fs <= 0.5)}"
                    )
                    print(
                        f"G                   {g * 1000:8.1f} ms   target ≤ 500 ms  "
                        f"{verdict(g <= 0.5)}   mode: {remote['G_mode']}, downloaded "
                        f"{(remote['downloaded_at_G'] or 0) / 1e6:.1f} MB by then"
                    )
                    print(
                        f"full download       {remote['download_total']:8.2f} s"
                        f"   peak RSS {remote['peak_rss_mb']:.0f} MB"
                    )
            path.unlink()
            shutil.rmtree(tmp / "bucket", ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

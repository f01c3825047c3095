"""Search benchmark (run by hand, not in CI): ``prowtui search`` beside ripgrep itself.

    python bench/search.py [--gb 2.5] [--latency 0.05] [--concurrency 32] [--runs 5]
                           [--skip-local] [--skip-remote]

(a) Local: generates a bucket-shaped tree of build logs in a temporary directory (``--gb`` of
    ``build-log.txt`` files: each build's own and two steps' under ``artifacts/``, one log of
    100 MB among them), reads it once so the page cache is warm, then times fresh processes,
    default config: ``prowtui search --source DIR --type build-log`` of a literal (``-F``) and
    of a regular expression, against ``rg`` (the same binary, the same pattern and flags,
    over the same files, named on its command line) in the same run, the two alternating,
    ``--runs`` times each. Prints the median wall seconds, GB/s, the ratio of the medians
    (target: at most 2x), the ranges, and prowtui's peak RSS (the whole process tree,
    sampled; target: under 300 MB). The tree is removed at the end.
(b) Remote: a smaller tree served by the tests' gcsweb-format server (a child process) at
    ``--latency`` s per request; ``prowtui search --concurrency 32`` with a fresh cache
    (cold), then again with that cache (warm), ``--runs`` times. Prints requests (the
    server's count), wall seconds and the latency bound (requests / concurrency x latency,
    plus the listings' depth x latency) plus start-up (``prowtui search --help``, median of
    3); target: within 1.5x. Then the median and range of the ratios.

The load average is printed at the start and the end: run it when the machine is quiet.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from crawl import BUCKET, ServerProcess  # noqa: E402

from prowtui.logs.grep import rg_binary  # noqa: E402
from prowtui.prow.windows import SNOWFLAKE_EPOCH_MS  # noqa: E402

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
LITERAL = "etcdserver: request timed out"
REGEX = r"error: .*timed? ?out after [0-9]+s"
BIG_LOG_BYTES = 100 << 20
STEPS = ("e2e-test", "gather-extra")

WORDS = [
    "pod",
    "node",
    "namespace",
    "container",
    "image",
    "pull",
    "started",
    "finished",
    "reconcile",
    "watch",
    "list",
    "get",
    "update",
    "lease",
    "leader",
    "election",
    "informer",
    "cache",
    "sync",
    "route",
    "ingress",
    "operator",
    "degraded",
    "available",
    "progressing",
    "condition",
    "status",
    "message",
    "reason",
]


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def snowflake(at: datetime, sequence: int) -> str:
    millis = int(at.timestamp() * 1000) - SNOWFLAKE_EPOCH_MS
    return str((millis << 22) | sequence)


def log_block(rng: random.Random, size: int) -> bytes:
    """About ``size`` bytes of log-like lines."""
    lines = []
    total = 0
    n = 0
    while total < size:
        n += 1
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 18)))
        at = f"11:{n % 60:02d}:{n % 59:02d}.{n % 999:03d}"
        line = f"I0501 {at}  {n:6d} controller.go:{n % 900}] {words}"
        lines.append(line)
        total += len(line) + 1
    return ("\n".join(lines) + "\n").encode()


def write_log(path: Path, block: bytes, size: int, rng: random.Random) -> int:
    """A log of about ``size`` bytes: copies of ``block`` with a few needle lines between."""
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with path.open("wb") as out:
        while written < size:
            out.write(block)
            written += len(block)
            if rng.random() < 0.05:
                after = rng.randint(1, 99)
                line = f"E0501 12:00:00 error: {LITERAL}; watch timed out after {after}s\n"
                out.write(line.encode())
                written += len(line)
    return written


def make_tree(root: Path, total: int, *, jobs: int, builds: int, big: bool) -> tuple[int, int]:
    """``jobs`` periodic jobs of ``builds`` builds each in the last two days; returns (files,
    bytes) of build logs."""
    rng = random.Random(18)
    block = log_block(rng, 256 << 10)
    per_file = max(len(block), total // (jobs * builds * (1 + len(STEPS))))
    files = written = 0
    for j in range(jobs):
        for b in range(builds):
            created = NOW - timedelta(hours=1 + (b * 40) / builds, minutes=j)
            build = root / "logs" / f"periodic-bench-{j:02d}" / snowflake(created, b)
            build.mkdir(parents=True, exist_ok=True)
            start = int(created.timestamp()) + 60
            (build / "started.json").write_text(json.dumps({"timestamp": start}))
            result = "FAILURE" if rng.random() < 0.3 else "SUCCESS"
            (build / "finished.json").write_text(
                json.dumps({"timestamp": start + 3600, "result": result})
            )
            size = BIG_LOG_BYTES if big and j == 0 and b == 0 else per_file
            written += write_log(build / "build-log.txt", block, size, rng)
            for step in STEPS:
                path = build / "artifacts" / "e2e" / step / "build-log.txt"
                written += write_log(path, block, per_file, rng)
            files += 1 + len(STEPS)
    return files, written


def log_files(root: Path) -> list[str]:
    return sorted(str(p) for p in root.rglob("build-log.txt"))


def warm(files: list[str]) -> None:
    for name in files:
        with open(name, "rb") as handle:
            while handle.read(8 << 20):
                pass


def env_for(work: Path, cache: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "PROWTUI_CONFIG": str(work / "absent.toml"),
        "PROWTUI_CACHE_DIR": str(cache),
        "PROWTUI_DEMO_DIR": str(work / "demo-unused"),
    }
    for name in ("PROWTUI_OFFLINE", "PROWTUI_CONCURRENCY", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    return env


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, bytes]:
    """Wall seconds, peak RSS (MB) of the process tree (sampled every 20 ms) and stdout."""
    import psutil

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=REPO)
        peak = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            try:
                parent = psutil.Process(proc.pid)
            except psutil.Error:
                return
            while not done.is_set():
                try:
                    rss = parent.memory_info().rss
                    for child in parent.children(recursive=True):
                        with contextlib.suppress(psutil.Error):
                            rss += child.memory_info().rss
                    peak = max(peak, rss)
                except psutil.Error:
                    return
                done.wait(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):
            err.seek(0)
            raise SystemExit(f"{command[:4]} failed ({code}): {err.read()[-800:]!r}")
        out.seek(0)
        peak = max(peak, usage.ru_maxrss * 1024)
        return seconds, peak / 1e6, out.read()


def prowtui(*args: str) -> list[str]:
    return [sys.executable, "-m", "prowtui", *args]


def medians(runs: int, commands: list[tuple[list[str], dict[str, str] | None]]) -> list[tuple]:
    """Each command ``runs`` times, interleaved (rg, prowtui, rg, ...: the same conditions for
    both on a shared machine); per command the run of median wall time, its range and the
    highest RSS."""
    results: list[list[tuple[float, float, bytes]]] = [[] for _ in commands]
    for _ in range(runs):
        for i, (command, env) in enumerate(commands):
            results[i].append(timed(command, env))
    out = []
    for runs_ in results:
        ordered = sorted(runs_, key=lambda r: r[0])
        seconds, _, stdout = ordered[len(ordered) // 2]
        out.append((seconds, max(r[1] for r in runs_), stdout, ordered[0][0], ordered[-1][0]))
    return out


def local(work: Path, gb: float, runs: int) -> None:
    root = work / "local"
    print(f"(a) local: generating {gb:.1f} GB of build logs (one of 100 MB) ...", flush=True)
    started = time.perf_counter()
    files, size = make_tree(root, int(gb * 1e9), jobs=16, builds=20, big=True)
    names = log_files(root)
    print(f"    {files} logs, {size / 1e9:.2f} GB in {time.perf_counter() - started:.0f} s")
    warm(names)
    env = env_for(work, work / "cache-local")
    rg = rg_binary()
    print(
        f"    {'pattern':8} {'rg s':>6} {'GB/s':>6} {'prowtui s':>10} {'GB/s':>6} "
        f"{'ratio':>6} {'RSS MB':>7}  matches"
    )
    for label, pattern, flags in (("literal", LITERAL, ["-F"]), ("regex", REGEX, [])):
        args = ["search", "--source", str(root), "--now", NOW.isoformat(), "--type", "build-log"]
        (rg_s, _, rg_out, rg_lo, rg_hi), (pro_s, rss, out, pro_lo, pro_hi) = medians(
            runs,
            [
                ([rg, "--no-config", "-c", *flags, "-e", pattern, "--", *names], None),
                (prowtui(*args, *flags, "--json", pattern, "logs/*"), env),
            ],
        )
        rg_matches = sum(int(line.rsplit(b":", 1)[1]) for line in rg_out.splitlines())
        doc = json.loads(out)
        found = sum(len(b["matches"]) for j in doc["jobs"] for b in j["builds"])
        print(
            f"    {label:8} {rg_s:6.2f} {size / 1e9 / rg_s:6.2f} {pro_s:10.2f} "
            f"{size / 1e9 / pro_s:6.2f} {pro_s / rg_s:6.2f} {rss:7.0f}  rg {rg_matches}, "
            f"prowtui {found} (searched {doc['searched']['files']} files)"
        )
        print(
            f"    {'':8} ranges over {runs} runs: rg {rg_lo:.2f}-{rg_hi:.2f} s, "
            f"prowtui {pro_lo:.2f}-{pro_hi:.2f} s"
        )
    print("    targets: ratio <= 2, RSS < 300 MB")


def remote_args(url: str, concurrency: int) -> list[str]:
    return prowtui(
        "search",
        "--source",
        f"{url}/gcs/{BUCKET}/",
        "--now",
        NOW.isoformat(),
        "--type",
        "build-log",
        "-j",
        str(concurrency),
        "--json",
        "-F",
        LITERAL,
        "logs/*",
    )


def remote(work: Path, latency: float, concurrency: int, runs: int) -> None:
    root = work / "remote"
    files, size = make_tree(root, 120 << 20, jobs=8, builds=20, big=False)
    builds = 8 * 20
    print(
        f"(b) remote: gcsweb server at {latency * 1000:.0f} ms, {builds} builds, {files} logs, "
        f"{size / 1e6:.0f} MB, --concurrency {concurrency}"
    )
    server = ServerProcess(root, latency)
    try:
        help_env = env_for(work, work / "c0")
        startup = medians(3, [(prowtui("search", "--help"), help_env)])[0][0]
        # the listings' depth: bucket logs/, the job, the build, artifacts/, e2e/, the step
        depth = 6
        print(f"    {'run':6} {'requests':>8} {'wall s':>7} {'bound s':>8} {'ratio':>6}")
        rows: dict[str, list[tuple[int, float, float]]] = {"cold": [], "warm": []}
        for attempt in range(runs):
            cache = work / f"cache-remote-{attempt}"  # empty: a cold run, then a warm one
            env = env_for(work, cache)
            for label in ("cold", "warm"):
                server.ask("reset")
                seconds, _, _ = timed(remote_args(server.url, concurrency), env)
                requests = int(server.ask("count"))  # type: ignore[arg-type]
                bound = requests / concurrency * latency + depth * latency + startup
                rows[label].append((requests, seconds, bound))
                print(
                    f"    {label:6} {requests:8} {seconds:7.2f} {bound:8.2f} {seconds / bound:6.2f}"
                )
        for label, found in rows.items():
            ratios = sorted(seconds / bound for _, seconds, bound in found)
            walls = sorted(seconds for _, seconds, _ in found)
            print(
                f"    {label}: median of {runs}: {walls[len(walls) // 2]:.2f} s, ratio "
                f"{ratios[len(ratios) // 2]:.2f} (range {ratios[0]:.2f}-{ratios[-1]:.2f})"
            )
        print(f"    start-up {startup:.2f} s; target: ratio <= 1.5")
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=2.5)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--runs", type=int, default=5, help="runs of each measurement (the median kept)"
    )
    parser.add_argument("--skip-local", action="store_true")
    parser.add_argument("--skip-remote", action="store_true")
    args = parser.parse_args()
    print(load())
    print(f"rg: {rg_binary()}")
    work = Path(tempfile.mkdtemp(prefix="prowtui-bench-search-"))
    try:
        if not args.skip_local:
            local(work, args.gb, args.runs)
        if not args.skip_remote:
            remote(work, args.latency, args.concurrency, args.runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(load())


if __name__ == "__main__":
    main()

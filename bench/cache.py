"""Benchmark (run by hand): ``prowtui stats`` and ``prowtui export`` of the demo's 242-build job
through the tests' gcsweb server with 50 ms latency per request, cold cache then warm.

    python bench/cache.py [--latency 0.05] [--keep DIR]

Each run is a real ``python -m prowtui`` subprocess with its own cache directory
(``PROWTUI_CACHE_DIR``). Prints, per command, wall time and requests answered by the server
(all, and those inside finished builds) for the cold and the warm run, and the speed-up.
Target: warm makes no request for finished builds and is at least 10x faster than cold.

Two more figures put the CLI numbers in context: the same command over a local directory
mirror (no network, no cache: what remains once fetching costs nothing, i.e. interpreter
start-up, imports, and for export its parsing and parquet writing; a warm run can come in
slightly under it, as the cache hands back whole objects from one SQLite query or one file
read where the local source lists and opens files in worker threads), and the job crawl alone
in-process (``job_stats`` through ``CachedSource(GcswebSource)``), cold then warm. Last, a
warm ``export_job`` in-process, and the same export replayed from memory (:class:`Replay`):
the difference is what the cache itself costs, the replay is export's own work.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from prowtui.analysis.export import export_job  # noqa: E402
from prowtui.analysis.stats import job_stats  # noqa: E402
from prowtui.cache import Cache  # noqa: E402
from prowtui.demo import BIG_JOB_DIR, build_demo_bucket  # noqa: E402
from prowtui.errors import NotFound  # noqa: E402
from prowtui.prow.jobs import classify_path  # noqa: E402
from prowtui.sources.base import Entry  # noqa: E402
from prowtui.sources.cached import CachedSource  # noqa: E402
from prowtui.sources.gcsweb import GcswebSource  # noqa: E402
from tests.servers.gcsweb_server import GcswebServer  # noqa: E402

BUCKET = "origin-ci-test"


@dataclass
class Run:
    """One timed subprocess run and the traffic it caused."""

    label: str
    seconds: float
    requests: int
    finished_build_requests: int
    stdout: str


def finished_builds(root: Path) -> set[str]:
    """Build directories (bucket paths ending with ``/``) of the job that have finished.json."""
    job = root / BIG_JOB_DIR
    return {
        f"{BIG_JOB_DIR}{build.name}/"
        for build in job.iterdir()
        if build.is_dir() and (build / "finished.json").is_file()
    }


def bucket_key(request_path: str) -> str:
    """The bucket key a gcsweb or storage request path refers to."""
    path = request_path.split("?", 1)[0]
    for prefix in (f"/gcs/{BUCKET}/", f"/{BUCKET}/"):
        if path.startswith(prefix):
            return path[len(prefix) :]
    return path.lstrip("/")


def in_finished_build(key: str, finished: set[str]) -> bool:
    """True when ``key`` is a finished build's directory or anything inside it."""
    info = classify_path(key)
    if info.job is None or info.build_id is None or info.kind == "other":
        return False
    return f"{info.job.path}{info.build_id}/" in finished


def run_cli(
    label: str, args: list[str], env: dict[str, str], server: GcswebServer, finished: set[str]
) -> Run:
    """Run ``python -m prowtui ARGS`` and measure it."""
    server.reset_counts()
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "prowtui", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{label}: exit {result.returncode}\n{result.stderr[-2000:]}")
    keys = [bucket_key(path) for _role, _method, path in list(server.requests)]
    in_finished = sum(1 for key in keys if in_finished_build(key, finished))
    return Run(label, seconds, len(keys), in_finished, result.stdout)


def report(cold: Run, warm: Run) -> str:
    """One line per run plus the ratio."""
    lines = [
        f"{run.label:<14} {run.seconds:8.2f} s  {run.requests:6d} requests "
        f"({run.finished_build_requests} in finished builds)"
        for run in (cold, warm)
    ]
    ratio = cold.seconds / warm.seconds if warm.seconds else float("inf")
    ok = warm.finished_build_requests == 0 and ratio >= 10
    lines.append(f"{'speed-up':<14} {ratio:8.1f}x  {'OK' if ok else 'BELOW TARGET'}")
    return "\n".join(lines)


async def crawl_once(server: GcswebServer, store: Path) -> float:
    """Seconds for ``job_stats`` of the job through the cache in ``store``."""
    inner = GcswebSource(server.base_url, BUCKET, storage_url=server.storage_url)
    source = CachedSource(inner, Cache(store))
    started = time.perf_counter()
    try:
        await job_stats(source, BIG_JOB_DIR)
    finally:
        await source.aclose()
    return time.perf_counter() - started


def in_process(server: GcswebServer, store: Path, finished: set[str]) -> tuple[Run, Run]:
    """The crawl alone, cold then warm, in this process."""
    runs = []
    for label in ("crawl cold", "crawl warm"):
        server.reset_counts()
        seconds = asyncio.run(crawl_once(server, store))
        keys = [bucket_key(path) for _role, _method, path in list(server.requests)]
        in_finished = sum(1 for key in keys if in_finished_build(key, finished))
        runs.append(Run(label, seconds, len(keys), in_finished, ""))
    return runs[0], runs[1]


class Replay:
    """A source answering from dicts what a recorded run saw: fetching costs nothing, so an
    export through it times export's own work (parsing, counting, parquet writing)."""

    kind = "memory"
    bucket = BUCKET

    def __init__(self, inner: CachedSource) -> None:
        self.inner = inner
        self.recording = True
        self.listings: dict[str, list[Entry]] = {}
        self.objects: dict[str, bytes] = {}

    def describe(self) -> str:
        return "replay"

    async def list(self, path: str) -> list[Entry]:
        if self.recording:
            self.listings[path] = await self.inner.list(path)
        if path not in self.listings:
            raise NotFound(f"{path}: not recorded", path)
        return self.listings[path]

    async def read(self, path: str, start: int | None = None, end: int | None = None) -> bytes:
        if self.recording:
            self.objects[path] = await self.inner.read(path)
        if path not in self.objects:
            raise NotFound(f"{path}: not recorded", path)
        return self.objects[path][start:end]

    async def stream(self, path: str, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        yield await self.read(path)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def export_in_process(server: GcswebServer, store: Path, out: Path) -> tuple[float, float]:
    """Seconds of a warm ``export_job`` through the cache, and of the same export replayed
    from memory (export's own work: what is left once the cache costs nothing)."""
    inner = GcswebSource(server.base_url, BUCKET, storage_url=server.storage_url)
    replay = Replay(CachedSource(inner, Cache(store)))
    try:
        await export_job(replay, BIG_JOB_DIR, out)  # cold: fills the cache and the recording
        replay.recording = False
        inner = GcswebSource(server.base_url, BUCKET, storage_url=server.storage_url)
        warm_source = CachedSource(inner, Cache(store))
        started = time.perf_counter()
        await export_job(warm_source, BIG_JOB_DIR, out)
        warm = time.perf_counter() - started
        await warm_source.aclose()
        started = time.perf_counter()
        await export_job(replay, BIG_JOB_DIR, out)
        return warm, time.perf_counter() - started
    finally:
        await replay.aclose()


def local_floor(label: str, args: list[str], env: dict[str, str]) -> str:
    """The same command over the local mirror, timed."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "prowtui", *args], cwd=REPO, env=env, capture_output=True)
    return f"{label:<14} {time.perf_counter() - started:8.2f} s  (local mirror, no network)"


def main() -> int:
    """Build the demo bucket, serve it, and time the four runs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--keep", type=Path, default=None, help="work directory to keep")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="prowtui-bench-cache-"))
    root = work / "bucket"
    if not (root / BIG_JOB_DIR).is_dir():
        print(f"building the demo bucket in {root} ...", file=sys.stderr)
        build_demo_bucket(root)
    finished = finished_builds(root)
    builds = sum(1 for p in (root / BIG_JOB_DIR).iterdir() if p.is_dir())
    print(f"job {BIG_JOB_DIR}: {builds} builds, {len(finished)} finished")

    with GcswebServer(root, BUCKET, generation="modern", latency=args.latency) as server:
        source_url = f"{server.base_url.rstrip('/')}/gcs/{BUCKET}/"
        print(f"server {source_url} with {args.latency * 1000:.0f} ms latency per request\n")
        for name, command in (
            ("stats", ["stats", "--source", source_url, BIG_JOB_DIR, "--json"]),
            (
                "export",
                ["export", "--source", source_url, BIG_JOB_DIR, "-o", str(work / "export")],
            ),
        ):
            env = {
                **os.environ,
                "PROWTUI_CACHE_DIR": str(work / f"cache-{name}"),
                "PROWTUI_CONFIG": str(work / "no-config.toml"),
            }
            env.pop("PROWTUI_OFFLINE", None)
            subprocess.run(
                [sys.executable, "-m", "prowtui", "cache", "clear"],
                cwd=REPO,
                env=env,
                capture_output=True,
                check=True,
            )
            cold = run_cli(f"{name} cold", command, env, server, finished)
            warm = run_cli(f"{name} warm", command, env, server, finished)
            if name == "stats" and json.loads(cold.stdout) != json.loads(warm.stdout):
                raise SystemExit("stats: the warm run answered differently from the cold run")
            local_args = [str(root) if arg == source_url else arg for arg in command]
            floor = local_floor(f"{name} floor", local_args, env)
            print(report(cold, warm) + "\n" + floor + "\n")
        print(report(*in_process(server, work / "cache-crawl", finished)))
        warm, replayed = asyncio.run(
            export_in_process(server, work / "cache-export-in-process", work / "export-ip")
        )
        print(
            f"\n{'export warm':<14} {warm:8.2f} s  in-process, through the cache\n"
            f"{'export replay':<14} {replayed:8.2f} s  in-process, every answer from memory "
            "(export's own work)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Triage benchmark (run by hand, not in CI): ``prowtui triage`` on the demo's 242-build job.

    python bench/triage.py [--latency 0.05] [--concurrency 8] [--skip-gcsweb]

Builds the demo bucket (the notebook's job: 242 finished builds, a 30 MB log among them, plus
their e2e step logs), then times fresh ``prowtui triage --json`` processes with the default
config (cache on), each with its own empty cache directory for a cold run, then again with
that cache for a warm one:

(a) from a local mirror of the bucket (``--source DIR``; local sources are not cached, so
    "warm" is the second run with the files in the OS page cache);
(b) through the tests' gcsweb-format server in a child process, ``--latency`` s per request.

Each row prints wall time, the process's peak RSS (``wait4``), the build-log bytes it mined
per second of wall time and, as the baseline measured in the same run under the same
conditions, the same figures for ``prowtui stats --content`` (which streams every top-level
build log once and counts it). A last row measures log mining alone in this process: every
log of the job read from the local mirror, selected, masked and templated (MB/s of CPU work).
Targets: local <= 10 s, mining >= 50 MB/s, peak RSS <= 300 MB. The load average is printed
at the start and the end: run it when the machine is quiet.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

JOB = "periodic-ci-openshift-release-master-ci-4.6-upgrade-from-stable-4.5-e2e-gcp-upgrade"
JOB_DIR = f"logs/{JOB}/"


@dataclass
class Run:
    label: str
    seconds: float
    rss_mb: float
    requests: int | None = None


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def fresh_process(args: list[str], env: dict[str, str]) -> tuple[float, float, bytes]:
    """Run ``python -m prowtui ARGS``; wall seconds, peak RSS in MB and its stdout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "prowtui", *args],
            stdout=out,
            stderr=err,
            env={**os.environ, "PYTHONPATH": str(REPO), **env},
        )
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            message = err.read()[-500:]
            raise SystemExit(f"prowtui {' '.join(args)} failed ({proc.returncode}): {message!r}")
        out.seek(0)
        return seconds, usage.ru_maxrss / 1024, out.read()


def log_bytes(root: Path) -> int:
    """Bytes of every log triage mines: each build's build-log.txt and its step logs."""
    job = root / JOB_DIR
    return sum(
        p.stat().st_size
        for p in job.glob("*/**/build-log.txt")
        if len(p.relative_to(job).parts) in (2, 4, 5)
    )


def mining_only(root: Path) -> tuple[int, float]:
    """Select, mask and template every log of the job in this process, as triage feeds them
    (1 MiB chunks, builds in order): (bytes, CPU seconds of that work, reading excluded)."""
    from prowtui.triage.candidates import BuildCandidates, LineSelector
    from prowtui.triage.signatures import SignatureMiner

    selector = LineSelector()
    miner = SignatureMiner()
    total = 0
    cpu = 0.0
    builds = sorted((p for p in (root / JOB_DIR).iterdir() if p.is_dir()), key=lambda p: p.name)
    for index, build in enumerate(builds):
        logs = [build / "build-log.txt", *sorted((build / "artifacts").glob("*/build-log.txt"))]
        logs += sorted((build / "artifacts").glob("*/*/build-log.txt"))
        candidates = BuildCandidates(selector)
        for log in logs:
            if not log.is_file():
                continue
            with log.open("rb") as handle:
                chunks = iter(lambda: handle.read(1 << 20), b"")
                scanner = candidates.scanner(str(log))
                for chunk in chunks:
                    started = time.process_time()
                    scanner.feed(chunk)
                    cpu += time.process_time() - started
                started = time.process_time()
                scanner.finish()
                cpu += time.process_time() - started
        started = time.process_time()
        miner.add_build(index, candidates.lines.values())
        cpu += time.process_time() - started
        total += candidates.scanned_bytes
    return total, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--skip-gcsweb", action="store_true")
    args = parser.parse_args()

    print(f"start: {load()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="prowtui-bench-triage-") as tmp:
        # built in a child process: a child's peak RSS counts what it inherits at fork time,
        # so this process stays small
        root = Path(tmp) / "demo"
        subprocess.run(
            [sys.executable, "-c", "import sys; from prowtui.demo import "
             "build_demo_bucket as b; b(sys.argv[1])", str(root)],
            check=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )  # fmt: skip
        for other in (root / "logs").iterdir():  # the benchmark job only
            if other.name != JOB:
                shutil.rmtree(other)
        shutil.rmtree(root / "pr-logs", ignore_errors=True)
        mined = log_bytes(root)
        print(f"job: 243 builds, {mined / 1e6:.1f} MB of build logs (top level and steps)\n")
        header = (
            f"{'run':48} {'wall s':>7} {'peak MB':>8} {'log MB/s':>9} {'vs stats':>9} "
            f"{'requests':>9}"
        )
        print(header)
        print("-" * len(header), flush=True)

        def env_for(name: str) -> dict[str, str]:
            return {
                "PROWTUI_CACHE_DIR": str(Path(tmp) / f"cache-{name}"),
                "PROWTUI_CONFIG": str(Path(tmp) / "no-config.toml"),
                "PROWTUI_DEMO_DIR": str(Path(tmp) / "unused-demo"),
            }

        def pair(
            label: str, source: str, cache: str, concurrency: list[str], server: Any = None
        ) -> None:
            def count() -> str:
                return f"{server.ask('count'):9d}" if server is not None else f"{'':>9}"

            env = env_for(cache)
            for temperature in ("cold", "warm"):
                if server is not None:
                    server.ask("reset")
                stats_s, stats_mb, _ = fresh_process(
                    ["stats", "--source", source, JOB_DIR, "--content", "--json", *concurrency],
                    env_for(cache + "-stats"),
                )
                stats_requests = count()
                if server is not None:
                    server.ask("reset")
                seconds, rss, out = fresh_process(
                    ["triage", "--source", source, JOB_DIR, "--json", *concurrency], env
                )
                assert out.startswith(b"{"), out[:200]
                print(
                    f"{label + ' triage ' + temperature:48} {seconds:7.2f} {rss:8.0f} "
                    f"{mined / 1e6 / seconds:9.1f} {seconds / stats_s:8.2f}x {count()}",
                    flush=True,
                )
                print(
                    f"{'   baseline: stats --content ' + temperature:48} {stats_s:7.2f} "
                    f"{stats_mb:8.0f} {'':>9} {'1.00x':>9} {stats_requests}",
                    flush=True,
                )

        pair("(a) local mirror", str(root), "local", [])
        if not args.skip_gcsweb:
            from crawl import BUCKET, ServerProcess

            server = ServerProcess(root, args.latency)
            try:
                source = f"{server.url}/gcs/{BUCKET}/"
                label = f"(b) gcsweb {args.latency * 1000:.0f} ms -j {args.concurrency}"
                pair(label, source, "gcsweb", ["-j", str(args.concurrency)], server)
            finally:
                server.stop()
        total, cpu = mining_only(root)
        print(
            f"{'(c) log mining alone, in process (CPU s)':48} {cpu:7.2f} {'':>8} "
            f"{total / 1e6 / cpu:9.1f}",
            flush=True,
        )
    print(f"\nend: {load()}")


if __name__ == "__main__":
    main()

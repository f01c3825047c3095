"""Benchmark (run by hand): a dataset export of 20 jobs x 50 builds through the tests' gcsweb
server with 50 ms latency per request, in-process vs ``--workers 2`` vs ``--workers 4``, into
a local directory and into ``s3://`` on a local S3 server (moto, the tests' server).

    python bench/dataset.py [--jobs 20] [--builds 50] [--latency 0.05] [--modes 0 2 4]
                            [--outputs local s3]

The bucket is made of the demo's 242-build job: each of the ``--jobs`` jobs
(``logs/bench-job-NN/``) holds ``--builds`` of its builds (hard links, no copies). The server
runs in its own process, so that serving the bytes does not compete with the client for the
GIL. Each mode is a fresh ``python -m prowtui export -s URL 'logs/bench-job-*' -o DIR``
process (``--workers N`` for N > 0) with the default configuration, its own empty cache
directory and a new output directory (a cold run: nothing to resume). Printed per mode:

- wall time and builds per second;
- requests the server answered, and per build;
- CPU seconds (user + system) of the whole process tree, and per build;
- peak resident memory of the client process and of the largest worker process (sampled
  every 0.1 s with psutil).

For ``s3`` outputs (moto and boto3 come with the ``test`` extra) the S3 server (moto, in a
process of its own, no added latency) also counts its requests by method: what the parts,
the manifest, the lock and the clean-up cost.

Then the same run repeated (the resume: complete parts skipped, only running builds fetched)
and the on-paper cost of a 10,000-job bucket from the measured requests per build:
``jobs x builds x requests per build x latency / requests in flight``, where the requests in
flight are ``processes x concurrency`` until the server's politeness budget caps them.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import psutil  # noqa: E402

from prowtui.demo import BIG_JOB_DIR, build_demo_bucket  # noqa: E402

BUCKET = "origin-ci-test"
#: the default concurrency of a gcsweb source (config.concurrency_for("gcsweb"))
DEFAULT_CONCURRENCY = 8


def make_bucket(demo: Path, dest: Path, jobs: int, builds: int) -> Path:
    """``jobs`` jobs of ``builds`` builds each, hard-linked from the demo's big job."""
    source_builds = sorted(
        (p for p in (demo / BIG_JOB_DIR).iterdir() if p.is_dir() and p.name.isdigit()),
        key=lambda p: int(p.name),
    )
    for j in range(jobs):
        job = dest / "logs" / f"bench-job-{j:02d}"
        offset = (j * 7) % max(1, len(source_builds) - builds)
        for build in source_builds[offset : offset + builds]:
            for file in build.rglob("*"):
                if file.is_file():
                    target = job / build.name / file.relative_to(build)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.link(file, target)
    return dest


def serve_s3(conn: Connection) -> None:
    """The S3 server in its own process: answers "env", "count", "stop" on ``conn``."""
    from tests.servers.s3 import S3Server

    with S3Server() as server:
        server.client().create_bucket(Bucket="bench")
        while True:
            command = conn.recv()
            if command == "env":
                conn.send(server.env)
            elif command == "count":
                conn.send(dict(server.requests))
            elif command == "stop":
                conn.send(None)
                return


def s3_manifest(env: dict[str, str], url: str) -> dict:
    """The manifest of a dataset in the bench's S3 server."""
    import boto3

    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    client = boto3.client(
        "s3",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env["AWS_DEFAULT_REGION"],
    )
    body = client.get_object(Bucket=bucket, Key=f"{prefix}/_manifest.json")["Body"].read()
    return json.loads(body)


def serve(root: str, latency: float, conn: Connection) -> None:
    """The gcsweb server in its own process: answers "url", "count", "stop" on ``conn``."""
    from tests.servers.gcsweb_server import GcswebServer

    with GcswebServer(Path(root), bucket=BUCKET, latency=latency) as server:
        while True:
            command = conn.recv()
            if command == "url":
                conn.send(server.base_url)
            elif command == "count":
                conn.send(server.request_count)
            elif command == "stop":
                conn.send(None)
                return


@dataclass
class Result:
    """One measured ``prowtui export`` process."""

    label: str
    seconds: float
    requests: int
    cpu: float
    server_cpu: float
    client_rss: int
    worker_rss: int
    workers: int
    builds: int
    fetched: int
    parts: int = 0
    s3_requests: dict[str, int] | None = None


class Sampler(threading.Thread):
    """Peak RSS of a process and of each of its descendants, sampled every 0.1 s."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.peaks: dict[int, int] = {}
        self.names: dict[int, str] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            for proc in procs:
                try:
                    rss = proc.memory_info().rss
                    if proc.pid not in self.names:
                        self.names[proc.pid] = " ".join(proc.cmdline())
                except psutil.Error:
                    continue
                self.peaks[proc.pid] = max(self.peaks.get(proc.pid, 0), rss)
            time.sleep(0.1)

    def workers(self) -> dict[int, int]:
        """Peaks of the Dask worker processes (spawned children; not the resource tracker)."""
        return {
            pid: peak
            for pid, peak in self.peaks.items()
            if pid != self.root.pid
            and "spawn" in self.names.get(pid, "")
            and "resource_tracker" not in self.names.get(pid, "")
        }


def run_export(
    label: str,
    url: str,
    out: Path | str,
    workers: int,
    conn: Connection,
    home: Path,
    server: int,
    s3: Connection | None = None,
    s3_env: dict[str, str] | None = None,
) -> Result:
    """One fresh ``prowtui export`` process, measured (``out``: a directory or s3:// URL)."""
    env = {
        **os.environ,
        **(s3_env or {}),
        "PYTHONPATH": str(REPO),
        "PROWTUI_CACHE_DIR": str(home / "cache"),
        "PROWTUI_CONFIG": str(home / "config.toml"),
        "PROWTUI_DEMO_DIR": str(home / "demo"),
    }
    env.pop("PROWTUI_DASK_SCHEDULER", None)
    command = [sys.executable, "-m", "prowtui", "export", "-s", f"{url}/gcs/{BUCKET}/"]
    command += ["logs/bench-job-*", "-o", str(out)]
    if workers:
        command += ["--workers", str(workers)]
    conn.send("count")
    before_requests = conn.recv()
    s3_before: dict[str, int] = {}
    if s3 is not None:
        s3.send("count")
        s3_before = s3.recv()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = sum(psutil.Process(server).cpu_times()[:2])
    started = time.perf_counter()
    proc = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    sampler = Sampler(proc.pid)
    sampler.start()
    stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - started
    sampler.done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = sum(psutil.Process(server).cpu_times()[:2]) - server_before
    if proc.returncode != 0:
        raise SystemExit(f"{label}: exit {proc.returncode}\n{stderr}")
    conn.send("count")
    requests = conn.recv() - before_requests
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    s3_requests = None
    if s3 is not None:
        s3.send("count")
        now = s3.recv()
        s3_requests = {
            m: n - s3_before.get(m, 0) for m, n in now.items() if n > s3_before.get(m, 0)
        }
        doc = s3_manifest(s3_env or {}, str(out))
    else:
        doc = json.loads((Path(out) / "_manifest.json").read_text())
    parts = sum(len(job["parts"]) for job in doc["jobs"].values())
    builds = sum(job["builds"] for job in doc["jobs"].values())
    row = next(line for line in stdout.splitlines() if "builds fetched" in line)
    fetched = int(row.split()[-2].replace(",", ""))
    worker_peaks = sampler.workers()
    if os.environ.get("BENCH_DEBUG"):
        for pid, name in sampler.names.items():
            print(pid, pid in worker_peaks, name[:150])
    return Result(
        label,
        seconds,
        requests,
        cpu,
        server_cpu,
        sampler.peaks.get(proc.pid, 0),
        max(worker_peaks.values(), default=0),
        len(worker_peaks),
        builds,
        fetched,
        parts,
        s3_requests,
    )


def mib(n: int) -> str:
    return f"{n / 2**20:.0f} MiB" if n else "-"


def report(results: list[Result]) -> None:
    header = (
        f"{'run':<22}{'wall s':>8}{'builds/s':>10}{'requests':>10}{'req/build':>10}"
        f"{'CPU s':>8}{'CPU ms/build':>13}{'server CPU s':>13}{'client RSS':>12}"
        f"{'worker RSS':>12}"
    )
    print(header)
    for r in results:
        if r.s3_requests is not None:
            total = sum(r.s3_requests.values())
            detail = ", ".join(f"{m} {n}" for m, n in sorted(r.s3_requests.items()))
            print(f"  {r.label}: S3 requests {total} ({detail}) for {r.parts} parts")
        rate = f"{r.fetched / r.seconds:.1f}" if r.fetched else "-"
        per_build = f"{r.requests / r.fetched:.2f}" if r.fetched else "-"
        cpu_build = f"{1000 * r.cpu / r.fetched:.1f}" if r.fetched else "-"
        print(
            f"{r.label:<22}{r.seconds:>8.1f}{rate:>10}{r.requests:>10}{per_build:>10}"
            f"{r.cpu:>8.1f}{cpu_build:>13}{r.server_cpu:>13.1f}"
            f"{mib(r.client_rss):>12}{mib(r.worker_rss):>12}"
        )


def estimate(requests_per_build: float, latency: float) -> None:
    """The on-paper cost of a 10,000-job bucket."""
    jobs, builds = 10_000, 50
    total = jobs * builds * requests_per_build
    print(
        f"\n10,000 jobs x {builds} builds x {requests_per_build:.2f} requests per build = "
        f"{total:,.0f} requests, at {latency * 1000:.0f} ms each:"
    )
    for processes in (1, 2, 4, 16):
        in_flight = processes * DEFAULT_CONCURRENCY
        hours = total * latency / in_flight / 3600
        rate = in_flight / latency
        print(
            f"  {processes:>2} process(es) x concurrency {DEFAULT_CONCURRENCY} = {in_flight:>3} "
            f"in flight ({rate:,.0f} requests/s): {hours:5.1f} h"
        )
    for budget in (8, 32):
        hours = total * latency / budget / 3600
        print(f"  capped at {budget} requests in flight (the server's budget): {hours:5.1f} h")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--builds", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--modes", type=int, nargs="+", default=[0, 2, 4])
    parser.add_argument("--outputs", nargs="+", choices=["local", "s3"], default=["local", "s3"])
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}  ({os.cpu_count()} CPUs)")
    with tempfile.TemporaryDirectory(prefix="prowtui-bench-dataset-") as tmp:
        base = Path(tmp)
        demo = build_demo_bucket(base / "demo")
        root = make_bucket(demo, base / "bucket", args.jobs, args.builds)
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        server = ctx.Process(target=serve, args=(str(root), args.latency, child), daemon=True)
        server.start()
        parent.send("url")
        url = parent.recv()
        s3 = s3_env = None
        if "s3" in args.outputs:
            s3, s3_child = ctx.Pipe()
            s3_server = ctx.Process(target=serve_s3, args=(s3_child,), daemon=True)
            s3_server.start()
            s3.send("env")
            s3_env = s3.recv()
        results = []
        reruns = []
        for output in args.outputs:
            for workers in args.modes:
                label = "in-process" if workers == 0 else f"--workers {workers}"
                home = base / f"home-{output}-{workers}"
                if output == "s3":
                    label, out = f"{label} -> s3", f"s3://bench/out-{workers}"
                    results.append(
                        run_export(label, url, out, workers, parent, home, server.pid, s3, s3_env)
                    )
                else:
                    out = base / f"out-{workers}"
                    results.append(run_export(label, url, out, workers, parent, home, server.pid))
                    if workers != args.modes[-1]:
                        shutil.rmtree(out)
            # the last mode again on its own output: the nightly re-run (resume)
            extra = (s3, s3_env) if output == "s3" else ()
            reruns.append(
                run_export(f"{label} (re-run)", url, out, workers, parent, home, server.pid, *extra)
            )
        parent.send("stop")
        parent.recv()
        server.join(timeout=10)
        if s3 is not None:
            s3.send("stop")
            s3.recv()
    print(
        f"\n{args.jobs} jobs x {args.builds} builds, {args.latency * 1000:.0f} ms per request, "
        f"default concurrency {DEFAULT_CONCURRENCY} per process; worker processes seen: "
        + ", ".join(f"{r.label}: {r.workers}" for r in results)
    )
    report([*results, *reruns])
    base_rate = results[0].fetched / results[0].seconds
    for r in results[1:]:
        print(f"{r.label}: {r.fetched / r.seconds / base_rate:.2f}x the in-process builds/s")
    fetched = max(results[0].fetched, 1)
    estimate(results[0].requests / fetched, args.latency)
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()

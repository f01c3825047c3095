"""Crawl benchmark (run by hand, not in CI): the notebook's sequential method vs ``prowtui stats``.

    python bench/crawl.py [--latency 0.05] [--concurrency 8 32] [--runs 3] [--quick]

Builds the demo bucket, keeps the notebook's 242-build job (243 with the running one), pads
every build page and ``artifacts/`` page to the tens of entries of a current OpenShift job
(:func:`pad_like_openshift`: extra objects, so every page lists them and nothing fakes them),
and serves it with the tests' gcsweb server -- the page text gcsweb's templates print, inline
style and download block included -- in a child process, ``--latency`` seconds per request,
Nagle's algorithm off and a listen backlog of 256. Then times, on the same server:

(a) the original method, faithfully and in this process: sequential ``requests`` +
    BeautifulSoup, the job page, each build's top level, each build's ``artifacts/``, one
    ``build-log.txt`` download per build (the notebook's cells 3, 7, 12 and 18);
(b) ``prowtui stats --json`` as users run it: a fresh ``python -m prowtui`` process, the
    default config, cache on and cold (an empty cache directory), at each ``--concurrency``
    (8 is the default for gcsweb, so that row passes no ``-j``), with and without
    ``--content``;
(c) the same with ``[cache] enabled = false``;
(d) the same again on the cache (b) filled: warm, which must make no request;
(e) start-up: ``prowtui stats`` of a job that does not exist (one request), the floor a fresh
    process pays before it crawls.

Each row is run ``--runs`` times (a fresh cache each cold run) and the median wall time is
shown, with the client's CPU (user + system of the child process, from ``wait4``) per request
and the latency bound ``ceil(requests / concurrency) x latency``. Targets, checked and printed:
cold with the cache on, ``-j 32``: wall <= 1.4 x bound + 0.5 s and >= 15x (a); ``-j 8``: wall
<= 1.15 x bound; ``--content``: the same with 1.5 in place of 1.4 and 1.15; client CPU <= 1.5
ms per request, whole process, for ``stats`` (``--content`` also counts every log's text).
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import os
import shutil
import socketserver
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

JOB = "periodic-ci-openshift-release-master-ci-4.6-upgrade-from-stable-4.5-e2e-gcp-upgrade"
JOB_PATH = f"logs/{JOB}/"
BUCKET = "origin-ci-test"
LISTEN_BACKLOG = 256
CPU_TARGET_MS = 1.5

#: objects a current OpenShift build has at its top level beside the demo's
TOP_EXTRA = ("clone-log.txt", "clone-records.json", "sidecar-logs.json", "ci-operator.log")
#: objects and directories of a current OpenShift build's ``artifacts/`` beside the demo's
ARTIFACTS_EXTRA = (
    "build-logs/src-amd64.log",
    "build-logs/ci-tools-bin.log",
    "ci-operator-metrics.json",
    "ci-operator-configresolver.json",
    "ci-operator-step-graph.json",
    "junit_job-run-aggregator.xml",
    "manifest-list.json",
    "metadata.json",
    "e2e-gcp-upgrade-gather-audit-logs/build-log.txt",
    "e2e-gcp-upgrade-gather-extra/build-log.txt",
    "e2e-gcp-upgrade-gather-must-gather/build-log.txt",
    "e2e-gcp-upgrade-ipi-conf/build-log.txt",
    "e2e-gcp-upgrade-ipi-conf-gcp/build-log.txt",
    "e2e-gcp-upgrade-ipi-install-install/build-log.txt",
    "e2e-gcp-upgrade-ipi-install-rbac/build-log.txt",
    "e2e-gcp-upgrade-ipi-deprovision-deprovision/build-log.txt",
    "e2e-gcp-upgrade-openshift-e2e-test/build-log.txt",
    "images/ci-operator-images.json",
    "prowjob-junit.xml",
    "release-images-initial.json",
    "release-images-latest.json",
)


def pad_like_openshift(job_dir: Path) -> tuple[int, int]:
    """Give every build the extra objects of a current OpenShift build; return the entries of
    the largest build page and ``artifacts/`` page afterwards."""
    top = art = 0
    for build in sorted(p for p in job_dir.iterdir() if p.is_dir()):
        for name in TOP_EXTRA:
            (build / name).write_text(f"{name} of {build.name}\n")
        if (build / "artifacts").is_dir():
            for rel in ARTIFACTS_EXTRA:
                target = build / "artifacts" / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                if not target.exists():
                    target.write_text(f"{rel} of {build.name}\n")
            art = max(art, len(list((build / "artifacts").iterdir())))
        top = max(top, len(list(build.iterdir())))
    return top, art


# -- the server, in a child process ----------------------------------------------------------


def _serve(root: str, latency: float, conn: Connection) -> None:
    """Child process: the gcsweb server; answers "count"/"reset"/"stop" on ``conn``."""
    # socketserver's default listen backlog is 5: more simultaneous new connections overflow
    # it and wait for a SYN retransmit (1 s, then 3 s, ...); real servers accept far more
    socketserver.TCPServer.request_queue_size = LISTEN_BACKLOG
    from tests.servers import gcsweb_server

    gcsweb_server._Handler.disable_nagle_algorithm = True
    server = gcsweb_server.GcswebServer(Path(root), bucket=BUCKET, latency=latency).start()
    conn.send(server.base_url)
    while True:
        command = conn.recv()
        if command == "count":
            conn.send(server.request_count)
        elif command == "reset":
            server.reset_counts()
            conn.send(None)
        else:
            server.stop()
            conn.send(None)
            return


class ServerProcess:
    """The server in a child process and a pipe to ask it for its request count."""

    def __init__(self, root: Path, latency: float) -> None:
        self.conn, child = mp.Pipe()
        self.process = mp.get_context("spawn").Process(
            target=_serve, args=(str(root), latency, child), daemon=True
        )
        self.process.start()
        self.url = str(self.conn.recv())

    def ask(self, command: str) -> object:
        self.conn.send(command)
        return self.conn.recv()

    def stop(self) -> None:
        self.ask("stop")
        self.process.join(timeout=10)


# -- (a) the notebook ---------------------------------------------------------------------------


def notebook_method(base_url: str) -> None:
    """Cells 3, 7, 12 and 18 of the notebook, against the local gcsweb."""
    import requests
    from bs4 import BeautifulSoup

    gcs = f"{base_url}/gcs/{BUCKET}"
    session = requests.Session()
    response = session.get(f"{gcs}/logs/{JOB}")
    soup = BeautifulSoup(response.text, "html.parser")
    anchors = [x.get_text()[1:-1] for x in soup.find_all("a")][1:-1]
    # the notebook's slice keeps build dirs as "<id>"; keep only those (the demo has no others)
    list_of_builds = [name for name in anchors if name.isdigit()]

    build_data = {}
    for build in list_of_builds:
        response = session.get(f"{gcs}/logs/{JOB}/{build}")
        soup = BeautifulSoup(response.text, "html.parser")
        build_data[build] = [x.get_text() for x in soup.find_all("a")]

    build_data = {}
    for build in list_of_builds:
        response = session.get(f"{gcs}/logs/{JOB}/{build}/artifacts")
        soup = BeautifulSoup(response.text, "html.parser")
        build_data[build] = [x.get_text() for x in soup.find_all("a")]

    build_log_data = {}
    for build in list_of_builds:
        response = session.get(f"{gcs}/logs/{JOB}/{build}/build-log.txt")
        build_log_data[build] = response.text if response.status_code == 200 else ""


# -- (b)-(e) prowtui, fresh processes ---------------------------------------------------------


@dataclass
class Row:
    label: str
    requests: int
    seconds: float
    cpu: float
    concurrency: int | None
    runs: int = 1

    def bound(self, latency: float) -> float:
        return math.ceil(self.requests / (self.concurrency or 1)) * latency


def run_prowtui(
    args: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)
) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and exit status of ``python -m prowtui``."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "prowtui", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    code = proc.returncode
    if code not in ok or "Traceback" in stderr:
        raise SystemExit(f"prowtui {' '.join(args)}: exit {code}\n{stderr[-2000:]}")
    return seconds, usage.ru_utime + usage.ru_stime, code


class Bench:
    """Runs rows against one server and prints them."""

    def __init__(self, server: ServerProcess, work: Path, latency: float, runs: int) -> None:
        self.server = server
        self.work = work
        self.latency = latency
        self.runs = runs
        self.source = f"{server.url}/gcs/{BUCKET}/"
        self.default_config = work / "default.toml"  # absent: the built-in defaults
        self.no_cache_config = work / "no-cache.toml"
        self.no_cache_config.write_text("[cache]\nenabled = false\n")
        self._counter = 0

    def env(self, config: Path, cache: Path) -> dict[str, str]:
        env = {
            **os.environ,
            "PROWTUI_CONFIG": str(config),
            "PROWTUI_CACHE_DIR": str(cache),
            "PROWTUI_DEMO_DIR": str(self.work / "demo-unused"),
        }
        # users' Pythons keep compiled bytecode: a fresh process must not compile every module
        for name in (
            "PROWTUI_OFFLINE",
            "PROWTUI_CONCURRENCY",
            "PROWTUI_CACHE_MAX_MB",
            "PROWTUI_CACHE_TTL",
            "PROWTUI_TIMEOUT",
            "PROWTUI_RETRIES",
            "PYTHONDONTWRITEBYTECODE",
        ):
            env.pop(name, None)
        return env

    def new_cache(self) -> Path:
        self._counter += 1
        return self.work / f"cache-{self._counter}"

    def stats_args(self, job: str, concurrency: int, content: bool) -> list[str]:
        args = ["stats", "--json", "--source", self.source, job]
        if concurrency != 8:  # 8 is the default: that row runs as users run it
            args += ["-j", str(concurrency)]
        return args + (["--content"] if content else [])

    def measure(
        self,
        label: str,
        args: list[str],
        config: Path,
        concurrency: int | None,
        warm: bool,
        ok: tuple[int, ...] = (0,),
    ) -> tuple[Row, list[Path]]:
        """Median of ``runs`` runs; cold runs get a fresh cache each, warm runs one filled."""
        walls, cpus, counts, caches = [], [], [], []
        for _ in range(self.runs):
            cache = self.new_cache()
            if warm:
                run_prowtui(args, self.env(config, cache), ok)  # fill it, not timed
            self.server.ask("reset")
            seconds, cpu, _ = run_prowtui(args, self.env(config, cache), ok)
            walls.append(seconds)
            cpus.append(cpu)
            counts.append(int(self.server.ask("count")))  # type: ignore[arg-type]
            caches.append(cache)
        middle = sorted(range(len(walls)), key=walls.__getitem__)[len(walls) // 2]
        row = Row(label, counts[middle], walls[middle], cpus[middle], concurrency, self.runs)
        if len(set(counts)) != 1:
            print(f"  note: {label}: request counts differ between runs: {counts}")
        return row, caches


HEADER = (
    f"{'method':42} {'requests':>8} {'wall s':>7} {'vs (a)':>7} {'bound s':>8} "
    f"{'/bound':>7} {'CPU s':>6} {'ms/req':>7} {'crawl':>6}  target"
)


def report(
    row: Row, baseline: Row | None, latency: float, target: str = "", startup: Row | None = None
) -> None:
    """One result line, printed as soon as it is measured. ``crawl`` is the CPU per request
    beyond the start-up row's (the process's own start-up and exit left out)."""
    ratio = f"{baseline.seconds / row.seconds:6.1f}x" if baseline else f"{'':7}"
    if row.requests and row.concurrency:
        bound = row.bound(latency)
        bound_text = f"{bound:8.2f} {row.seconds / bound:6.2f}x"
    else:
        bound_text = f"{'-':>8} {'-':>7}"
    per_request = f"{row.cpu / row.requests * 1000:7.2f}" if row.requests else f"{'-':>7}"
    crawl = f"{'-':>6}"
    if startup is not None and row.requests > startup.requests:
        beyond = (row.cpu - startup.cpu) / (row.requests - startup.requests) * 1000
        crawl = f"{beyond:6.2f}"
    print(
        f"{row.label:42} {row.requests:8d} {row.seconds:7.2f} {ratio} {bound_text} "
        f"{row.cpu:6.2f} {per_request} {crawl}  {target}",
        flush=True,
    )


def check(row: Row, baseline: Row, latency: float, concurrency: int, content: bool) -> str:
    """The issue's targets for a cold, cache-on row: OK or what is missed."""
    bound = row.bound(latency)
    misses = []
    cpu_ms = row.cpu / row.requests * 1000
    if not content and cpu_ms > CPU_TARGET_MS:  # --content also counts 42 MB of log text
        misses.append(f"CPU {cpu_ms:.2f} > {CPU_TARGET_MS} ms/req")
    if concurrency >= 32:
        factor = 1.5 if content else 1.4
        limit = factor * bound + 0.5
        if row.seconds > limit:
            misses.append(f"wall > {factor} x bound + 0.5 = {limit:.2f} s")
        if not content and baseline.seconds / row.seconds < 15:
            misses.append("< 15x (a)")
    elif concurrency == 8:
        factor = 1.5 if content else 1.15
        if row.seconds > factor * bound:
            misses.append(f"wall > {factor} x bound = {factor * bound:.2f} s")
    return "OK" if not misses else "MISSED: " + "; ".join(misses)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--runs", type=int, default=3, help="runs per row (median shown)")
    parser.add_argument("--quick", action="store_true", help="no notebook, no cache-off rows")
    args = parser.parse_args()

    from prowtui.demo import build_demo_bucket

    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="prowtui-bench-crawl-") as tmp:
        work = Path(tmp)
        root = build_demo_bucket(work / "bucket")
        for other in list(root.iterdir()):
            if other.name != "logs":
                shutil.rmtree(other)
        for other in (root / "logs").iterdir():  # serve the benchmark job only
            if other.name != JOB:
                shutil.rmtree(other)
        top, art = pad_like_openshift(root / "logs" / JOB)
        print(
            f"job {JOB_PATH}: {sum(1 for p in (root / 'logs' / JOB).iterdir() if p.is_dir())} "
            f"builds; pages of up to {top} entries (build) and {art} (artifacts/); latency "
            f"{args.latency * 1000:.0f} ms per request; bound = ceil(requests / concurrency) x "
            f"latency; CPU = the prowtui process's user + system time; median of {args.runs}\n"
        )
        print(HEADER)
        print("-" * len(HEADER), flush=True)
        server = ServerProcess(root, args.latency)
        try:
            bench = Bench(server, work, args.latency, args.runs)
            if args.quick:
                baseline = Row("(a) notebook: not run (--quick)", 0, math.inf, 0.0, None)
            else:
                server.ask("reset")
                started = time.perf_counter()
                notebook_method(server.url)
                seconds = time.perf_counter() - started
                count = int(server.ask("count"))  # type: ignore[arg-type]
                baseline = Row("(a) notebook: sequential requests + bs4", count, seconds, 0, 1)
                report(baseline, baseline, args.latency)
            # once, untimed: Python writes the bytecode of every module a run imports
            run_prowtui(
                bench.stats_args("logs/no-such-job/", 8, False),
                bench.env(bench.default_config, bench.new_cache()),
                ok=(1, 2),
            )
            startup, _ = bench.measure(
                "(e) start-up: stats of a missing job",
                bench.stats_args("logs/no-such-job/", 8, False),
                bench.default_config,
                None,
                warm=False,
                ok=(1, 2),
            )
            report(startup, None, args.latency)
            for content in (False, True):
                flag = " --content" if content else ""
                for c in args.concurrency:
                    stats_args = bench.stats_args(JOB_PATH, c, content)
                    cold, _ = bench.measure(
                        f"(b) stats{flag} -j {c}, cache on, cold",
                        stats_args,
                        bench.default_config,
                        c,
                        warm=False,
                    )
                    target = check(cold, baseline, args.latency, c, content)
                    report(cold, None if args.quick else baseline, args.latency, target, startup)
                    if not args.quick:
                        off, _ = bench.measure(
                            f"(c) stats{flag} -j {c}, cache off",
                            stats_args,
                            bench.no_cache_config,
                            c,
                            warm=False,
                        )
                        report(off, baseline, args.latency, "", startup)
                    warm, _ = bench.measure(
                        f"(d) stats{flag} -j {c}, cache on, warm",
                        stats_args,
                        bench.default_config,
                        c,
                        warm=True,
                    )
                    report(warm, None, args.latency, "OK" if warm.requests == 0 else "REQUESTS")
        finally:
            server.stop()
    print(f"\nload average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} at the end")


if __name__ == "__main__":
    main()

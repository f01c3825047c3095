"""Crawl benchmark (run by hand, not in CI): the notebook's sequential method vs ``prowtui stats``.

    python bench/crawl.py [--latency 0.05] [--concurrency 8] [--also-concurrency 16 32 64]
                          [--skip-emulator]

Builds the demo bucket (the notebook's 242-build job), serves it with the tests' gcsweb-format
server and with gcp-storage-emulator, each in its own process with the same per-request
latency, and times:

(a) the original method, faithfully: sequential ``requests`` + BeautifulSoup, the job page,
    then each build's top level, then each build's ``artifacts/``, then one ``build-log.txt``
    download per build;
(b) ``prowtui stats`` and ``stats --content`` through gcsweb (the same ``job_stats`` call the
    command makes, in this process, so interpreter start-up is not counted);
(c) both through the emulator (GCS JSON API: one recursive listing of the job).

For each it prints requests, wall time, the ratio to (a) and the ideal
``ceil(requests / concurrency) * latency``. The servers run with Nagle's algorithm disabled
so a response costs the configured latency, not an extra 40 ms delayed ACK.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing as mp
import os
import shutil
import socketserver
import sys
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

JOB = "periodic-ci-openshift-release-master-ci-4.6-upgrade-from-stable-4.5-e2e-gcp-upgrade"
BUCKET = "origin-ci-test"
LISTEN_BACKLOG = 256


# -- servers, each in a child process ---------------------------------------------------------


def _serve(kind: str, root: str, latency: float, conn: Connection) -> None:
    """Child process: start one server, answer "count"/"reset"/"stop" on ``conn``."""
    # socketserver's default listen backlog is 5: more simultaneous new connections overflow
    # it and wait for a SYN retransmit (1 s, then 3 s, ...); real servers accept far more
    socketserver.TCPServer.request_queue_size = LISTEN_BACKLOG
    if kind == "gcsweb":
        from tests.servers import gcsweb_server

        gcsweb_server._Handler.disable_nagle_algorithm = True
        server = gcsweb_server.GcswebServer(Path(root), bucket=BUCKET, latency=latency).start()
        conn.send((server.base_url, server.storage_url))

        def count() -> int:
            return server.request_count

        reset = server.reset_counts
    else:
        from tests.servers import emulator as emulator_mod

        emulator_mod._Handler.disable_nagle_algorithm = True
        server = emulator_mod.EmulatorServer(latency=latency).start()
        server.upload_tree(Path(root), BUCKET, workers=1)  # the emulator is not thread-safe
        conn.send((server.host, ""))

        def count() -> int:
            return server.requests

        reset = server.reset_counter
    while True:
        command = conn.recv()
        if command == "count":
            conn.send(count())
        elif command == "reset":
            reset()
            conn.send(None)
        else:
            server.stop()
            conn.send(None)
            return


class ServerProcess:
    """A server in a child process and a pipe to ask it for its request count."""

    def __init__(self, kind: str, root: Path, latency: float) -> None:
        self.conn, child = mp.Pipe()
        self.process = mp.get_context("spawn").Process(
            target=_serve, args=(kind, str(root), latency, child), daemon=True
        )
        self.process.start()
        self.url, self.storage_url = self.conn.recv()

    def ask(self, command: str) -> object:
        self.conn.send(command)
        return self.conn.recv()

    def stop(self) -> None:
        self.ask("stop")
        self.process.join(timeout=10)


# -- (a) the notebook ---------------------------------------------------------------------------


def notebook_method(base_url: str) -> int:
    """Cells 3, 7, 12 and 18 of the notebook, against the local gcsweb (returns build count)."""
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
    return len(list_of_builds)


# -- (b), (c) prowtui ---------------------------------------------------------------------------


def prowtui_stats(kind: str, url: str, storage_url: str, content: bool, concurrency: int) -> int:
    """``job_stats`` exactly as ``prowtui stats`` runs it; returns the number of builds."""
    from prowtui.analysis.stats import job_stats

    async def main() -> int:
        if kind == "gcsweb":
            from prowtui.sources.gcsweb import GcswebSource

            source = GcswebSource(url, BUCKET, storage_url=storage_url, concurrency=concurrency)
        else:
            from prowtui.sources.gcs import GcsSource

            os.environ["STORAGE_EMULATOR_HOST"] = url
            source = GcsSource(BUCKET, concurrency=concurrency)
        try:
            stats = await job_stats(
                source, f"logs/{JOB}/", content=content, concurrency=concurrency
            )
        finally:
            await source.aclose()
        if stats.failures:
            raise SystemExit(f"{len(stats.failures)} builds failed: {stats.failures[:3]}")
        return len(stats.builds)

    return asyncio.run(main())


@dataclass
class Row:
    label: str
    requests: int
    seconds: float
    concurrency: int | None


def timed(server: ServerProcess, label: str, concurrency: int | None, fn, *args) -> Row:
    server.ask("reset")
    start = time.perf_counter()
    fn(*args)
    seconds = time.perf_counter() - start
    return Row(label, int(server.ask("count")), seconds, concurrency)  # type: ignore[arg-type]


HEADER = f"{'method':44} {'requests':>8} {'wall s':>8} {'vs (a)':>7} {'ideal s':>8} {'/ideal':>7}"


def report(row: Row, baseline: Row, latency: float) -> None:
    """One result line (printed as soon as it is measured)."""
    ideal = math.ceil(row.requests / (row.concurrency or 1)) * latency
    print(
        f"{row.label:44} {row.requests:8d} {row.seconds:8.2f} "
        f"{baseline.seconds / row.seconds:6.1f}x {ideal:8.2f} {row.seconds / ideal:6.2f}x",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--also-concurrency", type=int, nargs="*", default=[16, 32, 64])
    parser.add_argument("--skip-emulator", action="store_true")
    args = parser.parse_args()

    from prowtui.sources.demo import build_demo_bucket

    with tempfile.TemporaryDirectory(prefix="prowtui-bench-") as tmp:
        root = build_demo_bucket(Path(tmp) / "demo")
        for other in (root / "logs").iterdir():  # serve the benchmark job only
            if other.name != JOB:
                shutil.rmtree(other)
        print(
            f"latency {args.latency * 1000:.0f} ms per request; ideal = "
            "ceil(requests / concurrency) x latency\n"
        )
        print(HEADER)
        print("-" * len(HEADER), flush=True)
        gcsweb = ServerProcess("gcsweb", root, args.latency)
        try:
            baseline = timed(
                gcsweb, "(a) notebook: sequential requests + bs4", None, notebook_method, gcsweb.url
            )
            report(baseline, baseline, args.latency)
            for c in [args.concurrency, *args.also_concurrency]:
                for content in (False, True):
                    label = f"(b) gcsweb stats{' --content' if content else ''} -j {c}"
                    row = timed(
                        gcsweb,
                        label,
                        c,
                        prowtui_stats,
                        "gcsweb",
                        gcsweb.url,
                        gcsweb.storage_url,
                        content,
                        c,
                    )
                    report(row, baseline, args.latency)
        finally:
            gcsweb.stop()
        if not args.skip_emulator:
            emulator = ServerProcess("emulator", root, args.latency)
            try:
                for c in [args.concurrency, *args.also_concurrency]:
                    for content in (False, True):
                        label = f"(c) emulator stats{' --content' if content else ''} -j {c}"
                        row = timed(
                            emulator, label, c, prowtui_stats, "gcs", emulator.url, "", content, c
                        )
                        report(row, baseline, args.latency)
            finally:
                emulator.stop()


if __name__ == "__main__":
    main()

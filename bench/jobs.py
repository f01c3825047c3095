"""Jobs overview benchmark (run by hand, not in CI): ``prowtui jobs`` over many jobs.

    python bench/jobs.py [--jobs 30] [--every-hours 6] [--latency 0.05] [--concurrency 32]

Writes a bucket of ``--jobs`` periodic jobs with a build every ``--every-hours`` over four
weeks (a third of the jobs have a pending newest build; every build also has a build log, a
prowjob.json and artifacts that the overview must not read), serves it with the tests'
gcsweb-format server in a child process answering each request after ``--latency`` s, and
times fresh ``prowtui jobs 'logs/periodic-*' --since 7d --json`` processes with the default
config (cache on): cold (an empty cache directory), then warm (the same cache), then offline
on that cache, which makes no request at all and is the start-up baseline measured in the
same run. For each it prints wall time, the requests the server answered, the peak RSS, and
for the cold run the latency bound (requests / concurrency x latency, plus the two listing
levels the pattern and the jobs need) and how far above bound + start-up the run was (the
target is 1.5x). The load average is printed at the start and the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from crawl import BUCKET, ServerProcess  # noqa: E402
from triage import fresh_process, load  # noqa: E402

from prowtui.prow.windows import SNOWFLAKE_EPOCH_MS  # noqa: E402

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
WEEKS = 4


def snowflake(at: datetime, sequence: int) -> str:
    millis = int(at.timestamp() * 1000) - SNOWFLAKE_EPOCH_MS
    return str((millis << 22) | sequence)


def write_bucket(root: Path, jobs: int, every_hours: float) -> tuple[int, int]:
    """The bucket; returns (builds, builds whose ID time may be in the two 7d windows)."""
    total = in_windows = 0
    step = timedelta(hours=every_hours)
    for j in range(jobs):
        job = root / "logs" / f"periodic-bench-4.16-job-{j:03d}"
        created = NOW - timedelta(weeks=WEEKS) + timedelta(minutes=7 * j)
        index = 0
        while created < NOW:
            build = job / snowflake(created, index)
            (build / "artifacts" / "e2e").mkdir(parents=True)
            start = created + timedelta(minutes=1)
            (build / "started.json").write_text(json.dumps({"timestamp": int(start.timestamp())}))
            newest = created + step >= NOW
            if not (newest and j % 3 == 0):
                result = "FAILURE" if (index + j) % 4 == 0 else "SUCCESS"
                end = int((start + timedelta(hours=1)).timestamp())
                (build / "finished.json").write_text(
                    json.dumps({"timestamp": end, "result": result, "passed": result == "SUCCESS"})
                )
            (build / "build-log.txt").write_text("ci-operator output\n" * 50)
            (build / "prowjob.json").write_text("{}")
            (build / "artifacts" / "e2e" / "junit.xml").write_text("<testsuite/>")
            total += 1
            if created > NOW - timedelta(days=14, hours=1):
                in_windows += 1
            created += step
            index += 1
    return total, in_windows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=30)
    parser.add_argument("--every-hours", type=float, default=6.0)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=32)
    opts = parser.parse_args()
    print(load())
    work = Path(tempfile.mkdtemp(prefix="prowtui-bench-jobs-"))
    try:
        root = work / "bucket"
        builds, in_windows = write_bucket(root, opts.jobs, opts.every_hours)
        print(
            f"{opts.jobs} jobs, {builds} builds, {in_windows} of them may be in the windows; "
            f"latency {opts.latency * 1000:.0f} ms, --concurrency {opts.concurrency}"
        )
        server = ServerProcess(root, opts.latency)
        try:
            run_all(server, work, opts)
        finally:
            server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(load())


def run_all(server: ServerProcess, work: Path, opts: argparse.Namespace) -> None:
    env = {
        "PROWTUI_CACHE_DIR": str(work / "cache"),
        "PROWTUI_CONFIG": str(work / "config.toml"),
        "PROWTUI_DEMO_DIR": str(work / "demo"),
    }
    url = f"{server.url}/gcs/{BUCKET}/logs/periodic-bench-*"
    args = ["jobs", url, "--now", NOW.isoformat(), "--json", "-j", str(opts.concurrency)]
    rows = []
    for label, extra in (("cold", []), ("warm", []), ("offline (start-up)", ["--offline"])):
        server.ask("reset")
        seconds, rss, out = fresh_process([*args, *extra], env)
        requests = int(server.ask("count"))  # type: ignore[arg-type]
        report = json.loads(out)
        rows.append((label, seconds, requests, rss, len(report["jobs"])))
    startup = rows[2][1]
    print(f"{'run':<20} {'wall s':>7} {'requests':>9} {'RSS MB':>7}  jobs")
    for label, seconds, requests, rss, jobs in rows:
        print(f"{label:<20} {seconds:7.2f} {requests:9d} {rss:7.0f}  {jobs}")
    cold_seconds, cold_requests = rows[0][1], rows[0][2]
    bound = cold_requests / opts.concurrency * opts.latency + 2 * opts.latency
    print(
        f"cold latency bound {bound:.2f} s + start-up {startup:.2f} s = {bound + startup:.2f} s; "
        f"cold wall is {cold_seconds / (bound + startup):.2f}x that (target <= 1.5x)"
    )
    print(
        f"warm: {rows[1][2]} requests = {opts.jobs} job listings + the pending builds' "
        f"finished.json and started.json (+ the pattern's listing when its cache entry expired)"
    )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()

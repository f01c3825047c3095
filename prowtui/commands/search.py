"""``prowtui search REGEX PATTERN...``: where else does this line appear, and what it costs.

Searches the build logs and junit failure messages of every build of the jobs the patterns
name that started in the window (``--since``, default 2d, ending at ``--now``), with ripgrep,
and prints per job its impact line (runs, failed, matched runs, matched failures, impact),
then each build with a match and its matching lines. Rich text on a terminal, plain text when
piped, one JSON document with ``--json``; every string from the bucket is made inert.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import IO, TYPE_CHECKING, Any

from prowtui.commands.common import (
    add_window_args,
    open_spec,
    parse_window,
    positive_int,
    resolve_job_dirs,
    run,
    usage_error,
)
from prowtui.errors import UsageError
from prowtui.safetext import inert

if TYPE_CHECKING:
    from rich.text import Text

    from prowtui.search.model import BuildMatches, JobMatches, MatchRow, SearchReport

#: characters of a matched line shown in the terminal view (the JSON has up to 64 KiB)
SHOWN_CHARS = 400

RESULT_STYLES = {"SUCCESS": "green", None: "yellow"}


def register(subparsers: Any) -> None:
    """Add the ``search`` sub-command."""
    from prowtui.commands.common import add_source_args

    parser = subparsers.add_parser(
        "search",
        help="search every build's logs and junit failures for a line: where, since when, "
        "how many failures it explains",
        description="Search the build logs (every build-log.txt) and junit failure messages "
        "of every build of the jobs PATTERN names that started in the window, line by line, "
        "with ripgrep (linear-time regular expressions). Per job: runs, failed, runs with a "
        "match, failures with a match, and impact = matched failures / runs.",
    )
    add_source_args(parser)
    parser.add_argument("regex", metavar="REGEX", help="a regular expression (Rust regex syntax)")
    parser.add_argument(
        "patterns",
        metavar="PATTERN",
        nargs="+",
        help="job paths, shell patterns (logs/periodic-*-4.16-*) or URLs",
    )
    add_window_args(
        parser, default_since="2d", help_since="window length: Nh, Nd or Nw (default 2d)"
    )
    parser.add_argument(
        "--type",
        choices=("build-log", "junit", "all"),
        default="all",
        help="build logs, junit failure messages, or both (default)",
    )
    parser.add_argument(
        "-C", "--context", type=int, default=0, metavar="N", help="lines of context (default 0)"
    )
    parser.add_argument(
        "--max-per-file",
        type=positive_int,
        default=500,
        metavar="N",
        help="matches kept per file (default 500); a file with more says so",
    )
    parser.add_argument("-i", "--ignore-case", action="store_true", help="case-insensitive")
    parser.add_argument("-F", "--fixed-strings", action="store_true", help="REGEX is a literal")
    parser.add_argument("--include", metavar="RE", help="only jobs whose name matches RE")
    parser.add_argument("--exclude", metavar="RE", help="leave out jobs whose name matches RE")
    parser.add_argument(
        "--failed-only", action="store_true", help="search failed builds only (all are counted)"
    )
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Run ``prowtui search``."""
    if args.context < 0:
        return usage_error("-C: expected a number of lines, 0 or more", "search")
    try:
        return int(run(lambda: _search(args)) or 0)
    except UsageError as exc:  # pragma: no cover - run() reports ProwtuiErrors itself
        return usage_error(str(exc), "search")


async def _search(args: argparse.Namespace) -> int:
    from prowtui.config import load_config
    from prowtui.logs.grep import Pattern
    from prowtui.search.run import SearchOptions, search_jobs

    try:
        spec, targets = resolve_job_dirs(args.source, args.patterns, "search")
        since, now = parse_window(args, spec)
    except UsageError as exc:
        return usage_error(str(exc), "search")
    concurrency = args.concurrency or load_config().concurrency_for(spec.kind)
    source = open_spec(spec, offline=args.offline, concurrency=concurrency)
    options = SearchOptions(
        pattern=Pattern(
            args.regex,
            fixed=args.fixed_strings,
            ignore_case=args.ignore_case,
            context=args.context,
            max_per_file=args.max_per_file,
        ),
        type=args.type,
        include=args.include,
        exclude=args.exclude,
        failed_only=args.failed_only,
        concurrency=concurrency,
    )
    try:
        report = await search_jobs(source, targets, options, since=since, now=now)
    except UsageError as exc:
        return usage_error(str(exc), "search")
    finally:
        await source.aclose()
    for pattern in report.unmatched:
        print(f"prowtui search: warning: {inert(pattern)}: matched no job", file=sys.stderr)
    for problem in report.problems:
        print(f"prowtui search: {inert(problem)}", file=sys.stderr)
    if args.json:
        # one write: json.dump writes every token separately (20,000 writes for 500 matches)
        sys.stdout.write(json.dumps(report.to_json(), indent=1) + "\n")
    elif sys.stdout.isatty():
        print_rich(report, sys.stdout)
    else:
        print_plain(report, sys.stdout)
    return 1 if report.problems else 0


def plural(count: int, noun: str) -> str:
    """``1 job``, ``2 jobs``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def percent(value: float | None) -> str:
    """0.425 -> '42.5%', None -> '-'."""
    return "-" if value is None else f"{value * 100:.1f}%"


def impact_line(job: JobMatches) -> str:
    """CI search's headline, in prowtui's counting."""
    return (
        f"{job.runs} runs, {job.failed} failed ({percent(job.failed_pct)}), "
        f"{job.matched_runs} matched, {job.matched_failed} of the failures "
        f"({percent(job.match_pct_of_failures)}) = {percent(job.impact)} impact"
    )


def build_line(build: BuildMatches) -> str:
    """``BUILD_ID  RESULT  started`` (pending for a build without a result)."""
    from prowtui.search.model import iso

    result = build.result or "PENDING"
    more = "  (some file had more matches)" if build.truncated else ""
    return f"{build.build_id}  {result}  {iso(build.started) or '-'}{more}"


def match_location(match: MatchRow) -> str:
    """``path:line`` (and the junit test case)."""
    where = f"{match.path}:{match.line}"
    return f"{where} [{match.test}]" if match.test else where


def _clip(text: str) -> str:
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


def print_plain(report: SearchReport, out: IO[str]) -> None:
    """The report as plain text (no colours), every bucket string inert."""
    out.write(_summary(report) + "\n")
    for job in report.jobs:
        out.write(f"\n{inert(job.job)}\n  {impact_line(job)}\n")
        for build in job.builds:
            out.write(f"  {build_line(build)}\n")
            for match in build.matches:
                for line in match.before:
                    out.write(f"      {inert(_clip(line))}\n")
                out.write(f"    {inert(match_location(match))}: {inert(_clip(match.text))}\n")
                for line in match.after:
                    out.write(f"      {inert(_clip(line))}\n")


def _summary(report: SearchReport) -> str:
    from prowtui.search.model import iso

    s = report.searched
    return (
        f"{plural(len(report.jobs), 'job')} with a match; searched {plural(s.builds, 'build')}, "
        f"{plural(s.files, 'file')}, "
        f"{s.bytes / 1e6:.1f} MB (window {report.query.since_s // 3600}h to "
        f"{iso(report.query.now)})"
    )


def highlighted(text: str, spans: list[tuple[int, int]]) -> Text:
    """A matched line (clipped) as Rich Text with its matches highlighted, made inert."""
    from rich.text import Text

    from prowtui.safetext import inert_text

    shown = _clip(text)
    out = Text()
    last = 0
    for start, end in spans:
        start, end = min(start, len(shown)), min(end, len(shown))
        if start < last:
            continue
        out.append_text(inert_text(shown[last:start]))
        out.append_text(inert_text(shown[start:end], style="bold black on yellow"))
        last = end
    out.append_text(inert_text(shown[last:]))
    return out


def print_rich(report: SearchReport, out: IO[str]) -> None:
    """The report for a terminal: jobs under their impact line, builds, highlighted matches."""
    from rich.console import Console
    from rich.text import Text

    from prowtui.safetext import inert_text

    console = Console(file=out, highlight=False)
    console.print(Text(_summary(report), style="dim"))
    for job in report.jobs:
        console.print()
        console.print(inert_text(job.job, style="bold"))
        console.print(Text("  " + impact_line(job), style="cyan"))
        for build in job.builds:
            style = RESULT_STYLES.get(build.result, "red")
            console.print(Text("  ") + Text(build_line(build), style=style))
            for match in build.matches:
                for line in match.before:
                    console.print(Text("      ", style="dim") + inert_text(_clip(line), "dim"))
                head = Text("    ") + inert_text(match_location(match) + ": ", style="magenta")
                console.print(head + highlighted(match.text, match.spans), soft_wrap=True)
                for line in match.after:
                    console.print(Text("      ", style="dim") + inert_text(_clip(line), "dim"))

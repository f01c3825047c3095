"""Line matching for ``prowtui search``: ripgrep (``rg``) as the one engine for every source.

ripgrep's regular expressions run in linear time (no backreferences, no look-around), so no
pattern can hang a search; it reads files with several threads and bytes on stdin alike, so
a local mirror and a remote bucket are answered by the same matcher, line for line.

Two ways in: :func:`search_files` runs one ``rg`` over many files on disk (its parallelism
counts); :func:`search_stream` feeds one object's bytes to an ``rg`` reading stdin as they
arrive (nothing is held whole). Both give a :class:`FileHits` per file: 1-based line numbers,
the line (``\\r\\n`` endings stripped, UTF-8 with replacement characters, a line longer than
:data:`MAX_LINE_CHARS` clipped around the match), where the match is in it, and ``-C N``
context that stops at a neighbouring match. ``max_per_file`` caps one file's matches
(``truncated`` says there were more).

The ``rg`` binary is the one the ``ripgrep`` package installs beside this interpreter's
scripts, never whatever ``rg`` comes first on ``PATH``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import re
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from prowtui.errors import ParseError, UsageError

#: a matched line longer than this many characters is clipped around its first match
MAX_LINE_CHARS = 64 * 1024
#: how much of a clipped line is kept before its first match
CLIP_BEFORE = 1024
#: rg's output lines (one JSON document each) are read up to this size
MAX_OUTPUT_LINE = 1 << 30
#: total length of the file arguments handed to one rg process (far below ARG_MAX)
MAX_ARGS_CHARS = 96 * 1024
#: stdin bytes written to rg per step
STDIN_CHUNK = 1 << 20


@dataclass(frozen=True)
class Pattern:
    """What to look for and how much to give back."""

    regex: str
    fixed: bool = False
    ignore_case: bool = False
    context: int = 0
    max_per_file: int = 500


@dataclass
class Hit:
    """One matching line: its number, text, the match's span in ``text``, and context."""

    line: int
    text: str
    spans: list[tuple[int, int]]
    before: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)


@dataclass
class FileHits:
    """The matches of one file (or stream), in line order, and how much was searched."""

    hits: list[Hit] = field(default_factory=list)
    truncated: bool = False
    bytes_searched: int = 0


@lru_cache(maxsize=1)
def rg_binary() -> str:
    """The ``rg`` of the ``ripgrep`` package installed with prowtui (beside the interpreter's
    scripts, or listed in the package's files); a ParseError-free UsageError when missing."""
    name = "rg.exe" if sys.platform == "win32" else "rg"
    for candidate in (
        Path(sysconfig.get_path("scripts")) / name,
        Path(sys.executable).parent / name,
    ):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)  # found without importing importlib.metadata (8 ms)
    candidates = []
    try:
        from importlib.metadata import PackageNotFoundError, files

        try:
            for item in files("ripgrep") or []:
                if item.name == name:
                    candidates.append(Path(str(item.locate())).resolve())
        except PackageNotFoundError:
            pass
    except ImportError:  # pragma: no cover - always present on 3.11
        pass
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise UsageError("the rg binary of the ripgrep package is missing: pip install ripgrep")


def rg_args(pattern: Pattern) -> list[str]:
    """The rg command line (without files) for ``pattern``: JSON output, every byte searched
    as text, CRLF line ends, no config file, no encoding sniffing, one match more than the cap
    (so a file with more says so)."""
    args = [
        rg_binary(),
        "--json",
        "--no-config",
        "--text",
        "--crlf",
        "--encoding",
        "none",
        "--no-ignore",
        "--hidden",
        "--max-count",
        str(pattern.max_per_file + 1),
    ]
    if pattern.context:
        args += ["--context", str(pattern.context)]
    if pattern.fixed:
        args.append("--fixed-strings")
    if pattern.ignore_case:
        args.append("--ignore-case")
    else:
        args.append("--case-sensitive")
    args += ["--regexp", pattern.regex]
    return args


_RG_PREFIX = re.compile(r"^rg: ")


def clean_rg_error(stderr: str) -> str:
    """rg's multi-line complaint about a pattern as one line: the problem and, for a parse
    error, the pattern as rg read it."""
    lines = [line.rstrip() for line in stderr.strip().splitlines() if line.strip()]
    if not lines:
        return "rg rejected the pattern"
    first = _RG_PREFIX.sub("", lines[0])
    problem = next((ln.strip() for ln in lines if ln.strip().startswith("error:")), "")
    if problem:
        return f"{first.rstrip(':')}: {problem[len('error:') :].strip()}"
    return " ".join(_RG_PREFIX.sub("", line).strip() for line in lines)


async def check_pattern(pattern: Pattern) -> None:
    """Raise UsageError (one line) when rg rejects the pattern: run it once on no input."""
    proc = await asyncio.create_subprocess_exec(
        *rg_args(pattern),
        "-",
        # no input at all (an stdin pipe raced rg's exit on a bad pattern: "handler is closed")
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    if proc.returncode not in (0, 1):
        problem = clean_rg_error(err.decode(errors="replace"))
        raise UsageError(f"invalid pattern {pattern.regex!r}: {problem}")


def _text(value: dict[str, str]) -> str:
    """rg's ``{"text": ...}`` or ``{"bytes": base64}`` as text (UTF-8 with replacement)."""
    if "text" in value:
        return value["text"]
    return base64.b64decode(value.get("bytes", "")).decode("utf-8", errors="replace")


def _raw(value: dict[str, str]) -> bytes:
    if "text" in value:
        return value["text"].encode("utf-8", errors="surrogatepass")
    return base64.b64decode(value.get("bytes", ""))


def _strip_eol(raw: bytes) -> bytes:
    if raw.endswith(b"\n"):
        raw = raw[:-1]
        if raw.endswith(b"\r"):
            raw = raw[:-1]
    return raw


def _line_text(value: dict[str, str], spans: Sequence[tuple[int, int]]) -> tuple[str, list]:
    """The line without its end, decoded, clipped around the first match when too long; the
    match spans as character offsets into the returned text."""
    raw = _strip_eol(_raw(value))
    if not spans:
        text = raw.decode("utf-8", errors="replace")
        if len(text) > MAX_LINE_CHARS:
            text = text[:MAX_LINE_CHARS]
        return text, []
    offset = 0
    if len(raw) > MAX_LINE_CHARS:
        offset = max(0, spans[0][0] - CLIP_BEFORE)
        raw = raw[offset : offset + MAX_LINE_CHARS]
    text_spans: list[tuple[int, int]] = []
    for start, end in spans:
        start, end = start - offset, min(end - offset, len(raw))
        if start < 0 or start >= len(raw):
            continue
        # character offsets of the byte offsets, counting replacement characters as rg's
        # bytes decode them
        s = len(raw[:start].decode("utf-8", errors="replace"))
        e = s + len(raw[start:end].decode("utf-8", errors="replace"))
        text_spans.append((s, e))
    return raw.decode("utf-8", errors="replace"), text_spans


class _Collector:
    """Turns rg's JSON messages for one file into a :class:`FileHits`."""

    def __init__(self, pattern: Pattern) -> None:
        self.pattern = pattern
        self.result = FileHits()
        self._count = 0
        self._pending_before: list[tuple[int, str]] = []

    def add(self, message: dict) -> None:
        kind = message.get("type")
        data = message.get("data") or {}
        if kind == "match":
            self._match(data)
        elif kind == "context":
            self._context(data)
        elif kind == "end":
            stats = data.get("stats") or {}
            self.result.bytes_searched = int(stats.get("bytes_searched") or 0)

    def _match(self, data: dict) -> None:
        self._count += 1
        if self._count > self.pattern.max_per_file:
            self.result.truncated = True
            return
        spans = [(int(s["start"]), int(s["end"])) for s in data.get("submatches") or []]
        text, text_spans = _line_text(data.get("lines") or {}, spans)
        number = int(data.get("line_number") or 0)
        before = [t for n, t in self._pending_before if n >= number - self.pattern.context]
        self._pending_before = []
        self.result.hits.append(Hit(number, text, text_spans, before))

    def _context(self, data: dict) -> None:
        if self.result.truncated:
            return
        number = int(data.get("line_number") or 0)
        text, _ = _line_text(data.get("lines") or {}, [])
        hits = self.result.hits
        if hits and number - hits[-1].line <= self.pattern.context and not self._pending_before:
            hits[-1].after.append(text)
        else:
            self._pending_before.append((number, text))


async def _read_messages(stream: asyncio.StreamReader, on_message: Callable[[dict], None]) -> None:
    while True:
        line = await stream.readline()
        if not line:
            return
        with contextlib.suppress(ValueError):
            on_message(json.loads(line))


def _batches(paths: Sequence[str]) -> list[list[str]]:
    """File arguments cut into groups that fit one command line."""
    batches: list[list[str]] = []
    current: list[str] = []
    size = 0
    for path in paths:
        if current and size + len(path) + 1 > MAX_ARGS_CHARS:
            batches.append(current)
            current, size = [], 0
        current.append(path)
        size += len(path) + 1
    if current:
        batches.append(current)
    return batches


async def search_files(
    pattern: Pattern, paths: Sequence[str], *, on_file: Callable[[str, FileHits], None]
) -> dict[str, str]:
    """Search files on disk with rg (one process per command line's worth of files, each
    using every core); ``on_file(path, hits)`` for each file with a match, in rg's order,
    once its process has ended.
    Returns the files rg could not read, with its reason."""
    errors: dict[str, str] = {}
    for batch in _batches(list(paths)):
        errors.update(await _search_batch(pattern, batch, on_file))
    return errors


async def _search_batch(
    pattern: Pattern, batch: list[str], on_file: Callable[[str, FileHits], None]
) -> dict[str, str]:
    # started with subprocess (vfork: about half a millisecond) rather than the event loop's
    # subprocess support (uvloop forks the whole process: 5-7 ms of the loop's time per rg, a
    # tenth of a remote search's wall time at 50-60 rg runs); its output is read and parsed in
    # a thread, and a cancelled search kills it
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [*rg_args(pattern), "--", *batch],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=err,
        )
        try:
            found = await asyncio.to_thread(_collect_batch, pattern, proc)
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await asyncio.to_thread(proc.wait)
            raise
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    for path, hits in found:
        on_file(path, hits)
    if proc.returncode not in (0, 1) and not stderr:
        raise ParseError(f"rg exited with status {proc.returncode}")
    return _file_errors(stderr, batch)


def _collect_batch(pattern: Pattern, proc: subprocess.Popen[bytes]) -> list[tuple[str, FileHits]]:
    """Read rg's JSON messages to its end (in a worker thread): the files with a match, in
    rg's order, each with its hits."""
    assert proc.stdout is not None
    collectors: dict[str, _Collector] = {}
    found: list[tuple[str, FileHits]] = []
    with proc.stdout:
        for line in proc.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            data = message.get("data") or {}
            path_value = data.get("path")
            if not isinstance(path_value, dict):
                continue
            path = _text(path_value)
            collector = collectors.get(path)
            if collector is None:
                collector = collectors[path] = _Collector(pattern)
            collector.add(message)
            if message.get("type") == "end":
                del collectors[path]
                if collector.result.hits:
                    found.append((path, collector.result))
    proc.wait()
    return found


def _file_errors(stderr: str, batch: Sequence[str]) -> dict[str, str]:
    """rg's per-file complaints (``rg: PATH: reason``) by path."""
    errors: dict[str, str] = {}
    known = set(batch)
    for line in stderr.splitlines():
        body = _RG_PREFIX.sub("", line)
        for path in known:
            if body.startswith(path + ": "):
                errors[path] = body[len(path) + 2 :].strip()
                break
    return errors


async def search_stream(pattern: Pattern, chunks: AsyncIterator[bytes]) -> FileHits:
    """Feed ``chunks`` (one object's bytes, as they arrive) to an rg reading stdin. The
    object is read to its end even when rg stops early (a file past ``max_per_file``), so a
    caching source keeps its copy; the bytes fed are ``bytes_searched``."""
    proc = await asyncio.create_subprocess_exec(
        *rg_args(pattern),
        "-",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        limit=MAX_OUTPUT_LINE,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    collector = _Collector(pattern)
    fed = 0

    async def feed() -> None:
        nonlocal fed
        writing = True
        try:
            async for chunk in chunks:
                fed += len(chunk)
                if not writing:
                    continue
                try:
                    for start in range(0, len(chunk), STDIN_CHUNK):
                        proc.stdin.write(chunk[start : start + STDIN_CHUNK])  # type: ignore[union-attr]
                        await proc.stdin.drain()  # type: ignore[union-attr]
                except (BrokenPipeError, ConnectionResetError):
                    writing = False  # rg has all it wants; keep reading for the cache
        finally:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError, OSError):
                proc.stdin.close()  # type: ignore[union-attr]
                await proc.stdin.wait_closed()  # type: ignore[union-attr]

    try:
        results = await asyncio.gather(
            feed(), _read_messages(proc.stdout, collector.add), proc.stderr.read()
        )
        await proc.wait()
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        raise
    if proc.returncode not in (0, 1):
        err = results[2].decode(errors="replace").strip().splitlines()
        raise ParseError(f"rg failed: {err[0] if err else proc.returncode}")
    collector.result.bytes_searched = fed
    return collector.result


async def search_bytes(pattern: Pattern, data: bytes) -> FileHits:
    """:func:`search_stream` over bytes already in memory (junit failure messages)."""

    async def once() -> AsyncIterator[bytes]:
        yield data

    return await search_stream(pattern, once())

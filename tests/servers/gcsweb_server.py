"""A real gcsweb-format HTTP server over a local directory tree, for tests and benchmarks.

Public API (imported by other tests; keep stable)::

    from tests.servers.gcsweb_server import FaultPlan, GcswebServer

    with GcswebServer(root, "test-bucket", generation="legacy", page_size=3) as server:
        source = GcswebSource(server.base_url, server.bucket, storage_url=server.storage_url)

The tree is laid out as ``<root>/<object key>``; the bucket is the root. A file whose bytes
are gzip but whose name has no gzip suffix (``prowtui.sources.encoding.looks_gzip_encoded``) is
a gzip-encoded object. Directories with no file below them do not exist (as in GCS).

``generation="modern"`` (reference §1.3/§1.6/§4): RFC1123 dates from file mtimes, ``/gcs/``
file hrefs, raw (unescaped) names, file bytes proxied chunked without Content-Length and
decompressed, ``Content-Type: ...; charset=gzip`` for gzip-encoded objects, ``Range``
ignored, HTTP 200 with an empty listing for a missing path, no pagination, a ``<details>``
download block, no ``..`` row at the root, 405 for methods other than GET.

``generation="legacy"``: html-escaped names, percent-encoded hrefs, absolute file links to
``storage_url``, ``02 Jan 2006 15:04:05`` dates, ``Next page`` anchors (``?marker=`` with
lowercase-hex query escaping) at the top and bottom when a directory has more than
``page_size`` entries, 307 from ``/gcs/<bucket>/<file>`` to storage, ``..`` at the root
pointing to ``/gcs/``.

``storage_url`` is a second port acting as storage.googleapis.com: ``GET``/``HEAD
/<bucket>/<key>``, ``Content-Encoding: gzip`` with the stored bytes when the client accepts
gzip (else decompressed, chunked, ``Range`` ignored), ``Content-Length``, ``Range`` → 206.

Both ports: ``/gcs/<bucket>`` → 308; an unknown bucket → 303 to the cloud console (a foreign
host); ``redirects`` maps a request path to ``(status, location)`` for redirect tests and
``statuses`` a path to a fixed status (403, 404, ...), ``responses`` a path to a verbatim
``(status, headers, body)``; ``range_requests`` records Range headers;
``latency`` seconds from each request to its answer (the server's own work included);
``request_count`` / ``paths_requested`` / ``requests`` record traffic (``reset_counts()``);
``faults`` injects failures (:class:`FaultPlan`).
"""

from __future__ import annotations

import contextlib
import gzip
import html
import mimetypes
import os
import random
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, quote, unquote, urlsplit

from prowtui.sources.encoding import looks_gzip_encoded

FAULT_KINDS = ("500", "429", "reset", "stall", "truncate")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


@dataclass
class FaultPlan:
    """Deterministic injected failures.

    A share ``share`` of requests fails with one of ``kinds`` (chosen from ``seed`` and the
    request number): ``"500"``, ``"429"`` (``Retry-After: 0``), ``"reset"`` (TCP RST before
    any response), ``"stall"`` (silence for ``stall_seconds``, longer than the client's read
    timeout, then close) or ``"truncate"`` (the body cut below its ``Content-Length``). No path
    fails more than ``max_consecutive`` times in a row, so a client with more attempts than
    that always recovers. A request whose path contains one of ``permanent_paths`` always
    answers 500.
    """

    share: float
    kinds: tuple[str, ...] = FAULT_KINDS
    seed: int = 0
    permanent_paths: set[str] = field(default_factory=set)
    stall_seconds: float = 2.0
    max_consecutive: int = 2
    _counter: int = field(default=0, init=False, repr=False)
    _streaks: dict[str, int] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        unknown = set(self.kinds) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}")

    def decide(self, path: str) -> str | None:
        """The fault for the next request to ``path``, or None to answer normally."""
        if any(part in path for part in self.permanent_paths):
            return "permanent"
        with self._lock:
            self._counter += 1
            rng = random.Random(f"{self.seed}:{self._counter}")
            streak = self._streaks.get(path, 0)
            if self.kinds and streak < self.max_consecutive and rng.random() < self.share:
                self._streaks[path] = streak + 1
                return rng.choice(self.kinds)
            self._streaks[path] = 0
            return None


def rfc1123(mtime: float) -> str:
    """Go's ``time.RFC1123`` in UTC, independent of the locale."""
    t = time.gmtime(mtime)
    return (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} UTC"
    )


def legacy_date(mtime: float) -> str:
    """Legacy gcsweb's ``02 Jan 2006 15:04:05`` (UTC)."""
    t = time.gmtime(mtime)
    return (
        f"{t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
    )


def query_escape_lower(value: str) -> str:
    """Percent-encode every byte outside the unreserved set, with lowercase hex (html/template)."""
    return "".join(chr(b) if b in _UNRESERVED else f"%{b:02x}" for b in value.encode("utf-8"))


def normalize_href(url: str) -> str:
    """html/template URL normalisation: spaces and non-ASCII encoded, ``%xx`` escapes kept."""
    return quote(url, safe="/:@!$&'()*+,;=-._~%?#")


@dataclass(frozen=True)
class _Object:
    name: str
    size: int
    mtime: float


class _TreeView:
    """The bucket as GCS sees a directory tree: one-level listings and object lookups."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def file(self, key: str) -> Path | None:
        if not key or key.endswith("/"):
            return None
        candidate = (self.root / key).resolve()
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        return candidate

    @staticmethod
    def _has_files(directory: str) -> bool:
        """True when a file lies anywhere below ``directory`` (stops at the first)."""
        pending = [directory]
        while pending:
            with os.scandir(pending.pop()) as entries:
                for entry in entries:
                    if entry.is_file():
                        return True
                    if entry.is_dir(follow_symlinks=False):  # as rglob: no symlink loops
                        pending.append(entry.path)
        return False

    def children(self, prefix: str) -> tuple[list[str], list[_Object]]:
        """Sub-directory names (with ``/``) and objects directly under ``prefix``."""
        directory = (self.root / prefix).resolve() if prefix else self.root
        if not directory.is_relative_to(self.root) or not directory.is_dir():
            return [], []
        dirs, files = [], []
        with os.scandir(directory) as entries:
            for child in entries:
                if child.is_dir():
                    if self._has_files(child.path):
                        dirs.append(child.name + "/")
                elif child.is_file():
                    stat = child.stat()
                    files.append(_Object(child.name, stat.st_size, stat.st_mtime))
        return sorted(dirs), sorted(files, key=lambda o: o.name)


def _content_type(name: str) -> str:
    guessed = mimetypes.guess_type(name)[0]
    if name.endswith((".log", ".txt")) or (guessed is None and "." not in name):
        guessed = "text/plain"
    guessed = guessed or "application/octet-stream"
    if guessed.startswith("text/") or guessed == "application/json":
        guessed += "; charset=utf-8"
    return guessed


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10
    disable_nagle_algorithm = True  # small header/body writes would wait on delayed ACKs
    server: _Server
    #: the object file being answered (ranged reads seek in it)
    _file: Path

    def log_message(self, format: str, *args: object) -> None:
        """Silence the default stderr access log."""

    def handle(self) -> None:
        with contextlib.suppress(ConnectionError, TimeoutError, OSError):
            super().handle()

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    # -- plumbing ---------------------------------------------------------------------------

    def _dispatch(self, method: str) -> None:
        owner = self.server.owner
        owner._record(self.server.role, method, self.path)
        self._truncate = False
        # the answer leaves ``latency`` after the request came: the work of building it
        # (listing a directory, rendering the page) happens within that time, not on top
        self._answer_at = time.monotonic() + owner.latency
        fault = owner.faults.decide(self.path) if owner.faults else None
        if fault == "reset":
            self._reset()
            return
        if fault == "stall":
            self._wait_latency()
            time.sleep(owner.faults.stall_seconds if owner.faults else 2.0)
            self.close_connection = True
            return
        head = method == "HEAD"  # an answer to HEAD has headers only, whatever it says
        if fault in ("500", "permanent"):
            self._send(500, b"Error: injected fault\n", "text/plain; charset=utf-8", head_only=head)
            return
        if fault == "429":
            extra = {"Retry-After": "0"}
            self._send(429, b"rate limited\n", "text/plain", extra=extra, head_only=head)
            return
        self._truncate = fault == "truncate"
        path = urlsplit(self.path).path
        if path in owner.redirects:
            status, location = owner.redirects[path]
            self._send(status, b"", "text/plain", extra={"Location": location}, head_only=head)
        elif path in owner.responses:
            status, headers, body = owner.responses[path]
            headers = dict(headers)
            content_type = headers.pop("Content-Type", None)
            self._send(status, body, content_type, extra=headers, head_only=head)
        elif path in owner.statuses:
            status = owner.statuses[path]
            body = f"HTTP {status}\n".encode()
            self._send(status, body, "text/plain; charset=utf-8", head_only=head)
        elif self.server.role == "storage":
            self._storage(method)
        else:
            self._gcsweb(method)

    def _wait_latency(self) -> None:
        """Sleep until the answer is due (once per request)."""
        delay = getattr(self, "_answer_at", 0.0) - time.monotonic()
        self._answer_at = 0.0
        if delay > 0:
            time.sleep(delay)

    def _reset(self) -> None:
        self._wait_latency()
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str | None,
        *,
        extra: dict[str, str] | None = None,
        head_only: bool = False,
        length: int | None = None,
    ) -> None:
        truncate = getattr(self, "_truncate", False)
        self._wait_latency()
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        declared = len(body) if length is None else length
        if truncate:
            body = body[: len(body) // 2]
            declared = max(declared, len(body) + 1)
            self.close_connection = True
        self.send_header("Content-Length", str(declared))
        self.end_headers()
        if not head_only:
            self.wfile.write(body)
        if truncate:
            with contextlib.suppress(OSError):  # FIN now, not when the handler thread gets to it
                self.connection.shutdown(socket.SHUT_WR)

    def _send_chunked(
        self, status: int, chunks: Callable[[], Iterator[bytes]], headers: dict[str, str]
    ) -> None:
        """A chunked body without Content-Length (a truncate fault sends a sized, cut body)."""
        if getattr(self, "_truncate", False):
            size = sum(len(chunk) for chunk in chunks())  # measured in pieces, not kept
            content_type = headers.pop("Content-Type", None)
            self._send_file(status, 0, size, content_type, headers, chunks=chunks())
            return
        self._wait_latency()
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in chunks():
            if chunk:
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    def _send_file(
        self,
        status: int,
        start: int,
        length: int,
        content_type: str | None,
        extra: dict[str, str],
        *,
        head_only: bool = False,
        chunks: Iterator[bytes] | None = None,
    ) -> None:
        """Send ``length`` bytes of the current file from ``start`` (read in pieces, never whole).

        ``chunks`` overrides where the bytes come from (a decompressing reader); a truncate
        fault sends half of them under the full Content-Length and closes the connection.
        """
        truncate = getattr(self, "_truncate", False)
        self._wait_latency()
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for key, value in extra.items():
            self.send_header(key, value)
        budget = length // 2 if truncate else length
        self.send_header("Content-Length", str(max(length, budget + 1) if truncate else length))
        self.end_headers()
        if head_only:
            return
        source = chunks if chunks is not None else _file_chunks(self._file, start, length)
        for chunk in source:
            if budget <= 0:
                break
            self.wfile.write(chunk[:budget])
            budget -= len(chunk)
        if truncate:
            self.close_connection = True
            with contextlib.suppress(OSError):  # FIN now, not when the handler thread gets to it
                self.connection.shutdown(socket.SHUT_WR)

    # -- gcsweb ------------------------------------------------------------------------------

    def _gcsweb(self, method: str) -> None:
        owner = self.server.owner
        parts = urlsplit(self.path)
        path = parts.path
        if method != "GET":
            self._send(405, b"Method not allowed\n", "text/plain; charset=utf-8")
            return
        if path == f"/gcs/{owner.bucket}":
            location = path + "/" + (f"?{parts.query}" if parts.query else "")
            self._send(308, b"", "text/html; charset=utf-8", extra={"Location": location})
            return
        if not path.startswith("/gcs/"):
            self._send(404, b"404 page not found\n", "text/plain; charset=utf-8")
            return
        bucket, _, raw_key = path[len("/gcs/") :].partition("/")
        if bucket != owner.bucket:
            console = f"https://console.cloud.google.com/storage/browser/{bucket}/{raw_key}"
            self._send(303, b"", "text/html; charset=utf-8", extra={"Location": console})
            return
        key = unquote(raw_key)
        if owner.generation == "modern":
            self._modern(key)
        else:
            marker = parse_qs(parts.query).get("marker", [""])[0]
            self._legacy(key, marker)

    def _modern(self, key: str) -> None:
        owner = self.server.owner
        file = owner.tree.file(key.rstrip("/"))
        if file is not None:
            self._proxy_file(file)
            return
        prefix = key.rstrip("/") + "/" if key.strip("/") else ""
        dirs, files = owner.tree.children(prefix)
        page = owner.render_modern(prefix, dirs, files)
        self._send(200, page.encode("utf-8"), "text/html; charset=utf-8")

    def _proxy_file(self, file: Path) -> None:
        """Modern gcsweb proxies the whole object, decompressed, chunked."""
        self._file = file
        content_type = _content_type(file.name)
        if _is_gzip_encoded(file):
            content_type += "; charset=gzip"
            self._send_chunked(200, lambda: _gunzip_chunks(file), {"Content-Type": content_type})
        else:
            size = file.stat().st_size
            self._send_chunked(
                200, lambda: _file_chunks(file, 0, size), {"Content-Type": content_type}
            )

    def _legacy(self, key: str, marker: str) -> None:
        owner = self.server.owner
        prefix = key.rstrip("/") + "/" if key.strip("/") else ""
        dirs, files = owner.tree.children(prefix)
        if prefix and not dirs and not files:
            target = f"{owner.storage_url}/{quote(owner.bucket)}/{quote(key.rstrip('/'))}"
            self._send(307, b"", "text/html; charset=utf-8", extra={"Location": target})
            return
        page = owner.render_legacy(prefix, dirs, files, marker)
        self._send(200, page.encode("utf-8"), "text/html; charset=utf-8")

    # -- storage -----------------------------------------------------------------------------

    def _storage(self, method: str) -> None:
        owner = self.server.owner
        bucket, _, raw_key = urlsplit(self.path).path.lstrip("/").partition("/")
        file = owner.tree.file(unquote(raw_key)) if bucket == owner.bucket else None
        if method not in ("GET", "HEAD"):
            self._send(405, b"", "text/plain")
            return
        if file is None:
            body = b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>NoSuchKey</Code></Error>"
            self._send(404, body, "application/xml; charset=UTF-8", head_only=method == "HEAD")
            return
        self._file = file
        stat = file.stat()
        encoded = _is_gzip_encoded(file)
        headers = {
            "Last-Modified": formatdate(stat.st_mtime, usegmt=True),
            "x-goog-stored-content-length": str(stat.st_size),
            "x-goog-stored-content-encoding": "gzip" if encoded else "identity",
            "Accept-Ranges": "bytes",
        }
        accepts_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        content_type = _content_type(file.name)
        if encoded and not accepts_gzip:  # decompressive transcoding: whole, chunked, no length
            if method == "HEAD":
                self._send(200, b"", content_type, extra=headers, head_only=True)
            else:
                self._send_chunked(
                    200, lambda: _gunzip_chunks(file), {"Content-Type": content_type, **headers}
                )
            return
        if encoded:
            headers["Content-Encoding"] = "gzip"
        self._ranged(method, stat.st_size, content_type, headers)

    def _ranged(self, method: str, size: int, content_type: str, headers: dict[str, str]) -> None:
        """Answer from the file's size: 200 whole, 206 for one satisfiable range, else 416."""
        spec = self.headers.get("Range", "")
        if spec:
            self.server.owner._record_range(self.path, spec)
        head_only = method == "HEAD"
        first, _, last = spec[len("bytes=") :].strip().partition("-")
        try:
            if not spec.startswith("bytes=") or "," in spec:
                raise ValueError(spec)
            if first == "":
                start, stop = max(0, size - int(last)), size - 1
            else:
                start, stop = int(first), (int(last) if last else size - 1)
        except ValueError:
            self._send_file(200, 0, size, content_type, headers, head_only=head_only)
            return
        stop = min(stop, size - 1)
        if start >= size or start > stop:
            extra = {**headers, "Content-Range": f"bytes */{size}"}
            self._send(416, b"", content_type, extra=extra, head_only=head_only)
            return
        extra = {**headers, "Content-Range": f"bytes {start}-{stop}/{size}"}
        self._send_file(206, start, stop - start + 1, content_type, extra, head_only=head_only)


_CHUNK = 64 * 1024


def _is_gzip_encoded(file: Path) -> bool:
    with file.open("rb") as handle:
        return looks_gzip_encoded(file.name, handle.read(2))


def _file_chunks(file: Path, start: int, length: int) -> Iterator[bytes]:
    """``length`` bytes of ``file`` from ``start``, read by seeking, in pieces."""
    with file.open("rb") as handle:
        handle.seek(start)
        while length > 0:
            chunk = handle.read(min(_CHUNK, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk


def _gunzip_chunks(file: Path) -> Iterator[bytes]:
    """The decompressed bytes of a gzip file, in pieces."""
    with gzip.open(file, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            yield chunk


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, owner: GcswebServer, role: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.owner = owner
        self.role = role

    def handle_error(self, request: object, client_address: object) -> None:
        """Client hang-ups (expected with faults and stalls) are not errors worth printing."""


class GcswebServer:
    """A gcsweb (plus fake storage host) over ``root``; see the module docstring."""

    def __init__(
        self,
        root: Path,
        bucket: str = "test-bucket",
        *,
        generation: Literal["modern", "legacy"] = "modern",
        latency: float = 0.0,
        page_size: int = 1000,
        faults: FaultPlan | None = None,
    ) -> None:
        if generation not in ("modern", "legacy"):
            raise ValueError(f"unknown generation {generation!r}")
        self.root = Path(root)
        self.bucket = bucket
        self.generation = generation
        self.latency = latency
        self.page_size = max(1, page_size)
        self.faults = faults
        self.tree = _TreeView(self.root)
        #: request path → (status, Location) answered verbatim on both ports
        self.redirects: dict[str, tuple[int, str]] = {}
        #: request path → a status answered with a tiny text body on both ports (403, 404, ...)
        self.statuses: dict[str, int] = {}
        #: request path → (status, headers, body) answered verbatim (hostile pages, odd bodies)
        self.responses: dict[str, tuple[int, dict[str, str], bytes]] = {}
        #: (path, Range header) of ranged storage requests
        self.range_requests: list[tuple[str, str]] = []
        self.requests: list[tuple[str, str, str]] = []
        self._count_lock = threading.Lock()
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []
        self.base_url = ""
        self.storage_url = ""

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> GcswebServer:
        """Bind both ports on 127.0.0.1 and serve in background threads."""
        if self._servers:
            return self
        for role in ("gcsweb", "storage"):
            server = _Server(self, role)
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            thread.start()
            self._servers.append(server)
            self._threads.append(thread)
        self.base_url = f"http://127.0.0.1:{self._servers[0].server_address[1]}"
        self.storage_url = f"http://127.0.0.1:{self._servers[1].server_address[1]}"
        return self

    def stop(self) -> None:
        """Stop serving and close the listening sockets."""
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> GcswebServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- traffic records -----------------------------------------------------------------------

    def _record(self, role: str, method: str, path: str) -> None:
        with self._count_lock:
            self.requests.append((role, method, path))

    def _record_range(self, path: str, spec: str) -> None:
        with self._count_lock:
            self.range_requests.append((path, spec))

    @property
    def request_count(self) -> int:
        """Requests answered on both ports since start or the last ``reset_counts()``."""
        with self._count_lock:
            return len(self.requests)

    @property
    def paths_requested(self) -> list[str]:
        """Raw request paths (with query) in arrival order; storage paths lack ``/gcs/``."""
        with self._count_lock:
            return [path for _, _, path in self.requests]

    def reset_counts(self) -> None:
        """Forget recorded requests."""
        with self._count_lock:
            self.requests.clear()
            self.range_requests.clear()

    # -- page rendering ------------------------------------------------------------------------
    # The text gcsweb's Go templates print (kubernetes/test-infra gcsweb/cmd/gcsweb), tabs and
    # all: the page header with its inline <style>, the content header, the grid header, one
    # grid item per row, the next-page button (legacy), and on modern pages the content
    # footer's download block (the gsutil-only form gcsweb served from 2022 to 2025).

    _PAGE_HEADER = (
        "\n    <!doctype html>\n   \t<html>\n   \t<head>\n"
        '   \t    <link rel="stylesheet" type="text/css" href="/styles/style.css">\n'
        '   \t    <meta charset="utf-8">\n'
        '   \t    <meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
        "   \t    <title>GCS browser: {bucket}</title>\n"
        "\t\t<style>\n"
        "\t\theader {{\n\t\t\tmargin-left: 10px;\n\t\t}}\n\n"
        "\t\t.next-button {{\n\t\t\tmargin: 10px 0;\n\t\t}}\n\n"
        "\t\t.grid-head {{\n\t\t\tborder-bottom: 1px solid black;\n\t\t}}\n\n"
        "\t\t.resource-grid {{\n\t\t\tmargin-right: 20px;\n\t\t}}\n\n"
        "\t\tli.grid-row:nth-child(even) {{\n\t\t\tbackground-color: #ddd;\n\t\t}}\n\n"
        "\t\tli div {{\n\t\t\tbox-sizing: border-box;\n\t\t\tborder-left: 1px solid black;\n"
        "\t\t\tpadding-left: 5px;\n\t\t\toverflow-wrap: break-word;\n\t\t}}\n"
        "\t\tli div:first-child {{\n\t\t\tborder-left: none;\n\t\t}}\n\n"
        "\t\t</style>\n   \t</head>\n   \t<body>\n"
        "\n    <header>\n        <h1>{bucket}</h1>\n        <h3>{path}</h3>\n    </header>\n"
        '    <ul class="resource-grid">\n'
    )

    _GRID_HEADER = (
        '\n\t<li class="pure-g">\n'
        '\t\t<div class="pure-u-2-5 grid-head">Name</div>\n'
        '\t\t<div class="pure-u-1-5 grid-head">Size</div>\n'
        '\t\t<div class="pure-u-2-5 grid-head">Modified</div>\n\t</li>\n'
    )

    _NEXT_BUTTON = (
        '\n    <a href="{href}"\n\t   class="pure-button next-button">\n\t   Next page\n\t</a>\n'
    )

    _DOWNLOAD = (
        "\n<details>\n"
        '\t<summary style="display: list-item; padding-left: 1em">Download</summary>\n'
        '\t<div style="padding: 1em">\n'
        "\t\tYou can download this directory by running the following "
        '<a href="https://cloud.google.com/storage/docs/gsutil">gsutil</a> command:\n'
        "\t\t<pre>gsutil -m cp -r {gs} .</pre>\n"
        "\t</div>\n</details>"
    )

    def _head(self, prefix: str, escape: bool) -> str:
        bucket = html.escape(self.bucket) if escape else self.bucket
        h3 = f"/{self.bucket}/{prefix}"
        h3 = html.escape(h3) if escape else h3
        return self._PAGE_HEADER.format(bucket=bucket, path=h3)

    @staticmethod
    def _row(href: str, icon: str, name: str, size: str, modified: str) -> str:
        return (
            '\n    <li class="pure-g grid-row">\n'
            f'\t    <div class="pure-u-2-5"><a href="{href}"><img src="/icons/{icon}"> '
            f"{name}</a></div>\n"
            f'\t    <div class="pure-u-1-5">{size}</div>\n'
            f'\t    <div class="pure-u-2-5">{modified}</div>\n\t</li>\n'
        )

    @staticmethod
    def _parent(prefix: str) -> str:
        trimmed = prefix.rstrip("/")
        return trimmed.rsplit("/", 1)[0] + "/" if "/" in trimmed else ""

    def render_modern(self, prefix: str, dirs: list[str], files: list[_Object]) -> str:
        """A modern (text/template, unescaped) page for ``prefix``."""
        base = f"/gcs/{self.bucket}/"
        out = [self._head(prefix, escape=False), self._GRID_HEADER]
        if prefix:
            out.append(self._row(base + self._parent(prefix), "back.png", "..", "-", "-"))
        for name in dirs:
            out.append(self._row(base + prefix + name, "dir.png", name, "-", "-"))
        for obj in files:
            href = base + prefix + obj.name
            out.append(self._row(href, "file.png", obj.name, str(obj.size), rfc1123(obj.mtime)))
        out.append("</ul>")
        out.append(self._DOWNLOAD.format(gs=f"gs://{self.bucket}/{prefix}"))
        out.append("\n</body></html>")
        return "".join(out)

    def render_legacy(self, prefix: str, dirs: list[str], files: list[_Object], marker: str) -> str:
        """A legacy (html/template) page for ``prefix``, one XML-API page after ``marker``."""
        merged = sorted([(prefix + d, d) for d in dirs] + [(prefix + f.name, f) for f in files])
        remaining = [item for item in merged if item[0] > marker] if marker else merged
        page = remaining[: self.page_size]
        truncated = len(remaining) > self.page_size
        base = f"/gcs/{self.bucket}/"
        out = [self._head(prefix, escape=True)]
        next_anchor = ""
        if truncated:
            href = normalize_href(base + prefix) + "?marker=" + query_escape_lower(page[-1][0])
            next_anchor = self._NEXT_BUTTON.format(href=html.escape(href))
            out.append(next_anchor)
        out.append(self._GRID_HEADER)
        parent = "/gcs/" if not prefix else base + self._parent(prefix)
        out.append(self._row(html.escape(normalize_href(parent)), "back.png", "..", "-", "-"))
        page_dirs = [item for _, item in page if isinstance(item, str)]
        page_files = [item for _, item in page if isinstance(item, _Object)]
        for name in page_dirs:
            href = html.escape(normalize_href(base + prefix + name))
            out.append(self._row(href, "dir.png", html.escape(name), "-", "-"))
        storage = f"{self.storage_url}/{self.bucket}/"
        for obj in page_files:
            href = html.escape(normalize_href(storage + prefix + obj.name))
            out.append(
                self._row(
                    href, "file.png", html.escape(obj.name), str(obj.size), legacy_date(obj.mtime)
                )
            )
        out.append(next_anchor)
        out.append("</ul></body></html>")
        return "".join(out)

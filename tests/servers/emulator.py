"""gcp-storage-emulator served in-process from a threading HTTP server, for tests and benches.

The emulator's own ``Server`` uses a single-threaded ``HTTPServer`` (clients that open several
connections at once stall), so this module builds the same request handler around
``http.server.ThreadingHTTPServer`` with in-memory storage. Known emulator gaps: no
pagination (``maxResults``/``pageToken`` ignored), no suffix ranges, no gzip transcoding, and
``updated`` is always the upload time. The emulator ignores ``ifGenerationMatch``; this
handler checks it on object inserts (multipart, media and the start of resumable uploads)
and answers 412 as GCS does, so that create-if-absent (``ifGenerationMatch=0``) works.
"""

from __future__ import annotations

import io
import json
import logging
import mimetypes
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from gcp_storage_emulator.handlers import buckets
from gcp_storage_emulator.server import RequestHandler
from gcp_storage_emulator.storage import Storage
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from prowtui.sources.encoding import looks_gzip_encoded

# The emulator logs every 404 at ERROR level (and more at INFO): keep test output quiet.
for _name in ("gcp_storage_emulator", "api.bucket", "api.object"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)


class _Handler(RequestHandler):
    """The emulator's handler plus a request counter, an optional delay and no access log."""

    owner: EmulatorServer

    def parse_request(self) -> bool:
        ok = super().parse_request()
        if ok:
            owner = self.owner
            with owner._lock:
                owner.requests += 1
                owner.request_log.append(f"{self.command} {self.path}")
            if owner.latency > 0:
                time.sleep(owner.latency)
        return ok

    def log_message(self, format: str, *args: object) -> None:
        """Silence the per-request log line."""

    def do_POST(self) -> None:
        """Object inserts with ``ifGenerationMatch``: 412 unless the object's generation is
        the one asked for (0: no object); everything else as the emulator does it."""
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        prefix, _, rest = parts.path.partition("/upload/storage/v1/b/")
        wanted = query.get("ifGenerationMatch")
        if prefix or not rest.endswith("/o") or not wanted:
            super().do_POST()
            return
        original = self.rfile
        body = original.read(int(self.headers.get("Content-Length") or 0))
        self.rfile = io.BytesIO(body)
        try:
            name = query["name"][0] if "name" in query else self._name_in(body)
            bucket = unquote(rest[: -len("/o")])
            current = self.storage.objects.get(bucket, {}).get(name or "")
            generation = str(current["generation"]) if current else "0"
            if generation != wanted[0]:
                self._precondition_failed()
                return
            super().do_POST()
        finally:
            self.rfile = original

    def _name_in(self, body: bytes) -> str | None:
        """The object name in a multipart upload's metadata part, or a JSON body."""
        kind = self.headers.get("Content-Type", "")
        try:
            if "boundary=" in kind:
                boundary = kind.split("boundary=", 1)[1].strip('"').encode()
                first = body.split(b"--" + boundary)[1]
                return json.loads(first.split(b"\r\n\r\n", 1)[1]).get("name")
            return json.loads(body or b"{}").get("name")
        except (IndexError, ValueError, AttributeError):
            return None

    def _precondition_failed(self) -> None:
        error = {
            "code": 412,
            "message": "At least one of the pre-conditions you specified did not hold.",
            "errors": [{"reason": "conditionNotMet", "domain": "global"}],
        }
        data = json.dumps({"error": error}).encode()
        self.send_response(412)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _content_type(key: str) -> str:
    kind, encoding = mimetypes.guess_type(key)
    if encoding == "gzip":
        return "application/gzip"
    return kind or "application/octet-stream"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def iter_tree(root: Path) -> Iterator[tuple[str, Path]]:
    """Every regular file under ``root`` as ``(object key, path)``, in sorted key order."""
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield path.relative_to(root).as_posix(), path


class EmulatorServer:
    """An in-memory GCS emulator on ``127.0.0.1:<free port>``; use as a context manager."""

    def __init__(self, *, latency: float = 0.0) -> None:
        self.latency = latency
        self.requests = 0
        #: "METHOD /path?query" of every request since the last reset_counter()
        self.request_log: list[str] = []
        self._lock = threading.Lock()
        self._storage = Storage(use_memory_fs=True)
        self.port = _free_port()
        handler = type("BoundHandler", (_Handler,), {"owner": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), partial(handler, self._storage))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        """The value for ``STORAGE_EMULATOR_HOST`` (scheme included)."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> EmulatorServer:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="gcs-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset_counter(self) -> None:
        """Set the request counter back to zero."""
        with self._lock:
            self.requests = 0
            self.request_log.clear()

    def client(self) -> storage.Client:
        """A google-cloud-storage client talking to this emulator."""
        return storage.Client(
            project="test",
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": self.host},
        )

    def create_bucket(self, bucket: str) -> None:
        """Create ``bucket`` unless it exists."""
        if bucket not in self._storage.buckets:
            buckets.create_bucket(bucket, self._storage)

    def upload_tree(self, root: Path, bucket: str, *, workers: int = 8) -> int:
        """Upload every file under ``root`` into ``bucket`` (created if needed).

        Files that :func:`looks_gzip_encoded` are stored with ``Content-Encoding: gzip``, as
        ``gsutil cp -z`` would. Returns the number of objects uploaded. The latency setting is
        suspended while uploading.
        """
        self.create_bucket(bucket)
        client = self.client()
        target = client.bucket(bucket)
        files = list(iter_tree(root))

        def upload(item: tuple[str, Path]) -> None:
            key, path = item
            data = path.read_bytes()
            blob = target.blob(key)
            if looks_gzip_encoded(key.rsplit("/", 1)[-1], data[:2]):
                blob.content_encoding = "gzip"
            blob.upload_from_string(data, content_type=_content_type(key))

        saved, self.latency = self.latency, 0.0
        try:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(upload, files))
        finally:
            self.latency = saved
        return len(files)

"""An S3-compatible server for tests and benches: moto's server mode, threaded, on 127.0.0.1.

moto's own ``ThreadedMotoServer`` logs every request; this one serves the same WSGI app
(``DomainDispatcherApplication``) quietly and counts requests by method, as the other test
servers do. moto keeps its state in this process (in memory): buckets made here are seen by
every client, in this process or another, that talks to :attr:`S3Server.endpoint`.
"""

from __future__ import annotations

import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import WSGIRequestHandler, make_server

#: what the tests set so that boto3, pyarrow and DuckDB reach this server and nothing else
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """No access log."""

    def log(self, *args: Any, **kwargs: Any) -> None:
        """No werkzeug log lines."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class S3Server:
    """moto on ``127.0.0.1:<free port>``; use as a context manager."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.requests: Counter[str] = Counter()
        #: "METHOD /bucket/key?query" of every request since the last reset_counts()
        self.request_log: list[str] = []
        self._lock = threading.Lock()
        app = DomainDispatcherApplication(create_backend_app)

        def counting(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable:
            method = environ.get("REQUEST_METHOD", "?")
            query = environ.get("QUERY_STRING", "")
            with self._lock:
                self.requests[method] += 1
                self.request_log.append(
                    f"{method} {environ.get('PATH_INFO', '')}" + (f"?{query}" if query else "")
                )
            return app(environ, start_response)

        self._server = make_server(
            "127.0.0.1", self.port, counting, threaded=True, request_handler=_QuietHandler
        )
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        """The value for ``AWS_ENDPOINT_URL``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        """Every variable a process needs to use this server (dummy credentials)."""
        return {**DUMMY_CREDENTIALS, "AWS_ENDPOINT_URL": self.endpoint}

    def start(self) -> S3Server:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> S3Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def client(self) -> Any:
        """A boto3 client of this server."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )

    def reset_counts(self) -> None:
        with self._lock:
            self.requests.clear()
            self.request_log.clear()

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Every key under ``prefix``."""
        pages = (
            self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        )
        return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))

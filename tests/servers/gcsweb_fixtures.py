"""Fixtures that start the gcsweb-format test server (:mod:`tests.servers.gcsweb_server`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers.gcsweb_server import GcswebServer

GcswebServerFactory = Callable[..., GcswebServer]


@pytest.fixture
def gcsweb_server_factory() -> Iterator[GcswebServerFactory]:
    """``make(root, generation="modern", **kw) -> GcswebServer``, started; stopped at teardown.

    Keyword arguments are those of :class:`GcswebServer` (``bucket``, ``latency``,
    ``page_size``, ``faults``).
    """
    servers: list[GcswebServer] = []

    def make(root: Path, generation: str = "modern", **kwargs: Any) -> GcswebServer:
        server = GcswebServer(Path(root), generation=generation, **kwargs)  # type: ignore[arg-type]
        server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()

"""HTTP client benchmark (run by hand): client CPU per request for the HTTP libraries prowtui
could use, against the tests' gcsweb server.

    python bench/http_clients.py [--latency 0.05] [--concurrency 32] [--requests 1000]

The server (in a child process, Nagle off, listen backlog 256) serves the demo job's build
pages with ``--latency`` seconds per request. Each client GETs the same build pages
``--requests`` times, ``--concurrency`` at once, after a warm-up that opens its connections;
the CPU time of this process over the timed part (``time.process_time``) divided by the
requests is printed beside the wall time. Clients: httpx with its default pool; httpx with
the pool split in shards of 4 connections (what prowtui shipped before: httpcore re-examines
every pooled connection several times per request); httpx over an aiohttp transport
(``httpx-aiohttp``, when installed); aiohttp; and prowtui's own ``fetch`` (aiohttp, retries and
integrity checks included). Needs the ``bench`` extra (httpx).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.crawl import JOB, ServerProcess  # noqa: E402

Get = Callable[[str], Awaitable[bytes]]


async def _httpx(shards: int) -> tuple[Get, Callable[[], Awaitable[None]]]:
    import httpx

    if shards <= 1:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=32)
        client = httpx.AsyncClient(limits=limits)
    else:
        limits = httpx.Limits(max_connections=64 // shards, max_keepalive_connections=4)
        pools = [httpx.AsyncHTTPTransport(limits=limits) for _ in range(shards)]
        busy = [0] * shards

        class Sharded(httpx.AsyncBaseTransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                index = min(range(shards), key=busy.__getitem__)
                busy[index] += 1
                try:
                    response = await pools[index].handle_async_request(request)
                    await response.aread()
                    return response
                finally:
                    busy[index] -= 1

        client = httpx.AsyncClient(transport=Sharded())

    async def get(url: str) -> bytes:
        return (await client.get(url)).content

    return get, client.aclose


async def _httpx_aiohttp() -> tuple[Get, Callable[[], Awaitable[None]]]:
    import httpx
    import httpx_aiohttp

    client = httpx.AsyncClient(transport=httpx_aiohttp.AiohttpTransport())

    async def get(url: str) -> bytes:
        return (await client.get(url)).content

    return get, client.aclose


async def _aiohttp() -> tuple[Get, Callable[[], Awaitable[None]]]:
    import aiohttp

    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64))

    async def get(url: str) -> bytes:
        async with session.get(url) as response:
            return await response.read()

    return get, session.close


async def _prowtui() -> tuple[Get, Callable[[], Awaitable[None]]]:
    from prowtui.sources.http import fetch, make_client

    client = make_client(max_connections=64)

    async def get(url: str) -> bytes:
        return (await fetch(client, "GET", url)).content

    return get, client.aclose


CLIENTS = {
    "httpx, one pool": lambda: _httpx(1),
    "httpx, pools of 4 (prowtui before)": lambda: _httpx(8),
    "httpx over aiohttp (httpx-aiohttp)": _httpx_aiohttp,
    "aiohttp": _aiohttp,
    "prowtui fetch (aiohttp + retries)": _prowtui,
}


async def measure(name: str, urls: list[str], concurrency: int) -> str:
    try:
        get, close = await CLIENTS[name]()
    except ImportError as exc:
        return f"{name:36} not installed ({exc.name})"
    semaphore = asyncio.Semaphore(concurrency)

    async def one(url: str) -> bytes:
        async with semaphore:
            return await get(url)

    try:
        await asyncio.gather(*(one(u) for u in urls[: concurrency * 2]))  # open the connections
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(one(u) for u in urls))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        await close()
    per_request = cpu / len(urls) * 1000
    return f"{name:36} {len(urls):6d} {wall:7.2f} {cpu:6.2f} {per_request:8.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()

    from prowtui.demo import build_demo_bucket

    with tempfile.TemporaryDirectory(prefix="prowtui-bench-http-") as tmp:
        root = build_demo_bucket(Path(tmp) / "bucket")
        builds = sorted(p.name for p in (root / "logs" / JOB).iterdir() if p.is_dir())
        server = ServerProcess(root, args.latency)
        try:
            base = f"{server.url}/gcs/origin-ci-test/logs/{JOB}/"
            urls = [base + builds[i % len(builds)] + "/" for i in range(args.requests)]
            load = os.getloadavg()[0]
            print(f"load {load:.2f}; {args.concurrency} at once, {args.latency * 1000:.0f} ms")
            print(f"{'client':36} {'reqs':>6} {'wall s':>7} {'CPU s':>6} {'ms/req':>8}")
            for name in CLIENTS:
                print(asyncio.run(measure(name, urls, args.concurrency)), flush=True)
        finally:
            server.stop()


if __name__ == "__main__":
    main()

"""Recursive listing of a prefix over any source.

A backend with a cheaper recursive listing (the GCS API's paged listing without a delimiter)
offers it as ``source.walk(prefix)``; otherwise directories are listed one level at a time,
breadth first, several at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from prowtui.sources.base import Entry, Source, normalize_dir


async def walk(source: Source, prefix: str, *, concurrency: int = 8) -> AsyncIterator[Entry]:
    """Yield every file (never a directory) below ``prefix``, in no guaranteed order.

    A missing ``prefix`` raises NotFound; any listing error stops the walk and propagates.
    """
    own_walk = getattr(source, "walk", None)
    if callable(own_walk):
        async for entry in own_walk(prefix):
            yield entry
        return

    limit = asyncio.Semaphore(concurrency)

    async def list_one(path: str) -> list[Entry]:
        async with limit:
            return await source.list(path)

    started: set[asyncio.Future[list[Entry]]] = set()

    def start(path: str) -> asyncio.Future[list[Entry]]:
        task = asyncio.ensure_future(list_one(path))
        started.add(task)
        return task

    pending = {start(normalize_dir(prefix))}
    try:
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                entries = task.result()
                started.discard(task)
                for entry in entries:
                    if entry.is_dir:
                        pending.add(start(entry.path))
                    else:
                        yield entry
    finally:
        for task in started:
            task.cancel()
        # collect every outcome so no exception is left unretrieved
        await asyncio.gather(*started, return_exceptions=True)

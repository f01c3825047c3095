"""The GCS JSON API backend: google-cloud-storage's anonymous client, driven from threads.

``STORAGE_EMULATOR_HOST`` (scheme included) points the client at an emulator. Every blocking
call runs in ``asyncio.to_thread`` under a semaphore, with ``timeout=`` and a retry policy
bounded by the same timeout. Errors become :mod:`prowtui.errors` types with one-line messages.

Gzip-encoded objects (``Content-Encoding: gzip``) are downloaded whole and decompressed here:
a byte range of one covers the compressed stream, which cannot be decoded on its own.

Listings and walks return full object resources (size, encoding, type); the source remembers
the newest :data:`KNOWN_OBJECTS` of them, so ``read``/``stream`` of a listed object skip the
``objects.get`` they would otherwise make first (one request per read, not two). ``stat``
always asks the server.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

import requests
from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc
from google.cloud import storage
from google.cloud.storage import exceptions as storage_exc
from google.cloud.storage.retry import DEFAULT_RETRY

from prowtui.errors import AccessDenied, BadResponse, NotFound, SourceError, Unreachable
from prowtui.sources.base import Entry, ObjectInfo, normalize_dir, sort_entries
from prowtui.sources.encoding import GZIP_MAGIC, gunzip, slice_range

T = TypeVar("T")

#: chunk size of the ranged reads ``stream`` makes for identity-encoded objects
STREAM_CHUNK = 4 << 20
#: object metadata remembered from listings (a few hundred bytes each)
KNOWN_OBJECTS = 16384


#: what the client library and its transport raise; each becomes a prowtui error
LIBRARY_ERRORS: tuple[type[BaseException], ...] = (
    gexc.GoogleAPIError,
    auth_exc.GoogleAuthError,
    storage_exc.InvalidResponse,
    storage_exc.DataCorruption,
    requests.RequestException,
    OSError,
)


def _truncate(moment: datetime | None) -> datetime | None:
    """An aware UTC datetime without sub-second precision (listings compare whole seconds)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def _info(blob: storage.Blob, path: str | None = None) -> ObjectInfo:
    """The :class:`ObjectInfo` of a blob resource from a listing or ``objects.get``."""
    return ObjectInfo(
        path=path or blob.name,
        size=blob.size,
        updated=_truncate(blob.updated),
        content_type=blob.content_type,
        content_encoding=blob.content_encoding,
    )


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", "") or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def translate_error(exc: BaseException, what: str, path: str) -> SourceError:
    """Map a google/requests exception to the project's error type, one line."""
    if isinstance(exc, gexc.RetryError) and exc.cause is not None:
        return translate_error(exc.cause, what, path)
    if isinstance(exc, gexc.NotFound):
        return NotFound(f"{what}: not found", path)
    if isinstance(exc, (gexc.Forbidden, gexc.Unauthorized)):
        return AccessDenied(f"{what}: access denied ({_first_line(exc)})", path)
    if isinstance(exc, (auth_exc.RefreshError, auth_exc.InvalidOperation)):
        # a 401 makes the session try to refresh the anonymous credentials, which cannot be
        return AccessDenied(f"{what}: access denied (the bucket needs credentials)", path)
    if isinstance(exc, (gexc.TooManyRequests, gexc.ServerError)):
        return Unreachable(f"{what}: server kept failing ({_first_line(exc)})", path)
    if isinstance(exc, (requests.Timeout, gexc.DeadlineExceeded, TimeoutError)):
        return Unreachable(f"{what}: timed out", path)
    if isinstance(exc, (requests.ConnectionError, auth_exc.TransportError, ConnectionError)):
        return Unreachable(f"{what}: cannot connect ({_first_line(exc)})", path)
    if isinstance(exc, gexc.RetryError):
        return Unreachable(f"{what}: gave up after retries ({_first_line(exc)})", path)
    if isinstance(exc, storage_exc.DataCorruption):
        return BadResponse(f"{what}: checksum mismatch", path)
    return BadResponse(f"{what}: unexpected answer ({_first_line(exc)})", path)


class GcsSource:
    """A :class:`~prowtui.sources.base.Source` over ``gs://BUCKET`` through the JSON API."""

    kind = "gcs"

    def __init__(
        self,
        bucket: str,
        *,
        concurrency: int = 16,
        timeout: float = 30.0,
        client: storage.Client | None = None,
    ) -> None:
        self.bucket = bucket
        self.timeout = timeout
        self._client = client or storage.Client.create_anonymous_client()
        # The client fetches bucket metadata in the background for tracing attributes: one
        # extra buckets.get per bucket, often refused to anonymous callers. Not wanted.
        if getattr(self._client, "_bucket_metadata_cache", None) is not None:
            self._client._bucket_metadata_cache = None
        self._bucket = self._client.bucket(bucket)
        self._limit = asyncio.Semaphore(concurrency)
        # the library's own retry (429, 5xx, connection errors), bounded by our timeout
        self._retry = DEFAULT_RETRY.with_timeout(timeout)
        self._size_pool(concurrency)
        self._known: OrderedDict[str, ObjectInfo] = OrderedDict()
        self._known_lock = threading.Lock()

    def _size_pool(self, concurrency: int) -> None:
        """Let the shared requests session keep one pooled connection per worker thread."""
        session = getattr(self._client, "_http", None)
        if isinstance(session, requests.Session):
            adapter = requests.adapters.HTTPAdapter(
                pool_connections=4, pool_maxsize=max(10, concurrency)
            )
            session.mount("https://", adapter)
            session.mount("http://", adapter)

    def _remember(self, blobs: list[storage.Blob]) -> None:
        """Keep the metadata of listed objects for later reads (called from worker threads)."""
        with self._known_lock:
            for blob in blobs:
                self._known[blob.name] = _info(blob)
                self._known.move_to_end(blob.name)
            while len(self._known) > KNOWN_OBJECTS:
                self._known.popitem(last=False)

    async def _object_info(self, path: str) -> ObjectInfo:
        """Metadata from a listing seen earlier, else from ``stat``."""
        with self._known_lock:
            known = self._known.get(path)
        return known if known is not None else await self.stat(path)

    def describe(self) -> str:
        """A one-line description."""
        return f"gs://{self.bucket} (GCS JSON API)"

    async def _call(self, what: str, path: str, fn: Callable[..., T], *args: Any) -> T:
        """Run one blocking client call in a thread under the semaphore, translating errors."""
        async with self._limit:
            try:
                return await asyncio.to_thread(fn, *args)
            except SourceError:
                raise
            except LIBRARY_ERRORS as exc:
                raise translate_error(exc, what, path) from exc

    # -- listing -------------------------------------------------------------------------

    def _list_sync(self, prefix: str) -> tuple[list[Entry], bool]:
        """All pages of a delimiter listing; also whether a ``prefix`` placeholder exists."""
        it = self._client.list_blobs(
            self.bucket,
            prefix=prefix or None,
            delimiter="/",
            timeout=self.timeout,
            retry=self._retry,
        )
        entries: list[Entry] = []
        dirs: set[str] = set()
        placeholder = False
        for page in it.pages:
            blobs = list(page)
            self._remember(blobs)
            for blob in blobs:
                if blob.name == prefix:
                    placeholder = True
                    continue
                entries.append(
                    Entry(
                        blob.name[len(prefix) :],
                        blob.name,
                        False,
                        blob.size,
                        _truncate(blob.updated),
                    )
                )
            dirs.update(page.prefixes)
        entries.extend(Entry(d[len(prefix) :], d, True) for d in dirs)
        return sort_entries(entries), placeholder

    async def list(self, path: str) -> list[Entry]:
        """List one level (every page); NotFound for a prefix that holds nothing."""
        prefix = normalize_dir(path)
        shown = prefix or "/"
        entries, placeholder = await self._call(shown, prefix, self._list_sync, prefix)
        if entries or placeholder or not prefix:
            return entries
        if await self._exists(prefix.rstrip("/")):
            raise NotFound(f"{prefix.rstrip('/')}: is a file, not a directory", prefix)
        raise NotFound(f"{shown}: no such directory", prefix)

    async def _exists(self, key: str) -> bool:
        blob = await self._call(key, key, self._get_blob, key)
        return blob is not None

    def _walk_pages(self, prefix: str) -> Iterator[list[Entry]]:
        it = self._client.list_blobs(
            self.bucket, prefix=prefix or None, timeout=self.timeout, retry=self._retry
        )
        for page in it.pages:
            blobs = [blob for blob in page if not blob.name.endswith("/")]
            self._remember(blobs)
            yield [
                Entry(
                    blob.name.rsplit("/", 1)[-1],
                    blob.name,
                    False,
                    blob.size,
                    _truncate(blob.updated),
                )
                for blob in blobs
            ]

    async def walk(self, prefix: str) -> AsyncIterator[Entry]:
        """Every object below ``prefix`` with one recursive paged listing (no delimiter).

        Files only, in key order; placeholder objects ending in ``/`` are skipped. A prefix
        holding nothing raises NotFound, as ``list`` does.
        """
        prefix = normalize_dir(prefix)
        shown = prefix or "/"
        pages = self._walk_pages(prefix)
        done = object()
        seen = False
        while True:
            page = await self._call(shown, prefix, next, pages, done)
            if page is done:
                break
            for entry in page:  # type: ignore[union-attr]
                seen = True
                yield entry
        if not seen and prefix:
            await self.list(prefix)  # raises NotFound unless only placeholders exist

    # -- objects -------------------------------------------------------------------------

    def _get_blob(self, key: str) -> storage.Blob | None:
        return self._bucket.get_blob(key, timeout=self.timeout, retry=self._retry)

    async def stat(self, path: str) -> ObjectInfo:
        """Metadata from ``objects.get``; NotFound for a missing object."""
        if not path or path.endswith("/"):
            raise NotFound(f"{path or '/'}: is a directory, not an object", path)
        blob = await self._call(path, path, self._get_blob, path)
        if blob is None:
            raise NotFound(f"{path}: no such object", path)
        info = _info(blob, path)
        self._remember([blob])
        return info

    def _download_raw(self, key: str) -> bytes:
        """The stored bytes of a whole object, undecoded (gzip stays gzip).

        A fresh ``Blob`` is used rather than the one from ``get_blob``: its download URL is
        built by the client (the emulator's ``mediaLink`` does not quote special characters).
        """
        blob = self._bucket.blob(key)
        return blob.download_as_bytes(raw_download=True, timeout=self.timeout, retry=self._retry)

    async def _read_encoded(self, info: ObjectInfo) -> bytes:
        data = await self._call(info.path, info.path, self._download_raw, info.path)
        # The emulator (and a raw download from GCS) give the stored gzip bytes; a client that
        # already decoded them gives plain bytes.
        return gunzip(data, info.path) if data.startswith(GZIP_MAGIC) else data

    async def read(self, path: str, start: int | None = None, end: int | None = None) -> bytes:
        """Whole object or ``[start, end)`` of its decompressed bytes (ranged when identity)."""
        if not path or path.endswith("/"):
            raise NotFound(f"{path or '/'}: is a directory, not an object", path)
        info = await self._object_info(path)
        if info.gzip_encoded:
            return slice_range(await self._read_encoded(info), start, end)
        size = info.size or 0
        if start is None and end is None:
            return await self._call(path, path, self._download_identity, path, None, None)
        if (start or 0) < 0 or (end is not None and end < 0):
            whole = await self._call(path, path, self._download_identity, path, None, None)
            return slice_range(whole, start, end)
        begin = start or 0
        stop = size if end is None else min(end, size)
        if begin >= stop:
            return b""
        return await self._call(path, path, self._download_identity, path, begin, stop - 1)

    def _download_identity(self, key: str, start: int | None, end: int | None) -> bytes:
        """Bytes ``[start, end]`` (inclusive end, as the client takes it) of an identity object."""
        blob = self._bucket.blob(key)
        return blob.download_as_bytes(start=start, end=end, timeout=self.timeout, retry=self._retry)

    async def stream(self, path: str, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        """Yield decompressed chunks: ranged reads for identity objects, whole-then-chunk else."""
        if not path or path.endswith("/"):
            raise NotFound(f"{path or '/'}: is a directory, not an object", path)
        info = await self._object_info(path)
        if info.gzip_encoded:
            data = await self._read_encoded(info)
            for offset in range(0, len(data), chunk_size):
                yield data[offset : offset + chunk_size]
            return
        size = info.size or 0
        step = max(chunk_size, STREAM_CHUNK)
        for begin in range(0, size, step):
            stop = min(begin + step, size)
            data = await self._call(path, path, self._download_identity, path, begin, stop - 1)
            for offset in range(0, len(data), chunk_size):
                yield data[offset : offset + chunk_size]

    async def aclose(self) -> None:
        """Close the client's HTTP session."""
        await asyncio.to_thread(self._client.close)

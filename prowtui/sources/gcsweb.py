"""The gcsweb backend: list directories by scraping gcsweb pages, read objects over HTTP.

Both page generations are handled (reference §1): *modern* gcsweb proxies object bytes
(already decompressed, ``Range`` ignored, a ``charset=gzip`` content-type quirk, HTTP 200 with
an empty listing for a missing path); *legacy* gcsweb links files to the storage host (307 from
``/gcs/...``), paginates with ``Next page`` links and uses another date format. The generation
is detected from the first page or redirect and remembered.

Redirects are followed by hand: only to the gcsweb host itself, or to the ``storage_url`` host
for file reads; any other target raises ``BadResponse("refusing redirect to other host ...")``.
Every request goes through :mod:`prowtui.sources.http` (retries, integrity checks) under a
semaphore of ``concurrency``.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import quote

from yarl import URL

from prowtui.errors import BadResponse, NotFound
from prowtui.sources.base import Entry, ObjectInfo, normalize_dir, sort_entries
from prowtui.sources.encoding import slice_range
from prowtui.sources.gcsweb_html import Generation, parse_listing
from prowtui.sources.http import (
    REDIRECT_STATUSES,
    HttpClient,
    RangeNotSatisfiable,
    Response,
    RetryPolicy,
    fetch,
    join_url,
    make_client,
    stream_bytes,
)

_INFO_CACHE_SIZE = 1024
_LISTING_MARKERS = (b'class="resource-grid"', b"GCS browser:")


def _is_listing_page(response: Response, head: bytes) -> bool:
    """True when a 200 answer to a file URL is gcsweb's directory page, not the object."""
    content_type = response.headers.get("content-type", "")
    if not content_type.startswith("text/html"):
        return False
    return all(marker in head[:8192] for marker in _LISTING_MARKERS)


def _content_encoding(response: Response) -> str | None:
    """The object's stored encoding from storage headers or gcsweb's ``charset=`` quirk."""
    stored = response.headers.get("x-goog-stored-content-encoding")
    if stored:
        return None if stored == "identity" else stored
    encoding = response.headers.get("content-encoding")
    if encoding:
        return encoding
    params = [p.strip() for p in response.headers.get("content-type", "").split(";")[1:]]
    charsets = [p.split("=", 1)[1].strip().lower() for p in params if p.startswith("charset=")]
    return "gzip" if "gzip" in charsets else None


def _clean_content_type(value: str | None) -> str | None:
    """Drop the bogus ``charset=gzip`` parameter modern gcsweb appends."""
    if not value:
        return None
    parts = [p.strip() for p in value.split(";")]
    return "; ".join(p for p in parts if p and p.lower() != "charset=gzip") or None


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


class GcswebSource:
    """A bucket behind a gcsweb host (``https://HOST/gcs/BUCKET/...``)."""

    kind = "gcsweb"

    def __init__(
        self,
        base_url: str,
        bucket: str,
        *,
        storage_url: str = "https://storage.googleapis.com",
        concurrency: int = 8,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        client: HttpClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.bucket = bucket
        self.storage_url = storage_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self._base = URL(self.base_url + "/")
        self._storage = URL(self.storage_url + "/")
        self._own_client = client is None
        self._client = client or make_client(
            timeout=timeout, max_connections=max(concurrency * 2, 4)
        )
        self._semaphore = asyncio.Semaphore(max(1, concurrency))
        self._info: OrderedDict[str, ObjectInfo] = OrderedDict()
        #: "modern" / "legacy" once detected from a page or a redirect
        self.generation: Generation = "unknown"

    # -- URLs and redirect policy -----------------------------------------------------------

    def describe(self) -> str:
        return f"gcsweb {self.base_url}/gcs/{self.bucket}/"

    def _gcs_url(self, key: str) -> str:
        return f"{self.base_url}/gcs/{quote(self.bucket, safe='')}/{quote(key, safe='/')}"

    def _storage_object_url(self, key: str) -> str:
        return f"{self.storage_url}/{quote(self.bucket, safe='')}/{quote(key, safe='/')}"

    def _same_host(self, url: URL) -> bool:
        if url.host != self._base.host:
            return False
        upgrade = url.scheme == "https" and self._base.scheme == "http"
        return upgrade or (url.scheme == self._base.scheme and url.port == self._base.port)

    def _storage_host(self, url: URL) -> bool:
        return (url.scheme, url.host, url.port) == (
            self._storage.scheme,
            self._storage.host,
            self._storage.port,
        )

    def _refuse(self, url: URL, what: str = "redirect") -> BadResponse:
        host = url.raw_authority or str(url)
        return BadResponse(f"refusing {what} to other host {host}")

    def _follow_pages(self, url: URL) -> None:
        if not self._same_host(url):
            raise self._refuse(url)

    def _follow_files(self, url: URL) -> None:
        if not (self._same_host(url) or self._storage_host(url)):
            raise self._refuse(url)

    def _note_generation(self, generation: Generation) -> None:
        if generation != "unknown":
            self.generation = generation

    async def _fetch(self, method: str, url: str | URL, **kwargs: object) -> Response:
        async with self._semaphore:
            return await fetch(self._client, method, url, policy=self.retry, **kwargs)  # type: ignore[arg-type]

    # -- list -------------------------------------------------------------------------------

    async def list(self, path: str) -> list[Entry]:
        """One level of ``path``; legacy ``Next page`` links are followed over every page."""
        prefix = normalize_dir(path)
        label = prefix or "/"

        def only_pages(response: Response) -> None:
            if response.status_code in REDIRECT_STATUSES:
                return
            if not response.headers.get("content-type", "").startswith("text/html"):
                raise NotFound(f"not a directory: {label}", prefix)

        url: URL | None = URL(self._gcs_url(prefix), encoded=True)
        seen: set[str] = set()
        entries: dict[str, Entry] = {}
        while url is not None:
            if str(url) in seen:
                raise BadResponse(f"gcsweb pagination loops at {url}", prefix)
            seen.add(str(url))
            response = await self._fetch(
                "GET", url, what=label, follow=None, check_headers=only_pages
            )
            if response.status_code in REDIRECT_STATUSES:
                target = join_url(url, response.headers.get("location", ""))
                if self._storage_host(target):  # legacy: not a directory (a file or nothing)
                    self._note_generation("legacy")
                    raise NotFound(f"not found (or not a directory): {label}", prefix)
                self._follow_pages(target)
                url = target
                continue
            if not _is_listing_page(response, response.content):
                raise NotFound(f"not a directory: {label}", prefix)
            page = parse_listing(response.content, prefix)
            self._note_generation(page.generation)
            for entry in page.entries:
                entries.setdefault(entry.path, entry)
            url = None
            if page.next_href:
                target = join_url(response.url, page.next_href)
                if not self._same_host(target):
                    raise self._refuse(target, "next-page link")
                url = target
        if prefix and not entries:  # modern: HTTP 200 + empty listing for a missing path
            raise NotFound(f"not found: {label}", prefix)
        return sort_entries(entries.values())

    # -- read -------------------------------------------------------------------------------

    def _check_file_response(self, path: str, response: Response, head: bytes) -> None:
        if self._storage_host(response.url):
            self._note_generation("legacy")
        elif _is_listing_page(response, head):
            raise NotFound(f"not found (or a directory): {path}", path)
        else:
            self._note_generation("modern")

    async def read(self, path: str, start: int | None = None, end: int | None = None) -> bytes:
        """The object's decompressed bytes, or ``[start, end)`` of them."""
        path = path.lstrip("/")
        if not path or path.endswith("/"):
            raise NotFound(f"not an object: {path or '/'}", path)
        ranged = not (start in (None, 0) and end is None)
        if not ranged:
            return await self._read_whole(path)
        if self.generation == "unknown":
            response = await self._fetch("GET", self._gcs_url(path), what=path, follow=None)
            if response.status_code in REDIRECT_STATUSES:
                target = join_url(response.url, response.headers.get("location", ""))
                if not self._storage_host(target):
                    self._follow_pages(target)
                    return slice_range(await self._read_whole(path), start, end)
                self._note_generation("legacy")
            else:
                self._check_file_response(path, response, response.content)
                return slice_range(response.content, start, end)
        if self.generation == "legacy":
            return await self._read_storage_range(path, start, end)
        return slice_range(await self._read_whole(path), start, end)

    async def _read_whole(self, path: str) -> bytes:
        url = self._storage_object_url(path) if self.generation == "legacy" else None
        response = await self._fetch(
            "GET", url or self._gcs_url(path), what=path, follow=self._follow_files
        )
        self._check_file_response(path, response, response.content)
        return response.content

    async def _read_storage_range(self, path: str, start: int | None, end: int | None) -> bytes:
        """Legacy ranged read: a Range header only for objects HEAD says are not gzip-encoded."""
        info = await self._storage_info(path)
        if info.gzip_encoded or (start is not None and start < 0 and end is not None):
            return slice_range(await self._read_whole(path), start, end)
        first = start or 0
        if end is not None and (end <= first if first >= 0 else False):
            return b""
        if first < 0:
            header = f"bytes={first}"
        else:
            header = f"bytes={first}-" + (str(end - 1) if end is not None else "")
        url = self._storage_object_url(path)
        try:
            response = await self._fetch(
                "GET", url, what=path, headers={"Range": header}, follow=self._follow_files
            )
        except RangeNotSatisfiable:
            return b""
        if response.status_code == 206:
            return self._verified_range(path, response, first, end)
        return slice_range(response.content, start, end)

    def _verified_range(self, path: str, response: Response, first: int, end: int | None) -> bytes:
        """Check that a 206 covers exactly what was asked; return its body."""
        content_range = response.headers.get("content-range", "")
        body = response.content
        try:
            unit, _, spec = content_range.partition(" ")
            span, _, total_text = spec.partition("/")
            lo, _, hi = span.partition("-")
            lo_i, hi_i = int(lo), int(hi)
            total = int(total_text) if total_text.strip() != "*" else None
        except ValueError as exc:
            raise BadResponse(f"bad Content-Range {content_range!r} for {path}", path) from exc
        expected_lo = first if first >= 0 else (total - min(-first, total) if total else lo_i)
        if unit != "bytes" or lo_i != expected_lo or len(body) != hi_i - lo_i + 1:
            raise BadResponse(f"range answer does not match request for {path}", path)
        if end is not None and first >= 0 and hi_i > end - 1:
            raise BadResponse(f"range answer longer than requested for {path}", path)
        return body

    # -- stat -------------------------------------------------------------------------------

    async def _storage_info(self, path: str) -> ObjectInfo:
        """Legacy: one HEAD on the storage host (cached per path)."""
        cached = self._info.get(path)
        if cached is not None:
            return cached
        response = await self._fetch(
            "HEAD", self._storage_object_url(path), what=path, follow=self._follow_files
        )
        size_text = response.headers.get("x-goog-stored-content-length") or response.headers.get(
            "content-length"
        )
        info = ObjectInfo(
            path=path,
            size=int(size_text) if size_text and size_text.isdigit() else None,
            updated=_http_date(response.headers.get("last-modified")),
            content_type=_clean_content_type(response.headers.get("content-type")),
            content_encoding=_content_encoding(response),
        )
        self._info[path] = info
        while len(self._info) > _INFO_CACHE_SIZE:
            self._info.popitem(last=False)
        return info

    async def stat(self, path: str) -> ObjectInfo:
        """Size and time from the parent listing; type and encoding from object headers.

        Legacy: a single HEAD on the storage host once the generation is known. Modern: the
        parent listing plus a GET whose body is not downloaded (gcsweb refuses HEAD).
        """
        path = path.lstrip("/")
        if not path or path.endswith("/"):
            raise NotFound(f"not an object: {path or '/'}", path)
        if self.generation == "legacy":
            return await self._storage_info(path)
        parent = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
        try:
            listing = await self.list(parent)
        except NotFound as exc:
            raise NotFound(f"not found: {path}", path) from exc
        entry = next((e for e in listing if e.path == path and not e.is_dir), None)
        if entry is None:
            raise NotFound(f"not found: {path}", path)
        if self.generation == "legacy":
            return await self._storage_info(path)
        headers = await self._object_headers(path)
        return ObjectInfo(
            path=path,
            size=entry.size,
            updated=entry.updated,
            content_type=_clean_content_type(headers.headers.get("content-type")),
            content_encoding=_content_encoding(headers),
        )

    async def _object_headers(self, path: str) -> Response:
        """Open a GET on the object and stop before its body (only the headers are kept)."""

        class _HeadersOnly(Exception):
            def __init__(self, response: Response) -> None:
                self.response = response

        def stop(response: Response) -> None:
            raise _HeadersOnly(response)

        try:
            await self._fetch(
                "GET", self._gcs_url(path), what=path, follow=self._follow_files, check_headers=stop
            )
        except _HeadersOnly as done:
            return done.response
        raise BadResponse(f"no headers for {path}", path)  # pragma: no cover

    # -- stream -----------------------------------------------------------------------------

    async def stream(self, path: str, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        """The object's decompressed bytes in chunks, as they arrive."""
        path = path.lstrip("/")
        if not path or path.endswith("/"):
            raise NotFound(f"not an object: {path or '/'}", path)
        url = self._storage_object_url(path) if self.generation == "legacy" else self._gcs_url(path)
        async with self._semaphore:
            async for chunk in stream_bytes(
                self._client,
                url,
                policy=self.retry,
                what=path,
                follow=self._follow_files,
                first_check=lambda response, head: self._check_file_response(path, response, head),
                chunk_size=chunk_size,
            ):
                yield chunk

    async def aclose(self) -> None:
        """Close the HTTP client if this source created it."""
        if self._own_client:
            await self._client.aclose()

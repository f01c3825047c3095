"""The shared HTTP layer: one pooled client, one retry policy, whole-body integrity checks.

Public API (other modules import these names; keep them stable):

- :func:`make_client` -- an :class:`HttpClient` with connect/read timeouts, a connection limit,
  ``User-Agent: prowtui/<version>`` and redirects *not* followed automatically.
- :class:`RetryPolicy` -- attempts (default 5), total time (default 60 s), jittered exponential
  backoff, a cap on ``Retry-After``. Tests pass tiny waits: ``RetryPolicy(initial_wait=0.001)``.
- :func:`make_retrying` -- a ``tenacity.AsyncRetrying`` built from a policy (retrying
  :func:`is_transient` errors by default), for any async call that should be retried.
- :func:`fetch` -- one request with retries, manual redirect checks and whole-body integrity
  checks; returns a :class:`Response` with its body read, or raises a ``prowtui.errors`` type.
- :func:`stream_bytes` -- the same for a streamed body; a failure mid-stream is retried by
  re-requesting and skipping the bytes already yielded.

What is retried: connect/read timeouts, connection errors and resets, a server that closes
early, HTTP 408, 429 and 5xx (``Retry-After`` in seconds or as an HTTP date is honoured,
capped), and truncated bodies (fewer bytes than ``Content-Length``). A host name that does not
resolve and a refused connection are retried once at most: they are rarely transient, and an
offline user should hear so at once. Never retried: 401/403 (``AccessDenied``), 404/410
(``NotFound``), other 4xx (``BadResponse``). Exhausted retries raise ``Unreachable``
(``BadResponse`` for a body that stayed truncated) with a one-line message such as
``"gcsweb.example: timed out after 5 attempts (logs/job/)"``.

The transport is aiohttp: its HTTP parser is C, its pool hands out a kept-alive connection in
constant time, and a request costs about a quarter of the client CPU httpx's did at the
concurrency a crawl runs with (docs/libraries.md). One ``aiohttp.ClientSession`` is made per
event loop on first use, so a client can be built outside a loop. aiohttp itself is imported
then, by the first request, not with this module: importing it costs a fresh process ~0.2 s
(its connector makes two TLS contexts at import), which a run answered wholly from the cache,
``prowtui --help`` and the explorer's first screen never pay.
"""

from __future__ import annotations

import asyncio
import email.utils
import errno
import os
import random
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from prowtui import __version__
from prowtui.errors import AccessDenied, BadResponse, NotFound, SourceError, Unreachable

if TYPE_CHECKING:
    import aiohttp
    import tenacity

USER_AGENT = f"prowtui/{__version__}"

#: statuses that are worth another attempt
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504}) | frozenset(range(520, 530))
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: attempts at most for a name that does not resolve or a refused connection
PERMANENT_ATTEMPTS = 2
#: seconds an idle kept-alive connection stays in the pool
KEEPALIVE_SECONDS = 15.0
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def _aiohttp():  # type: ignore[no-untyped-def]
    """The aiohttp module, imported on first use (see the module docstring)."""
    import aiohttp

    return aiohttp


def _aiohttp_if_loaded():  # type: ignore[no-untyped-def]
    """aiohttp when something imported it, else None (then no aiohttp error can exist)."""
    return sys.modules.get("aiohttp")


class RetryableStatus(Exception):
    """A response status worth retrying (429, 5xx); carries the server's ``Retry-After``."""

    def __init__(self, status: int, retry_after: float | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after


class RangeNotSatisfiable(BadResponse):
    """HTTP 416: the requested range starts past the end of the object."""


class TruncatedBody(Exception):
    """The body ended before its announced length."""

    def __init__(self, got: int, expected: int) -> None:
        super().__init__(f"truncated body ({got} of {expected} bytes)")
        self.got = got
        self.expected = expected


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try: attempts and total time are both bounds; waits grow exponentially."""

    attempts: int = 5
    total: float = 60.0
    initial_wait: float = 0.5
    max_wait: float = 10.0
    max_retry_after: float = 30.0

    def delay(self, attempt: int, exc: BaseException | None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        ceiling = min(self.max_wait, self.initial_wait * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)  # "equal jitter"


DEFAULT_POLICY = RetryPolicy()


@dataclass(slots=True)
class Response:
    """A finished response: status, headers (case-insensitive), the URL asked, the body."""

    status_code: int
    headers: CIMultiDictProxy[str]
    url: URL
    method: str
    content: bytes = b""

    @property
    def text(self) -> str:
        """The body decoded with the charset the headers name (UTF-8 otherwise), never failing."""
        charset = "utf-8"
        for param in self.headers.get("content-type", "").split(";")[1:]:
            name, _, value = param.strip().partition("=")
            if name.lower() == "charset" and value.strip():
                charset = value.strip().strip('"')
        try:
            return self.content.decode(charset, errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")


class HttpClient:
    """A pooled HTTP/1.1 client for bucket servers (aiohttp underneath).

    ``headers`` go with every request. Connections are kept alive for reuse, at most
    ``max_connections`` open at once; proxies from the environment are honoured.
    """

    def __init__(
        self,
        *,
        timeout: float = 30.0,
        connect_timeout: float | None = None,
        max_connections: int = 32,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.headers: CIMultiDict[str] = CIMultiDict({"User-Agent": USER_AGENT})
        self.headers.update(headers or {})
        #: socket connect and read timeouts in seconds (no bound on a whole request)
        self.connect_timeout = connect_timeout or min(timeout, 10.0)
        self.read_timeout = timeout
        self.max_connections = max(1, max_connections)
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def session(self) -> aiohttp.ClientSession:
        """The session of the running event loop (made on first use, again in a new loop)."""
        loop = asyncio.get_running_loop()
        session = self._session
        if session is not None and self._loop is loop and not session.closed:
            return session
        aiohttp = _aiohttp()
        connector = aiohttp.TCPConnector(
            limit=self.max_connections, ttl_dns_cache=300, keepalive_timeout=KEEPALIVE_SECONDS
        )
        trust_env = any(os.environ.get(v) or os.environ.get(v.upper()) for v in _PROXY_VARIABLES)
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers=self.headers,
            timeout=aiohttp.ClientTimeout(
                total=None, sock_connect=self.connect_timeout, sock_read=self.read_timeout
            ),
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=True,
            trust_env=trust_env,
        )
        self._loop = loop
        return self._session

    async def aclose(self) -> None:
        """Close the pooled connections."""
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def make_client(
    *,
    timeout: float = 30.0,
    connect_timeout: float | None = None,
    max_connections: int = 32,
    max_keepalive: int | None = None,
    headers: dict[str, str] | None = None,
) -> HttpClient:
    """A client for bucket servers: timeouts, a connection limit, our User-Agent, no
    auto-redirects. ``max_keepalive`` is accepted for compatibility: every connection under
    ``max_connections`` may be kept alive, and reusing one costs the same however many wait."""
    del max_keepalive
    return HttpClient(
        timeout=timeout,
        connect_timeout=connect_timeout,
        max_connections=max_connections,
        headers=headers,
    )


def is_transient(exc: BaseException) -> bool:
    """True for failures another attempt may fix (timeouts, resets, 429/5xx, truncation)."""
    if isinstance(exc, (RetryableStatus, TruncatedBody, asyncio.TimeoutError, ConnectionError)):
        return True
    aiohttp = _aiohttp_if_loaded()
    return aiohttp is not None and isinstance(
        exc,
        (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, aiohttp.ClientResponseError),
    )


def is_permanent_connect_error(exc: BaseException) -> bool:
    """A host name that does not resolve, or a connection the host refused."""
    aiohttp = _aiohttp_if_loaded()
    if aiohttp is None:
        return False
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return True
    if isinstance(exc, aiohttp.ClientConnectorError):
        os_error = exc.os_error
        return isinstance(os_error, (ConnectionRefusedError, socket.gaierror)) or (
            os_error.errno == errno.ECONNREFUSED
        )
    return False


def make_retrying(
    policy: RetryPolicy | None = None,
    *,
    retry_on: Callable[[BaseException], bool] = is_transient,
) -> tenacity.AsyncRetrying:
    """A tenacity retrier for ``policy``: re-raises the last error when attempts run out."""
    import tenacity

    policy = policy or DEFAULT_POLICY

    def wait(retry_state: tenacity.RetryCallState) -> float:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None and outcome.failed else None
        left = policy.total - (retry_state.seconds_since_start or 0.0)
        return max(0.0, min(policy.delay(retry_state.attempt_number, exc), left))

    return tenacity.AsyncRetrying(
        stop=tenacity.stop_after_attempt(policy.attempts) | tenacity.stop_after_delay(policy.total),
        wait=wait,
        retry=tenacity.retry_if_exception(retry_on),
        reraise=True,
    )


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date; None when invalid."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now_dt = datetime.fromtimestamp(time.time() if now is None else now, timezone.utc)
    return max(0.0, (when - now_dt).total_seconds())


def _one_line(text: object) -> str:
    return " ".join(str(text).split()) or "error"


def _host(url: URL | str) -> str:
    if isinstance(url, str):
        try:
            url = URL(url)
        except ValueError:
            return url
    return url.raw_authority or str(url)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TruncatedBody):
        return str(exc)
    aiohttp = _aiohttp_if_loaded()
    if aiohttp is None:
        if isinstance(exc, asyncio.TimeoutError):
            return "timed out"
        if isinstance(exc, ConnectionError):
            return f"connection error ({_one_line(exc)})"
        return _one_line(exc)
    if isinstance(exc, aiohttp.ClientPayloadError):
        text = _one_line(exc)
        if "decode" in text.lower() or "encoding" in text.lower():
            return f"undecodable body ({text})"
        return f"truncated body ({text})"
    if isinstance(exc, asyncio.TimeoutError):  # aiohttp's socket timeouts are TimeoutErrors
        return "timed out"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect ({_one_line(exc.os_error.strerror or exc.os_error)})"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "connection closed early (server disconnected)"
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"connection closed early ({_one_line(exc.message)})"
    if isinstance(exc, (aiohttp.ClientConnectionError, ConnectionError)):
        return f"connection error ({_one_line(exc)})"
    return _one_line(exc)


def to_source_error(exc: BaseException, url: URL | str, attempts: int, what: str) -> SourceError:
    """Turn the last failure of a retried request into the project's error type."""
    if isinstance(exc, SourceError):
        return exc
    suffix = f" after {attempts} attempt{'s' if attempts != 1 else ''}"
    where = f" ({what})" if what else ""
    message = f"{_host(url)}: {_describe(exc)}{suffix}{where}"
    aiohttp = _aiohttp_if_loaded()
    payload_error = (aiohttp.ClientPayloadError,) if aiohttp is not None else ()
    if isinstance(exc, (TruncatedBody, *payload_error)):
        return BadResponse(message, what)
    return Unreachable(message, what)


def check_status(response: Response | aiohttp.ClientResponse, what: str) -> None:
    """Raise for statuses that are not success or redirects (retryable ones as RetryableStatus)."""
    status = response.status_code if isinstance(response, Response) else response.status
    if status < 300 or status in REDIRECT_STATUSES:
        return
    host = _host(response.url)
    label = what or response.url.path
    if status in (401, 403):
        raise AccessDenied(f"{host}: access denied (HTTP {status}) for {label}", what)
    if status in (404, 410):
        raise NotFound(f"not found: {label}", what)
    if status == 416:
        raise RangeNotSatisfiable(f"{host}: range not satisfiable for {label}", what)
    if status in RETRY_STATUSES or status >= 500:
        raise RetryableStatus(status, parse_retry_after(response.headers.get("retry-after")))
    raise BadResponse(f"{host}: unexpected HTTP {status} for {label}", what)


def check_complete(response: Response | aiohttp.ClientResponse, body_len: int) -> None:
    """Raise TruncatedBody when fewer bytes arrived than ``Content-Length`` announced (a body
    that was content-decoded is checked by the parser, which knows the encoded length)."""
    method = response.method
    status = response.status_code if isinstance(response, Response) else response.status
    if method == "HEAD" or status in (204, 304) or "content-encoding" in response.headers:
        return
    declared = response.headers.get("content-length")
    if declared is None or not declared.strip().isdigit():
        return
    expected = int(declared)
    if body_len < expected:
        raise TruncatedBody(body_len, expected)


def _converted() -> tuple[type[BaseException], ...]:
    """Failures reported as SourceError (other exceptions, e.g. a caller's, pass through);
    evaluated only when an ``except`` clause meets an exception, so aiohttp is loaded then."""
    return (
        _aiohttp().ClientError,
        asyncio.TimeoutError,
        ConnectionError,
        RetryableStatus,
        TruncatedBody,
    )


RedirectCheck = Callable[[URL], None]
HeadersCheck = Callable[[Response], None]


def _url(value: str | URL) -> URL:
    """A URL sent exactly as written (our URLs are already percent-encoded)."""
    if isinstance(value, URL):
        return value
    try:
        return URL(value, encoded=True)
    except (ValueError, TypeError) as exc:
        raise BadResponse(f"invalid URL {value}: {_one_line(exc)}") from exc


def join_url(base: URL, location: str) -> URL:
    """``location`` (a redirect target or a link, as sent) resolved against ``base``."""
    try:
        return base.join(URL(location, encoded=True))
    except (ValueError, TypeError) as exc:
        raise BadResponse(f"{_host(base)}: bad redirect target {location!r}") from exc


def _head_of(raw: aiohttp.ClientResponse, url: URL, method: str) -> Response:
    return Response(raw.status, raw.headers, url, method)


async def _send(
    client: HttpClient,
    method: str,
    url: URL,
    headers: Mapping[str, str] | None,
    follow: RedirectCheck | None,
    max_redirects: int,
    what: str = "",
) -> tuple[aiohttp.ClientResponse, Response]:
    """Send, following redirects only after ``follow`` accepted each target; body not read."""
    session = client.session()
    aiohttp = _aiohttp()
    for _ in range(max_redirects + 1):
        try:
            raw = await session.request(method, url, headers=headers, allow_redirects=False)
        except (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError) as exc:
            raise BadResponse(f"invalid URL {url}: {_one_line(exc)}", what) from exc
        head = _head_of(raw, url, method)
        try:
            check_status(raw, what)
        except BaseException:
            raw.close()
            raise
        if follow is None or raw.status not in REDIRECT_STATUSES:
            return raw, head
        raw.release()
        location = raw.headers.get("location")
        if not location:
            raise BadResponse(f"{_host(url)}: redirect without a Location header")
        target = join_url(url, location)
        follow(target)
        method = "GET" if raw.status == 303 else method
        url = target
    raise BadResponse(f"{_host(url)}: too many redirects")


def _give_up(exc: BaseException, policy: RetryPolicy, attempt: int, started: float) -> float | None:
    """None to stop retrying after ``exc``, else the seconds to wait before the next attempt."""
    elapsed = time.monotonic() - started
    if not is_transient(exc) or attempt >= policy.attempts or elapsed >= policy.total:
        return None
    if attempt >= PERMANENT_ATTEMPTS and is_permanent_connect_error(exc):
        return None
    return max(0.0, min(policy.delay(attempt, exc), policy.total - elapsed))


async def fetch(
    client: HttpClient,
    method: str,
    url: str | URL,
    *,
    policy: RetryPolicy | None = None,
    headers: Mapping[str, str] | None = None,
    what: str = "",
    follow: RedirectCheck | None = None,
    check_headers: HeadersCheck | None = None,
    max_redirects: int = 5,
) -> Response:
    """One request with retries; the returned response has its whole body read and verified.

    ``follow`` is called with each redirect target and must raise to refuse it; with
    ``follow=None`` a 3xx response is returned as is. ``check_headers`` may inspect the final
    response before its body is downloaded (and raise to skip the download).
    """
    policy = policy or DEFAULT_POLICY
    request_url = _url(url)
    started = time.monotonic()
    attempt = 0
    while True:
        attempt += 1
        try:
            raw, response = await _send(
                client, method, request_url, headers, follow, max_redirects, what
            )
            try:
                if check_headers is not None:
                    check_headers(response)
                body = await raw.read()
                check_complete(raw, len(body))
            except BaseException:
                raw.close()
                raise
            raw.release()
            response.content = body
            return response
        except _converted() as exc:
            wait = _give_up(exc, policy, attempt, started)
            if wait is None:
                raise to_source_error(exc, request_url, attempt, what) from exc
            await asyncio.sleep(wait)


async def stream_bytes(
    client: HttpClient,
    url: str | URL,
    *,
    policy: RetryPolicy | None = None,
    headers: Mapping[str, str] | None = None,
    what: str = "",
    follow: RedirectCheck | None = None,
    first_check: Callable[[Response, bytes], None] | None = None,
    chunk_size: int = 1 << 20,
    head_size: int = 4096,
) -> AsyncIterator[bytes]:
    """Yield a GET body (content-decoded) in chunks, retrying transient failures.

    After a failure mid-stream the request is repeated and the bytes already yielded are
    skipped, so the consumer sees every byte exactly once or gets an error. ``first_check``
    sees the response and up to ``head_size`` leading bytes before anything is yielded.
    """
    policy = policy or DEFAULT_POLICY
    request_url = _url(url)
    started = time.monotonic()
    yielded = 0
    attempt = 0
    while True:
        attempt += 1
        try:
            raw, response = await _send(client, "GET", request_url, headers, follow, 5, what)
            try:
                position = 0
                head = b""
                checked = first_check is None
                async for chunk in raw.content.iter_chunked(chunk_size):
                    if not checked:
                        head += chunk
                        if len(head) < head_size:
                            continue
                        first_check(response, head)  # type: ignore[misc]
                        checked = True
                        chunk, head = head, b""
                    position, chunk = position + len(chunk), chunk[max(0, yielded - position) :]
                    if chunk:
                        yielded += len(chunk)
                        yield chunk
                if not checked:
                    first_check(response, head)  # type: ignore[misc]
                    position, head = position + len(head), head[max(0, yielded - position) :]
                    if head:
                        yielded += len(head)
                        yield head
                check_complete(raw, position)
            except BaseException:
                raw.close()
                raise
            raw.release()
            return
        except _converted() as exc:
            wait = _give_up(exc, policy, attempt, started)
            if wait is None:
                raise to_source_error(exc, request_url, attempt, what) from exc
            await asyncio.sleep(wait)

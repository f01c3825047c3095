"""The shared HTTP layer: one httpx client factory and one retry policy (tenacity).

Public API (other modules import these names; keep them stable):

- :func:`make_client` -- an ``httpx.AsyncClient`` with connect/read timeouts, connection limits,
  ``User-Agent: prowtui/<version>`` and redirects *not* followed automatically.
- :class:`RetryPolicy` -- attempts (default 5), total time (default 60 s), jittered exponential
  backoff, a cap on ``Retry-After``. Tests pass tiny waits: ``RetryPolicy(initial_wait=0.001)``.
- :func:`make_retrying` -- a ``tenacity.AsyncRetrying`` built from a policy (retrying
  :func:`is_transient` errors by default), for any async call that should be retried.
- :func:`fetch` -- one request with retries, manual redirect checks and whole-body integrity
  checks; returns the response with its body read, or raises a ``prowtui.errors`` type.
- :func:`stream_bytes` -- the same for a streamed body; a failure mid-stream is retried by
  re-requesting and skipping the bytes already yielded.

What is retried: connect/read/write/pool timeouts, connection errors and resets, a server that
closes early (``RemoteProtocolError``), HTTP 408, 429 and 5xx (``Retry-After`` in seconds or as
an HTTP date is honoured, capped), and truncated bodies (fewer bytes than ``Content-Length``, or
httpx's incomplete read). Never retried: 401/403 (``AccessDenied``), 404/410 (``NotFound``),
other 4xx (``BadResponse``). Exhausted retries raise ``Unreachable`` (``BadResponse`` for a
body that stayed truncated) with a one-line message such as
``"gcsweb.example: timed out after 5 attempts (logs/job/)"``.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timezone

import httpx
import tenacity

from prowtui import __version__
from prowtui.errors import AccessDenied, BadResponse, NotFound, SourceError, Unreachable

USER_AGENT = f"prowtui/{__version__}"

#: statuses that are worth another attempt
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504}) | frozenset(range(520, 530))
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


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


#: connections kept alive per pool shard (see :class:`ShardedTransport`)
POOL_SHARD_KEEPALIVE = 4


class _ReleasingStream(httpx.AsyncByteStream):
    """A response body that calls ``release`` once when it is closed."""

    def __init__(self, inner: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._inner = inner
        self._release: Callable[[], None] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()


class ShardedTransport(httpx.AsyncBaseTransport):
    """Several small connection pools behind one transport; a request goes to the least busy.

    httpcore's pool re-examines every connection it holds (a ``poll()`` per idle one) several
    times per request, so one pool of N connections costs O(N) CPU per request: at 32-64
    connections that was most of a crawl's CPU. ``shards`` pools of ``limits`` each keep every
    scan short. One SSL context is shared (each new one reloads the CA bundle, ~30 ms).
    """

    def __init__(self, shards: int, limits: httpx.Limits) -> None:
        verify = httpx.create_ssl_context()
        self._pools = [
            httpx.AsyncHTTPTransport(limits=limits, verify=verify) for _ in range(max(1, shards))
        ]
        self._busy = [0] * len(self._pools)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = min(range(len(self._busy)), key=self._busy.__getitem__)
        self._busy[index] += 1
        try:
            response = await self._pools[index].handle_async_request(request)
        except BaseException:
            self._busy[index] -= 1
            raise

        def release() -> None:
            self._busy[index] -= 1

        response.stream = _ReleasingStream(response.stream, release)  # type: ignore[arg-type]
        return response

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()


def make_client(
    *,
    timeout: float = 30.0,
    connect_timeout: float | None = None,
    max_connections: int = 32,
    max_keepalive: int = 16,
    headers: dict[str, str] | None = None,
) -> httpx.AsyncClient:
    """An AsyncClient for bucket servers: timeouts, limits, our User-Agent, no auto-redirects.

    The connections are split over pools of :data:`POOL_SHARD_KEEPALIVE` kept-alive
    connections each (:class:`ShardedTransport`), so per-request CPU does not grow with them.
    """
    shards = max(1, -(-max_keepalive // POOL_SHARD_KEEPALIVE))
    limits = httpx.Limits(
        max_connections=max(1, -(-max_connections // shards)),
        max_keepalive_connections=max(1, -(-max_keepalive // shards)),
    )
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=connect_timeout or min(timeout, 10.0)),
        transport=ShardedTransport(shards, limits),
        headers={"User-Agent": USER_AGENT, **(headers or {})},
        follow_redirects=False,
    )


_TRANSIENT_HTTPX = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    httpx.DecodingError,
)


def is_transient(exc: BaseException) -> bool:
    """True for failures another attempt may fix (timeouts, resets, 429/5xx, truncation)."""
    if isinstance(exc, (RetryableStatus, TruncatedBody)):
        return True
    return isinstance(
        exc,
        (
            httpx.TimeoutException,
            httpx.NetworkError,
            httpx.RemoteProtocolError,
            httpx.DecodingError,
        ),
    )


class _PolicyWait(tenacity.wait.wait_base):
    """tenacity wait strategy delegating to :meth:`RetryPolicy.delay`, capped to the time left."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None and outcome.failed else None
        left = self.policy.total - (retry_state.seconds_since_start or 0.0)
        return max(0.0, min(self.policy.delay(retry_state.attempt_number, exc), left))


def make_retrying(
    policy: RetryPolicy | None = None,
    *,
    retry_on: Callable[[BaseException], bool] = is_transient,
) -> tenacity.AsyncRetrying:
    """A tenacity retrier for ``policy``: re-raises the last error when attempts run out."""
    policy = policy or DEFAULT_POLICY
    return tenacity.AsyncRetrying(
        stop=tenacity.stop_after_attempt(policy.attempts) | tenacity.stop_after_delay(policy.total),
        wait=_PolicyWait(policy),
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


def _host(url: httpx.URL) -> str:
    return url.netloc.decode("ascii", "replace") or str(url)


def _is_incomplete_body(exc: BaseException) -> bool:
    """httpx/h11's "peer closed connection without sending complete message body"."""
    return isinstance(exc, httpx.RemoteProtocolError) and "complete message body" in str(exc)


def _describe(exc: BaseException) -> str:
    if _is_incomplete_body(exc):
        return f"truncated body ({_one_line(exc)})"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect ({_one_line(exc)})"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"connection closed early ({_one_line(exc)})"
    if isinstance(exc, httpx.NetworkError):
        return f"connection error ({_one_line(exc)})"
    if isinstance(exc, httpx.DecodingError):
        return f"undecodable body ({_one_line(exc)})"
    return _one_line(exc)


def to_source_error(exc: BaseException, url: httpx.URL, attempts: int, what: str) -> SourceError:
    """Turn the last failure of a retried request into the project's error type."""
    if isinstance(exc, SourceError):
        return exc
    suffix = f" after {attempts} attempt{'s' if attempts != 1 else ''}"
    where = f" ({what})" if what else ""
    message = f"{_host(url)}: {_describe(exc)}{suffix}{where}"
    if isinstance(exc, (TruncatedBody, httpx.DecodingError)) or _is_incomplete_body(exc):
        return BadResponse(message, what)
    return Unreachable(message, what)


def check_status(response: httpx.Response, what: str) -> None:
    """Raise for statuses that are not success or redirects (retryable ones as RetryableStatus)."""
    status = response.status_code
    if status < 300 or status in REDIRECT_STATUSES:
        return
    host = _host(response.request.url)
    label = what or response.request.url.path
    if status in (401, 403):
        raise AccessDenied(f"{host}: access denied (HTTP {status}) for {label}", what)
    if status in (404, 410):
        raise NotFound(f"not found: {label}", what)
    if status == 416:
        raise RangeNotSatisfiable(f"{host}: range not satisfiable for {label}", what)
    if status in RETRY_STATUSES or status >= 500:
        raise RetryableStatus(status, parse_retry_after(response.headers.get("retry-after")))
    raise BadResponse(f"{host}: unexpected HTTP {status} for {label}", what)


def check_complete(response: httpx.Response, body_len: int | None = None) -> None:
    """Raise TruncatedBody when fewer bytes arrived than ``Content-Length`` announced."""
    if response.request.method == "HEAD" or response.status_code in (204, 304):
        return
    declared = response.headers.get("content-length")
    if declared is None or not declared.strip().isdigit():
        return
    expected = int(declared)
    got = response.num_bytes_downloaded
    if "content-encoding" not in response.headers and body_len is not None:
        got = max(got, body_len) if got else body_len
    if got < expected:
        raise TruncatedBody(got, expected)


#: failures that are reported as SourceError (other exceptions, e.g. a caller's, pass through)
_CONVERTED = (httpx.HTTPError, RetryableStatus, TruncatedBody)

RedirectCheck = Callable[[httpx.URL], None]


async def _send(
    client: httpx.AsyncClient,
    request: httpx.Request,
    follow: RedirectCheck | None,
    max_redirects: int,
    what: str = "",
) -> httpx.Response:
    """Send, following redirects only after ``follow`` accepted each target; body not read."""
    for _ in range(max_redirects + 1):
        response = await client.send(request, stream=True)
        try:
            check_status(response, what)
        except BaseException:
            await response.aclose()
            raise
        if follow is None or response.status_code not in REDIRECT_STATUSES:
            return response
        await response.aclose()
        location = response.headers.get("location")
        if not location:
            raise BadResponse(f"{_host(request.url)}: redirect without a Location header")
        target = request.url.join(location)
        follow(target)
        method = "GET" if response.status_code == 303 else request.method
        request = client.build_request(method, target, headers=request.headers)
    raise BadResponse(f"{_host(request.url)}: too many redirects")


async def fetch(
    client: httpx.AsyncClient,
    method: str,
    url: str | httpx.URL,
    *,
    policy: RetryPolicy | None = None,
    headers: dict[str, str] | None = None,
    what: str = "",
    follow: RedirectCheck | None = None,
    check_headers: Callable[[httpx.Response], None] | None = None,
    max_redirects: int = 5,
) -> httpx.Response:
    """One request with retries; the returned response has its whole body read and verified.

    ``follow`` is called with each redirect target and must raise to refuse it; with
    ``follow=None`` a 3xx response is returned as is. ``check_headers`` may inspect the final
    response before its body is downloaded (and raise to skip the download).
    """
    request_url = httpx.URL(url)
    retrying = make_retrying(policy)
    try:
        async for attempt in retrying:
            with attempt:
                request = client.build_request(method, request_url, headers=headers)
                response = await _send(client, request, follow, max_redirects, what)
                try:
                    if check_headers is not None:
                        check_headers(response)
                    body = await response.aread()
                    check_complete(response, len(body))
                finally:
                    await response.aclose()
                return response
    except _CONVERTED as exc:
        attempts = retrying.statistics.get("attempt_number", 1)
        raise to_source_error(exc, request_url, attempts, what) from exc
    except httpx.InvalidURL as exc:
        raise BadResponse(f"invalid URL {request_url}: {_one_line(exc)}", what) from exc
    raise AssertionError("unreachable")  # pragma: no cover - tenacity always returns or raises


async def stream_bytes(
    client: httpx.AsyncClient,
    url: str | httpx.URL,
    *,
    policy: RetryPolicy | None = None,
    headers: dict[str, str] | None = None,
    what: str = "",
    follow: RedirectCheck | None = None,
    first_check: Callable[[httpx.Response, bytes], None] | None = None,
    chunk_size: int = 1 << 20,
    head_size: int = 4096,
) -> AsyncIterator[bytes]:
    """Yield a GET body (content-decoded) in chunks, retrying transient failures.

    After a failure mid-stream the request is repeated and the bytes already yielded are
    skipped, so the consumer sees every byte exactly once or gets an error. ``first_check``
    sees the response and up to ``head_size`` leading bytes before anything is yielded.
    """
    policy = policy or DEFAULT_POLICY
    request_url = httpx.URL(url)
    started = time.monotonic()
    yielded = 0
    attempt = 0
    while True:
        attempt += 1
        try:
            request = client.build_request("GET", request_url, headers=headers)
            response = await _send(client, request, follow, 5, what)
            try:
                position = 0
                head = b""
                checked = first_check is None
                async for chunk in response.aiter_bytes(chunk_size):
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
                check_complete(response)
            finally:
                await response.aclose()
            return
        except _CONVERTED as exc:
            elapsed = time.monotonic() - started
            if not is_transient(exc) or attempt >= policy.attempts or elapsed >= policy.total:
                raise to_source_error(exc, request_url, attempt, what) from exc
            await asyncio.sleep(max(0.0, min(policy.delay(attempt, exc), policy.total - elapsed)))

"""Where an export writes: a local directory, ``file://PATH``, ``s3://BUCKET/PREFIX`` or
``gs://BUCKET/PREFIX``.

A :class:`Store` names objects by *keys* relative to its root (``builds/job=x/part-1-2.parquet``,
``/``-separated) and offers what an export needs, split by who needs it:

- **every process that writes parts** (the client in-process, each Dask worker): publish a
  whole local file under a key, and open a key for reading (the rows a rewritten part copies).
  Object stores go through :mod:`pyarrow.fs` (``S3FileSystem``, ``GcsFileSystem``), so a worker
  needs nothing but pyarrow. pyarrow's output streams cannot be aborted (closing one after an
  error could complete an upload), so a part is written to a local file first and uploaded
  whole: one ``PUT`` (S3 below pyarrow's part size; GCS one resumable session) or a multipart
  upload completed only when every byte is sent.
- **the client**: list, read, write whole small objects (the manifest), delete, the lock (an
  object created only if absent) and aborting unfinished multipart uploads. These use each
  ecosystem's own client (boto3, google-cloud-storage), which pyarrow does not replace: it
  has no conditional write and no multipart listing.

Settings come from each ecosystem: the AWS credential chain, ``AWS_ENDPOINT_URL`` (or
``AWS_ENDPOINT_URL_S3``) and ``AWS_REGION``/``AWS_DEFAULT_REGION`` for S3; Application
Default Credentials and ``STORAGE_EMULATOR_HOST`` for GCS. pyarrow reads neither endpoint
variable, and its GCS filesystem probes for credentials by itself (it can wait a long time
where there are none), so both are translated here.

:class:`LocalStore` keeps the local behaviour (temporary file beside the final name, fsync,
rename; an ``flock`` lock).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from prowtui.errors import ProwtuiError, UsageError, first_line

#: a URL scheme at the start of an output argument
_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://")
#: S3 and GCS bucket names (lower case, digits, dots, dashes, underscores for GCS)
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")
#: seconds to connect and to wait for an answer, for every store request
CONNECT_TIMEOUT = 10.0
REQUEST_TIMEOUT = 60.0
#: bytes copied per write when publishing a local file
COPY_CHUNK = 8 << 20


class StoreError(ProwtuiError):
    """A store could not be used: missing library, credentials or bucket, refused request."""


def holder_tag() -> str:
    """``host-pid`` of this process (who holds a lock, who wrote a part)."""
    return f"{socket.gethostname()}-{os.getpid()}"


def _utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _age(since: str) -> str:
    """``3 s``, ``5 min``, ``2.5 h`` since an ISO time (``unknown`` when unreadable)."""
    try:
        then = datetime.strptime(since, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return "unknown age"
    seconds = max(0.0, (_utc_now() - then).total_seconds())
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


@dataclass(frozen=True)
class StoreLocation:
    """A parsed output argument: ``kind`` is ``local``, ``s3`` or ``gs``."""

    kind: str
    bucket: str = ""
    prefix: str = ""
    path: Path | None = None

    @property
    def url(self) -> str:
        """How to show it (a local path as given, resolved)."""
        if self.kind == "local":
            return str(self.path)
        return f"{self.kind}://{self.bucket}/{self.prefix}".rstrip("/")


def parse_location(output: str | os.PathLike[str]) -> StoreLocation:
    """Parse ``-o``: a path, ``file://PATH``, ``s3://BUCKET[/PREFIX]`` or ``gs://BUCKET[/PREFIX]``.

    UsageError for an unknown scheme or a malformed bucket URL.
    """
    text = os.fspath(output)
    match = _SCHEME.match(text)
    if match is None:
        return StoreLocation("local", path=Path(text).expanduser().resolve())
    scheme = match["scheme"].lower()
    rest = text[match.end() :]
    if scheme == "file":
        if rest.startswith("localhost/"):
            rest = rest[len("localhost") :]
        if not rest:
            raise UsageError(f"{text}: no path after file://")
        return StoreLocation("local", path=Path(rest).expanduser().resolve())
    if scheme not in ("s3", "gs"):
        raise UsageError(
            f"{text}: unknown output scheme {scheme}://; give a directory, file://PATH, "
            "s3://BUCKET/PREFIX or gs://BUCKET/PREFIX"
        )
    parts = urlsplit(text)
    bucket = parts.netloc
    if parts.query or parts.fragment:
        raise UsageError(f"{text}: a bucket URL takes no ?query or #fragment")
    if not bucket or not _BUCKET.match(bucket) or ".." in bucket:
        raise UsageError(f"{text}: not a valid bucket name ({bucket or 'none'}) after {scheme}://")
    segments = [s for s in parts.path.split("/") if s]
    if any(s in (".", "..") for s in segments) or "//" in parts.path.strip("/"):
        raise UsageError(f"{text}: the prefix must not hold '.', '..' or empty segments")
    return StoreLocation(scheme, bucket=bucket, prefix="/".join(segments))


# -- the interface ---------------------------------------------------------------------------


class Store:
    """An export's output; see the module docstring. Keys are relative to the root."""

    location: StoreLocation

    @property
    def url(self) -> str:
        """The output as the user would write it."""
        return self.location.url

    @property
    def remote(self) -> bool:
        """True for object stores (parts are written to a local file, then uploaded)."""
        return self.location.kind != "local"

    # every process
    def publish(self, local: Path, key: str) -> None:
        """Make the whole file ``local`` visible under ``key`` (the local file stays)."""
        raise NotImplementedError

    def fetch(self, key: str, spool: Path) -> Path:
        """A local file with ``key``'s bytes: the file itself in a directory, else a download
        into ``spool`` (OSError when missing)."""
        raise NotImplementedError

    # the client
    def prepare(self) -> None:
        """Check the output can be written (bucket, credentials) or create the directory."""
        raise NotImplementedError

    def list(self, prefix: str) -> list[str]:
        """Every key under ``prefix`` (``table/``), recursively."""
        raise NotImplementedError

    def exists(self, key: str) -> bool:
        """True when the object ``key`` exists."""
        return key in self.list(key)

    def read(self, key: str) -> bytes | None:
        """The object's bytes, None when there is none."""
        raise NotImplementedError

    def put(self, key: str, data: bytes) -> None:
        """Write a small object whole (readers see the old one or the new one)."""
        raise NotImplementedError

    def delete(self, key: str) -> None:
        """Remove ``key`` (no error when it is gone)."""
        raise NotImplementedError

    def lock(self, key: str, *, break_lock: bool = False) -> contextlib.AbstractContextManager:
        """Hold the one-writer lock ``key`` (ProwtuiError naming the holder when taken)."""
        raise NotImplementedError

    def abort_uploads(self, under: Sequence[str]) -> int:
        """Abort the multipart uploads left unfinished under the root whose keys start with
        one of ``under`` (``builds/``, …: never another writer's elsewhere in the bucket);
        how many."""
        return 0

    def describe_filesystem(self) -> tuple[Any, str]:
        """``(pyarrow filesystem, root path in it)`` for readers (pyarrow.dataset)."""
        raise NotImplementedError


def open_store(output: str | os.PathLike[str] | StoreLocation) -> Store:
    """The store for an output argument (see :func:`parse_location`)."""
    location = output if isinstance(output, StoreLocation) else parse_location(output)
    if location.kind == "local":
        return LocalStore(location)
    if location.kind == "s3":
        return S3Store(location)
    return GcsStore(location)


# -- local directory -------------------------------------------------------------------------


def fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (best effort: some filesystems refuse)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class LocalStore(Store):
    """A directory: temporary file, fsync, rename; ``flock`` for the lock."""

    def __init__(self, location: StoreLocation) -> None:
        assert location.path is not None
        self.location = location
        self.root = location.path

    def path(self, key: str) -> Path:
        """The file of ``key``."""
        return self.root.joinpath(*key.split("/"))

    def publish(self, local: Path, key: str) -> None:
        final = self.path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
        try:
            with os.fdopen(fd, "wb") as out, open(local, "rb") as src:
                shutil.copyfileobj(src, out, COPY_CHUNK)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, final)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise
        fsync_dir(final.parent)

    def fetch(self, key: str, spool: Path) -> Path:
        path = self.path(key)
        if not path.is_file():
            raise FileNotFoundError(str(path))
        return path

    def prepare(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{self.root}: cannot create the directory ({exc.strerror})") from None

    def list(self, prefix: str) -> list[str]:
        base = self.path(prefix.rstrip("/"))
        if not base.is_dir():
            return []
        keys = []
        for dirpath, _dirs, files in os.walk(base):
            for name in files:
                keys.append(Path(dirpath, name).relative_to(self.root).as_posix())
        return keys

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def read(self, key: str) -> bytes | None:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            return None

    def put(self, key: str, data: bytes) -> None:
        final = self.path(key)
        fd, temp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, final)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(key).unlink()

    @contextlib.contextmanager
    def lock(self, key: str, *, break_lock: bool = False) -> Iterator[None]:
        """``flock`` on ``key``: released by the kernel when the holder dies, so a lock is
        never left behind here and ``break_lock`` has nothing to do."""
        with open(self.path(key), "a+") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise ProwtuiError(
                    f"{self.root}: another export is writing this dataset ({holder})"
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()} on {socket.gethostname()} since {_iso(_utc_now())}\n")
            handle.flush()
            try:
                yield
            finally:
                handle.seek(0)
                handle.truncate()
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def describe_filesystem(self) -> tuple[Any, str]:
        from pyarrow import fs

        return fs.LocalFileSystem(), str(self.root)


# -- object stores ---------------------------------------------------------------------------


def _lock_body() -> bytes:
    return json.dumps({"holder": holder_tag(), "since": _iso(_utc_now())}).encode()


def _lock_message(url: str, body: bytes | None) -> str:
    try:
        doc = json.loads(body or b"{}")
        holder, since = str(doc.get("holder", "?")), str(doc.get("since", "?"))
    except (ValueError, AttributeError):
        holder, since = "unknown holder", "?"
    return (
        f"{url}: another export is writing this dataset ({holder}, since {since}, "
        f"{_age(since)}); if it is no longer running, run again with --break-lock"
    )


class _ObjectStore(Store):
    """What S3 and GCS share: keys under a prefix, parts through a pyarrow filesystem."""

    def __init__(self, location: StoreLocation) -> None:
        self.location = location
        self.bucket = location.bucket
        self.prefix = location.prefix
        self._fs: Any = None

    def object_name(self, key: str) -> str:
        """The full object name of ``key`` in the bucket."""
        return f"{self.prefix}/{key}" if self.prefix else key

    def key_of(self, name: str) -> str:
        """The key of a full object name under the root."""
        return name[len(self.prefix) + 1 :] if self.prefix else name

    def filesystem(self) -> Any:
        """The pyarrow filesystem (made once per store)."""
        if self._fs is None:
            self._fs = self._make_filesystem()
        return self._fs

    def _make_filesystem(self) -> Any:
        raise NotImplementedError

    def _fs_path(self, key: str) -> str:
        return f"{self.bucket}/{self.object_name(key)}"

    def publish(self, local: Path, key: str) -> None:
        from pyarrow import ArrowException

        filesystem = self.filesystem()
        try:
            with open(local, "rb") as src, filesystem.open_output_stream(self._fs_path(key)) as out:
                while block := src.read(COPY_CHUNK):
                    out.write(block)
        except (OSError, ArrowException) as exc:
            raise StoreError(f"{self.url}/{key}: upload failed ({first_line(exc)})") from None

    def fetch(self, key: str, spool: Path) -> Path:
        """Download ``key`` whole (sequential reads: parquet's own random reads through
        pyarrow's object-store files make a request per column chunk)."""
        import pyarrow as pa

        local = spool / f"{key.rsplit('/', 1)[-1]}.{len(list(spool.iterdir()))}.fetched"
        try:
            stream = self.filesystem().open_input_stream(self._fs_path(key))
            with stream as src, open(local, "wb") as out:
                while block := src.read(COPY_CHUNK):
                    out.write(block)
        except (OSError, pa.ArrowException) as exc:
            raise FileNotFoundError(f"{self.url}/{key}: {first_line(exc)}") from None
        return local

    def describe_filesystem(self) -> tuple[Any, str]:
        return self.filesystem(), self._fs_path("").rstrip("/")


# -- S3 ----------------------------------------------------------------------------------------


def s3_endpoint() -> str | None:
    """``AWS_ENDPOINT_URL_S3``, else ``AWS_ENDPOINT_URL`` (what boto3 reads), else None."""
    for name in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def s3_region() -> str | None:
    """``AWS_REGION``, else ``AWS_DEFAULT_REGION``."""
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


class S3Store(_ObjectStore):
    """``s3://BUCKET/PREFIX``: parts through ``pyarrow.fs.S3FileSystem``, the rest boto3."""

    def __init__(self, location: StoreLocation) -> None:
        super().__init__(location)
        self._client: Any = None

    def _make_filesystem(self) -> Any:
        try:
            from pyarrow import fs
        except ImportError:  # pragma: no cover - pyarrow is a dependency
            raise StoreError("s3:// outputs need pyarrow") from None
        if not getattr(fs, "S3FileSystem", None):  # pragma: no cover - a build without S3
            raise StoreError("this pyarrow has no S3 support: install the pyarrow wheel from PyPI")
        options: dict[str, Any] = {
            "connect_timeout": CONNECT_TIMEOUT,
            "request_timeout": REQUEST_TIMEOUT,
            # a file smaller than a part (10 MiB) is then one PUT, not a 3-request multipart
            "allow_delayed_open": True,
        }
        endpoint = s3_endpoint()
        if endpoint:
            parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
            options["endpoint_override"] = parts.netloc + parts.path.rstrip("/")
            options["scheme"] = parts.scheme or "https"
        region = s3_region()
        if region or endpoint:
            options["region"] = region or "us-east-1"
        try:
            return fs.S3FileSystem(**options)
        except (OSError, ValueError) as exc:
            raise StoreError(f"{self.url}: cannot open S3 ({first_line(exc)})") from None

    def client(self) -> Any:
        """A boto3 S3 client (endpoint, region and credentials from the environment)."""
        if self._client is None:
            try:
                import boto3
                from botocore.config import Config
            except ImportError:
                raise StoreError(
                    f"{self.url}: s3:// outputs need boto3: pip install 'prowtui[s3]'"
                ) from None
            session = boto3.session.Session()
            if session.get_credentials() is None:
                raise StoreError(
                    f"{self.url}: no AWS credentials: set AWS_ACCESS_KEY_ID and "
                    "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or use an instance role"
                )
            config = Config(
                connect_timeout=CONNECT_TIMEOUT,
                read_timeout=REQUEST_TIMEOUT,
                retries={"max_attempts": 4, "mode": "standard"},
                s3={"addressing_style": "path"} if s3_endpoint() else {},
            )
            self._client = session.client(
                "s3", region_name=s3_region() or None, endpoint_url=s3_endpoint(), config=config
            )
        return self._client

    def _call(self, what: str, method: str, *, missing_ok: bool = False, **kwargs: Any) -> Any:
        """One boto3 call; library errors become one-line StoreErrors (``missing_ok``: None
        for a missing key)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client(), method)(Bucket=self.bucket, **kwargs)
        except ClientError as exc:
            if missing_ok and exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            if code in ("NoSuchBucket",) or (code == "404" and method == "head_bucket"):
                raise StoreError(
                    f"{self.url}: no bucket {self.bucket} (create it, or check "
                    "AWS_ENDPOINT_URL and the region)"
                ) from None
            if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
                raise StoreError(
                    f"{self.url}: {what}: access denied ({code}); check the AWS credentials"
                ) from None
            raise StoreError(f"{self.url}: {what}: {code or exc}") from None
        except BotoCoreError as exc:
            raise StoreError(f"{self.url}: {what}: {first_line(exc)}") from None

    def prepare(self) -> None:
        self._call("checking the bucket", "head_bucket")

    def list(self, prefix: str) -> list[str]:
        keys: list[str] = []
        token: dict[str, str] = {}
        while True:
            page = self._call(
                "listing", "list_objects_v2", Prefix=self.object_name(prefix), **token
            )
            keys += [self.key_of(obj["Key"]) for obj in page.get("Contents", [])]
            if not page.get("IsTruncated"):
                return keys
            token = {"ContinuationToken": page["NextContinuationToken"]}

    def read(self, key: str) -> bytes | None:
        name = self.object_name(key)
        answer = self._call(f"reading {key}", "get_object", missing_ok=True, Key=name)
        return None if answer is None else bytes(answer["Body"].read())

    def put(self, key: str, data: bytes) -> None:
        self._call(f"writing {key}", "put_object", Key=self.object_name(key), Body=data)

    def delete(self, key: str) -> None:
        self._call(f"deleting {key}", "delete_object", Key=self.object_name(key))

    @contextlib.contextmanager
    def lock(self, key: str, *, break_lock: bool = False) -> Iterator[None]:
        """An object created only if absent (``If-None-Match: *``), removed at the end."""
        from botocore.exceptions import ClientError

        name = self.object_name(key)
        if break_lock:
            self.delete(key)
        try:
            self.client().put_object(
                Bucket=self.bucket, Key=name, Body=_lock_body(), IfNoneMatch="*"
            )
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                raise ProwtuiError(_lock_message(self.url, self.read(key))) from None
            raise StoreError(f"{self.url}: taking the lock: {code or first_line(exc)}") from None
        try:
            yield
        finally:
            self.delete(key)

    def abort_uploads(self, under: Sequence[str]) -> int:
        aborted = 0
        marker: dict[str, str] = {}
        prefix = self.object_name("")
        while True:
            page = self._call(
                "listing unfinished uploads", "list_multipart_uploads", Prefix=prefix, **marker
            )
            for upload in page.get("Uploads", []):
                if not self.key_of(upload["Key"]).startswith(tuple(under)):
                    continue
                self._call(
                    "aborting an unfinished upload",
                    "abort_multipart_upload",
                    Key=upload["Key"],
                    UploadId=upload["UploadId"],
                )
                aborted += 1
            if not page.get("IsTruncated"):
                return aborted
            marker = {
                "KeyMarker": page["NextKeyMarker"],
                "UploadIdMarker": page["NextUploadIdMarker"],
            }


# -- GCS ---------------------------------------------------------------------------------------

GCS_SCOPE = "https://www.googleapis.com/auth/devstorage.read_write"


def gcs_emulator() -> str | None:
    """``STORAGE_EMULATOR_HOST`` with a scheme (``http://`` when none is given), else None."""
    host = os.environ.get("STORAGE_EMULATOR_HOST", "").strip()
    if not host:
        return None
    return host if "://" in host else f"http://{host}"


def _google_credentials(url: str) -> tuple[Any, str | None]:
    """Application Default Credentials, refreshed (StoreError with what to set)."""
    try:
        import google.auth
        from google.auth import exceptions as auth_exc
        from google.auth.transport.requests import Request
    except ImportError:  # pragma: no cover - google-cloud-storage is a dependency
        raise StoreError(f"{url}: gs:// outputs need google-auth") from None
    try:
        credentials, project = google.auth.default(scopes=[GCS_SCOPE])
        credentials.refresh(Request())
    except auth_exc.DefaultCredentialsError:
        raise StoreError(
            f"{url}: no Google credentials: run 'gcloud auth application-default login' or set "
            "GOOGLE_APPLICATION_CREDENTIALS (STORAGE_EMULATOR_HOST for an emulator)"
        ) from None
    except auth_exc.GoogleAuthError as exc:
        raise StoreError(f"{url}: Google credentials refused ({first_line(exc)})") from None
    return credentials, project


class GcsStore(_ObjectStore):
    """``gs://BUCKET/PREFIX``: parts through ``pyarrow.fs.GcsFileSystem``, the rest through
    google-cloud-storage. Uploads are whole objects: a resumable upload that was never
    finalised is not visible and expires by itself, so there is nothing to abort."""

    def __init__(self, location: StoreLocation) -> None:
        super().__init__(location)
        self._client: Any = None

    def _make_filesystem(self) -> Any:
        from pyarrow import fs

        options: dict[str, Any] = {"retry_time_limit": timedelta(seconds=REQUEST_TIMEOUT)}
        emulator = gcs_emulator()
        if emulator:
            parts = urlsplit(emulator)
            options.update(anonymous=True, endpoint_override=parts.netloc, scheme=parts.scheme)
        else:
            credentials, _ = _google_credentials(self.url)
            expiry = credentials.expiry or (
                datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(minutes=30)
            )
            options.update(access_token=credentials.token, credential_token_expiration=expiry)
        try:
            return fs.GcsFileSystem(**options)
        except (OSError, ValueError) as exc:
            raise StoreError(f"{self.url}: cannot open GCS ({first_line(exc)})") from None

    def client(self) -> Any:
        """A google-cloud-storage client (the emulator's when STORAGE_EMULATOR_HOST is set)."""
        if self._client is None:
            from google.cloud import storage

            emulator = gcs_emulator()
            if emulator:
                from google.auth.credentials import AnonymousCredentials

                self._client = storage.Client(
                    project="prowtui",
                    credentials=AnonymousCredentials(),
                    client_options={"api_endpoint": emulator},
                )
            else:
                credentials, project = _google_credentials(self.url)
                self._client = storage.Client(project=project or "-", credentials=credentials)
        return self._client

    def _bucket(self) -> Any:
        return self.client().bucket(self.bucket)

    def _call(self, what: str, func: Any, *args: Any, **kwargs: Any) -> Any:
        from google.api_core import exceptions as gexc
        from google.auth import exceptions as auth_exc

        try:
            return func(*args, **kwargs)
        except (gexc.NotFound, gexc.PreconditionFailed):
            raise
        except (gexc.Forbidden, gexc.Unauthorized, auth_exc.GoogleAuthError) as exc:
            raise StoreError(
                f"{self.url}: {what}: access denied ({first_line(exc)}); check the credentials"
            ) from None
        except (gexc.GoogleAPIError, OSError) as exc:
            raise StoreError(f"{self.url}: {what}: {first_line(exc)}") from None
        except Exception as exc:  # requests' transport errors
            if type(exc).__module__.startswith(("requests", "urllib3", "google")):
                raise StoreError(f"{self.url}: {what}: {first_line(exc)}") from None
            raise

    def prepare(self) -> None:
        from google.api_core import exceptions as gexc

        try:
            self._call("checking the bucket", self._bucket().reload, timeout=REQUEST_TIMEOUT)
        except gexc.NotFound:
            raise StoreError(
                f"{self.url}: no bucket {self.bucket} (create it, or check STORAGE_EMULATOR_HOST)"
            ) from None

    def list(self, prefix: str) -> list[str]:
        blobs = self._call(
            "listing",
            lambda: list(
                self.client().list_blobs(
                    self.bucket, prefix=self.object_name(prefix), timeout=REQUEST_TIMEOUT
                )
            ),
        )
        return [self.key_of(blob.name) for blob in blobs]

    def read(self, key: str) -> bytes | None:
        from google.api_core import exceptions as gexc

        blob = self._bucket().blob(self.object_name(key))
        try:
            return bytes(
                self._call(f"reading {key}", blob.download_as_bytes, timeout=REQUEST_TIMEOUT)
            )
        except gexc.NotFound:
            return None

    def put(self, key: str, data: bytes, **conditions: Any) -> None:
        blob = self._bucket().blob(self.object_name(key))
        self._call(
            f"writing {key}",
            blob.upload_from_string,
            data,
            content_type="application/json",
            timeout=REQUEST_TIMEOUT,
            **conditions,
        )

    def delete(self, key: str) -> None:
        from google.api_core import exceptions as gexc

        blob = self._bucket().blob(self.object_name(key))
        with contextlib.suppress(gexc.NotFound):
            self._call(f"deleting {key}", blob.delete, timeout=REQUEST_TIMEOUT)

    @contextlib.contextmanager
    def lock(self, key: str, *, break_lock: bool = False) -> Iterator[None]:
        """An object created only if absent (``ifGenerationMatch=0``), removed at the end."""
        from google.api_core import exceptions as gexc

        if break_lock:
            self.delete(key)
        try:
            self.put(key, _lock_body(), if_generation_match=0)
        except gexc.PreconditionFailed:
            raise ProwtuiError(_lock_message(self.url, self.read(key))) from None
        try:
            yield
        finally:
            self.delete(key)

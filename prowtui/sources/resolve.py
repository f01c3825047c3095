"""Which source and path a user means: presets, ``--source`` specs and pasted URLs.

A *spec* names a backend without opening it (:class:`SourceSpec`); :func:`open_source` turns
it into a :class:`~prowtui.sources.base.Source`. :func:`resolve_target` decides the spec and
the bucket path from what a user typed: a pasted URL wins (gcsweb, ``gs://``, cloud console,
Spyglass, ``storage.googleapis.com``), then ``--source``, then :func:`default_source_name`.
The ``*_url`` functions build the links the explorer offers to copy.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from prowtui.errors import NotFound, UsageError
from prowtui.sources.base import Source

STORAGE_URL = "https://storage.googleapis.com"
SOURCE_ENV = "PROWTUI_SOURCE"

_BUCKET = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,220}[a-z0-9])?$")
_STORAGE_HOSTS = {"storage.googleapis.com", "storage.cloud.google.com"}
_CONSOLE_HOST = "console.cloud.google.com"


@dataclass(frozen=True)
class SourceSpec:
    """A backend and bucket, not yet opened.

    ``kind`` is ``demo``, ``local``, ``gcsweb`` or ``gcs``. ``base_url`` is the gcsweb host
    (``https://HOST``, the part before ``/gcs/``) of a gcsweb spec; ``root`` the directory of a
    local spec. ``web_base`` and ``deck_base`` are only for building links: the gcsweb host and
    the Prow Deck (Spyglass) host that show this bucket, when known. ``name`` is the preset's
    name, if the spec came from one.
    """

    kind: str
    bucket: str = ""
    base_url: str | None = None
    root: Path | None = None
    storage_url: str = STORAGE_URL
    name: str | None = None
    web_base: str | None = None
    deck_base: str | None = None
    #: gcsweb page generation when known ("legacy" / "modern"), informational
    generation: str | None = None

    def describe(self) -> str:
        """A one-line description, e.g. ``gcsweb https://gcs.ci.openshift.org/gcs/BUCKET/``."""
        if self.kind == "demo":
            return "demo bucket"
        if self.kind == "local":
            return f"local directory {self.root}"
        if self.kind == "gcs":
            return f"gs://{self.bucket}/"
        return f"gcsweb {self.base_url}/gcs/{self.bucket}/"


_OPENSHIFT_WEB = "https://gcs.ci.openshift.org"
_OPENSHIFT_BUCKET = "test-platform-results-public"
_OPENSHIFT_DECK = "https://prow.ci.openshift.org"
_ORIGIN_WEB = "https://gcsweb-ci.apps.ci.l2s4.p1.openshiftapps.com"
_K8S_WEB = "https://gcsweb.k8s.io"
_K8S_DECK = "https://prow.k8s.io"

#: the named sources ``--source NAME`` accepts
PRESETS: dict[str, SourceSpec] = {
    "openshift": SourceSpec(
        "gcsweb",
        _OPENSHIFT_BUCKET,
        base_url=_OPENSHIFT_WEB,
        name="openshift",
        web_base=_OPENSHIFT_WEB,
        deck_base=_OPENSHIFT_DECK,
        generation="modern",
    ),
    "openshift-gcs": SourceSpec(
        "gcs",
        _OPENSHIFT_BUCKET,
        name="openshift-gcs",
        web_base=_OPENSHIFT_WEB,
        deck_base=_OPENSHIFT_DECK,
    ),
    "origin-ci-test": SourceSpec(
        "gcsweb",
        "origin-ci-test",
        base_url=_ORIGIN_WEB,
        name="origin-ci-test",
        web_base=_ORIGIN_WEB,
        deck_base=_OPENSHIFT_DECK,
        generation="modern",
    ),
    "kubernetes": SourceSpec(
        "gcsweb",
        "kubernetes-jenkins",
        base_url=_K8S_WEB,
        name="kubernetes",
        web_base=_K8S_WEB,
        deck_base=_K8S_DECK,
        generation="legacy",
    ),
    "kubernetes-gcs": SourceSpec(
        "gcs", "kubernetes-jenkins", name="kubernetes-gcs", web_base=_K8S_WEB, deck_base=_K8S_DECK
    ),
    "demo": SourceSpec("demo", "demo", name="demo"),
}

#: preset that shows each known bucket through gcsweb (for Spyglass / console URLs)
_WEB_PRESET_OF_BUCKET = {
    spec.bucket: name for name, spec in PRESETS.items() if spec.kind == "gcsweb"
}


def preset_names() -> list[str]:
    """The preset names, in the order they are documented."""
    return list(PRESETS)


def default_source_name() -> str:
    """The source used when neither a URL nor ``--source`` names one.

    ``$PROWTUI_SOURCE``, else the config file's ``default_source``, else ``demo``.
    """
    from prowtui.config import load_config

    return os.environ.get(SOURCE_ENV, "").strip() or load_config().default_source or "demo"


# --------------------------------------------------------------------------------------
# parsing


def _check_bucket(bucket: str, text: str) -> str:
    if not _BUCKET.match(bucket):
        raise UsageError(f"not a bucket name in {text!r}: {bucket!r}")
    return bucket


def _with_link_bases(spec: SourceSpec) -> SourceSpec:
    """Fill ``web_base``/``deck_base`` from the preset that knows this bucket, if any."""
    preset = PRESETS.get(_WEB_PRESET_OF_BUCKET.get(spec.bucket, ""))
    if preset is None:
        return spec
    return replace(
        spec,
        web_base=spec.web_base or preset.web_base,
        deck_base=spec.deck_base or preset.deck_base,
    )


def _gcs_spec(bucket: str, text: str) -> SourceSpec:
    return _with_link_bases(SourceSpec("gcs", _check_bucket(bucket, text)))


def _split_bucket_path(rest: str, text: str) -> tuple[str, str]:
    """``BUCKET/a/b`` → (bucket, "a/b") with the path percent-decoded."""
    bucket, _, path = rest.partition("/")
    if not bucket:
        raise UsageError(f"no bucket in {text!r}")
    return bucket, unquote(path)


def _parse_url(text: str) -> tuple[SourceSpec, str]:
    """A source spec and bucket path from a URL; UsageError when it names no bucket."""
    if text.startswith("gs://"):
        bucket, path = _split_bucket_path(text[len("gs://") :], text)
        return _gcs_spec(bucket, text), path
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()  # parses the port too: raises on a bad one
    except ValueError as exc:  # e.g. "https://[" (invalid IPv6 host)
        raise UsageError(f"malformed URL {text!r}: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"unsupported URL {text!r}: expected gs://, http:// or https://")
    raw_path = parts.path
    if host == _CONSOLE_HOST:
        return _parse_console(raw_path, text)
    if host in _STORAGE_HOSTS:
        bucket, path = _split_bucket_path(raw_path.lstrip("/"), text)
        return _gcs_spec(bucket, text), path
    spyglass = re.match(r"^(.*?)/view/(?:gs|gcs)/(.+)$", raw_path)
    if spyglass:
        bucket, path = _split_bucket_path(spyglass.group(2), text)
        deck = f"{parts.scheme}://{parts.netloc}{spyglass.group(1)}"
        spec = _known_bucket_spec(bucket, text)
        path = path if not path or path.endswith("/") else path + "/"
        return replace(spec, deck_base=deck), path
    gcsweb = re.match(r"^(.*?)/gcs/(.*)$", raw_path)
    if gcsweb:
        bucket, path = _split_bucket_path(gcsweb.group(2), text)
        base = f"{parts.scheme}://{parts.netloc}{gcsweb.group(1)}"
        return _gcsweb_spec(base, _check_bucket(bucket, text)), path
    raise UsageError(
        f"cannot tell the bucket from {text!r}: expected a gcsweb URL (…/gcs/BUCKET/…), "
        "gs://BUCKET/…, a Spyglass URL (…/view/gs/BUCKET/…) or a cloud console URL"
    )


def _parse_console(raw_path: str, text: str) -> tuple[SourceSpec, str]:
    """``/storage/browser/[_details/]BUCKET/PATH[;tab=…]`` of the cloud console."""
    match = re.match(r"^/storage/browser/(_details/)?(.+)$", raw_path)
    if not match:
        raise UsageError(f"not a cloud console storage-browser URL: {text!r}")
    bucket, path = _split_bucket_path(match.group(2).split(";", 1)[0], text)
    spec = _known_bucket_spec(bucket, text)
    if not match.group(1) and path and not path.endswith("/"):
        path += "/"  # the storage browser only shows folders; _details shows objects
    return spec, path


def _known_bucket_spec(bucket: str, text: str) -> SourceSpec:
    """The gcsweb preset that shows ``bucket``, else ``gs://bucket``."""
    _check_bucket(bucket, text)
    name = _WEB_PRESET_OF_BUCKET.get(bucket)
    return PRESETS[name] if name else _gcs_spec(bucket, text)


def _gcsweb_spec(base: str, bucket: str) -> SourceSpec:
    base = base.rstrip("/")
    for preset in PRESETS.values():
        if preset.kind == "gcsweb" and preset.base_url == base and preset.bucket == bucket:
            return preset
    spec = SourceSpec("gcsweb", bucket, base_url=base, web_base=base)
    return _with_link_bases(replace(spec, web_base=base))


def _looks_like_url(text: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", text))


def parse_source(text: str) -> SourceSpec:
    """The spec a ``--source`` value names; UsageError when it names none.

    Accepted: a preset name, ``gs://BUCKET``, ``https://HOST/gcs/BUCKET[/…]`` (any gcsweb,
    ``http://127.0.0.1:PORT/gcs/BUCKET/`` for tests), the other URL forms of
    :func:`resolve_target`, ``local:PATH``, or the path of an existing directory.
    """
    value = (text or "").strip()
    if not value:
        raise UsageError("empty source: expected demo, a preset, gs://BUCKET or a URL")
    if value.lower() in PRESETS:
        return PRESETS[value.lower()]
    user_preset = _user_preset(value)
    if user_preset is not None:
        return user_preset
    if _looks_like_url(value):
        return _parse_url(value)[0]
    if value.startswith("local:"):
        return _local_spec(value[len("local:") :], value, required=True)
    spec = _local_spec(value, value, required=False)
    if spec is not None:
        return spec
    raise UsageError(
        f"unknown source {value!r}: expected {', '.join(PRESETS)}, gs://BUCKET, "
        "https://HOST/gcs/BUCKET/, local:PATH or an existing directory"
    )


def _user_preset(name: str) -> SourceSpec | None:
    """A ``[presets.<name>]`` of the config file, as a spec (its ``deck`` for links)."""
    from prowtui.config import load_config

    presets = load_config().presets
    preset = presets.get(name)
    if preset is None:
        return None
    target = preset.source.strip()
    if target in presets:
        raise UsageError(f"presets.{name}.source names a preset; give a URL, gs:// or a path")
    spec = parse_source(target)
    return replace(spec, name=name, deck_base=preset.deck or spec.deck_base)


def _local_spec(raw: str, text: str, *, required: bool) -> SourceSpec | None:
    try:
        path = Path(raw).expanduser()
    except RuntimeError:  # "~user" for a user that does not exist
        path = Path(raw)
    if path.is_dir():
        return SourceSpec("local", "", root=path.resolve())
    if required:
        raise UsageError(f"not a directory: {raw!r} (from {text!r})")
    return None


def resolve_target(source: str | None, path_or_url: str | None) -> tuple[SourceSpec, str]:
    """The spec and bucket path meant by ``--source`` and a positional path or URL.

    A URL decides both, except that an explicit ``--source`` on the same bucket is kept (so
    ``--source openshift-gcs`` with a gcsweb URL reads through the GCS API). Otherwise the
    spec comes from ``source``, then :func:`default_source_name`; the path loses leading
    slashes. Raises UsageError for a spec or URL that names nothing.
    """
    target = (path_or_url or "").strip()
    if target and _looks_like_url(target):
        spec, path = _parse_url(target)
        if source:
            chosen = parse_source(source)
            if chosen.bucket == spec.bucket and chosen.kind in ("gcs", "gcsweb"):
                spec = chosen
        return spec, path
    spec = parse_source(source if source else default_source_name())
    return spec, target.lstrip("/")


# --------------------------------------------------------------------------------------
# opening


def open_source(spec: SourceSpec, *, offline: bool = False, **options: object) -> Source:
    """A Source for ``spec``.

    ``options`` go to the backend: ``concurrency``, ``timeout`` (gcsweb, gcs) and
    ``storage_url`` (gcsweb); the config file supplies them otherwise. gcsweb and GCS sources
    read through the on-disk cache (:class:`~prowtui.sources.cached.CachedSource`) unless the
    config disables it; ``offline`` (or the config's ``offline``) answers from the cache only.
    The demo bucket is read, not built, here: callers above build it first
    (``prowtui.commands.common.open_spec``).
    """
    remote = open_backend(spec, **options)
    if spec.kind in ("demo", "local"):
        return remote
    from prowtui.cache import open_cache
    from prowtui.config import load_config
    from prowtui.sources.cached import CachedSource

    config = load_config()
    offline = offline or config.offline
    if not config.cache.enabled or config.cache.max_size_mb <= 0:
        if offline:
            raise UsageError("--offline needs the cache, which the config disables ([cache])")
        return remote
    return CachedSource(remote, open_cache(config), offline=offline)


def open_backend(spec: SourceSpec, **options: object) -> Source:
    """The backend for ``spec`` without the on-disk cache.

    ``concurrency``, ``timeout`` and ``retries`` come from ``options`` and otherwise from the
    config file (not read when all three are given, so that a process on another machine,
    such as a Dask worker handed a pickled spec, opens exactly what its client asked for);
    ``storage_url`` overrides the spec's.
    """
    if spec.kind == "demo":
        # the demo bucket is built above the sources (prowtui.demo, which the commands ask to
        # make sure of it before they open the spec); here it is read as the directory it is
        from prowtui.paths import demo_dir
        from prowtui.sources.local import LocalSource

        root = demo_dir()
        if not root.is_dir():
            raise NotFound(f"no demo bucket at {root} (prowtui --source demo builds it)")
        return LocalSource(root, bucket=spec.bucket or "demo", kind="demo")
    if spec.kind == "local":
        from prowtui.sources.local import LocalSource

        if spec.root is None:
            raise UsageError("local source without a directory")
        return LocalSource(spec.root, bucket=spec.bucket, kind="local")
    tuning: dict[str, Any] = {
        k: v for k, v in options.items() if k in ("concurrency", "timeout", "retries")
    }
    if len(tuning) < 3:
        from prowtui.config import load_config

        config = load_config()
        defaults = {
            "concurrency": config.concurrency_for(spec.kind),
            "timeout": config.timeout,
            "retries": config.retries,
        }
        tuning = {**defaults, **tuning}
    retries = int(tuning.pop("retries"))
    if spec.kind == "gcsweb":
        from prowtui.sources.gcsweb import GcswebSource
        from prowtui.sources.http import RetryPolicy

        storage_url = str(options.get("storage_url") or spec.storage_url)
        return GcswebSource(
            str(spec.base_url),
            spec.bucket,
            storage_url=storage_url,
            retry=RetryPolicy(attempts=retries),
            **tuning,
        )
    if spec.kind == "gcs":
        from prowtui.sources.gcs import GcsSource

        return GcsSource(spec.bucket, **tuning)
    raise UsageError(f"unknown source kind {spec.kind!r}")


# --------------------------------------------------------------------------------------
# links for copying


def gcsweb_url(spec: SourceSpec, path: str) -> str | None:
    """The gcsweb page of ``path``, or None when no gcsweb host is known for the bucket."""
    base = spec.web_base or (spec.base_url if spec.kind == "gcsweb" else None)
    if not base or not spec.bucket or spec.kind in ("demo", "local"):
        return None
    return f"{base.rstrip('/')}/gcs/{quote(spec.bucket, safe='')}/{quote(path, safe='/')}"


def gs_url(spec: SourceSpec, path: str) -> str | None:
    """``gs://BUCKET/PATH``, or None for the demo and local directories."""
    if spec.kind not in ("gcs", "gcsweb") or not spec.bucket:
        return None
    return f"gs://{spec.bucket}/{path}"


def build_dir_of(path: str) -> str | None:
    """The build directory above ``path`` (``logs/<job>/<id>/``,
    ``pr-logs/pull/[<org_repo>/]<pr>/<job>/<id>/`` or ``pr-logs/pull/batch/<job>/<id>/``),
    or None when ``path`` is not inside a build."""
    segments = path.lstrip("/").split("/")
    if segments[0] == "logs":
        id_index = 2
    elif segments[:2] == ["pr-logs", "pull"]:
        if len(segments) > 2 and segments[2] == "batch":
            id_index = 4
        else:
            pr_index = next(
                (i for i in (2, 3) if i < len(segments) and segments[i].isdigit()), None
            )
            if pr_index is None:
                return None
            id_index = pr_index + 2
    else:
        return None
    if len(segments) <= id_index or not segments[id_index].isdigit():
        return None
    return "/".join(segments[: id_index + 1]) + "/"


def spyglass_url(spec: SourceSpec, path: str) -> str | None:
    """Spyglass (Prow Deck) page of the build that holds ``path``; None when not applicable."""
    if not spec.deck_base or not spec.bucket or spec.kind in ("demo", "local"):
        return None
    build = build_dir_of(path)
    if build is None:
        return None
    return f"{spec.deck_base.rstrip('/')}/view/gs/{spec.bucket}/{build.rstrip('/')}"

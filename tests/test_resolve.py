"""Source specs, presets, pasted-URL resolution and the copyable links."""

from __future__ import annotations

from pathlib import Path

import pytest

from prowtui.errors import UsageError
from prowtui.sources.gcs import GcsSource
from prowtui.sources.gcsweb import GcswebSource
from prowtui.sources.local import LocalSource
from prowtui.sources.resolve import (
    PRESETS,
    SourceSpec,
    build_dir_of,
    default_source_name,
    gcsweb_url,
    gs_url,
    open_source,
    parse_source,
    resolve_target,
    spyglass_url,
)

OCP = "test-platform-results-public"
BUILD = "logs/periodic-ci-openshift-release-master-nightly-4.16-e2e-aws-ovn/1763353455621050368"


@pytest.mark.parametrize(
    ("name", "kind", "bucket", "base"),
    [
        ("openshift", "gcsweb", OCP, "https://gcs.ci.openshift.org"),
        ("openshift-gcs", "gcs", OCP, None),
        ("origin-ci-test", "gcsweb", "origin-ci-test",
         "https://gcsweb-ci.apps.ci.l2s4.p1.openshiftapps.com"),
        ("kubernetes", "gcsweb", "kubernetes-jenkins", "https://gcsweb.k8s.io"),
        ("kubernetes-gcs", "gcs", "kubernetes-jenkins", None),
        ("demo", "demo", "demo", None),
    ],
)  # fmt: skip
def test_presets(name: str, kind: str, bucket: str, base: str | None) -> None:
    spec = parse_source(name)
    assert (spec.kind, spec.bucket, spec.base_url, spec.name) == (kind, bucket, base, name)
    assert parse_source(name.upper()) == spec


def test_preset_link_bases() -> None:
    assert PRESETS["openshift"].deck_base == "https://prow.ci.openshift.org"
    assert PRESETS["openshift-gcs"].web_base == "https://gcs.ci.openshift.org"
    assert PRESETS["kubernetes"].deck_base == "https://prow.k8s.io"
    assert PRESETS["kubernetes"].generation == "legacy"


def test_parse_source_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_source("gs://my-bucket") == SourceSpec("gcs", "my-bucket")
    assert parse_source("gs://origin-ci-test/logs/").web_base == PRESETS["origin-ci-test"].web_base
    spec = parse_source("http://127.0.0.1:8123/gcs/b1/")
    assert (spec.kind, spec.bucket, spec.base_url) == ("gcsweb", "b1", "http://127.0.0.1:8123")
    assert (
        parse_source("https://gcs.ci.openshift.org/gcs/" + OCP + "/logs/") is PRESETS["openshift"]
    )
    assert parse_source(f"local:{tmp_path}") == SourceSpec("local", root=tmp_path.resolve())
    assert parse_source(str(tmp_path)).root == tmp_path.resolve()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mirror").mkdir()
    assert parse_source("mirror").root == (tmp_path / "mirror").resolve()


@pytest.mark.parametrize(
    "bad",
    ["", "nope", "gs://", "gs://Bad_Bucket", "ftp://x/gcs/b/", "https://example.com/nothing",
     "local:/definitely/not/here", "https://console.cloud.google.com/home"],
)  # fmt: skip
def test_bad_specs_are_usage_errors(bad: str) -> None:
    with pytest.raises(UsageError):
        parse_source(bad)


@pytest.mark.parametrize(
    ("url", "kind", "name", "bucket", "path"),
    [
        # gcsweb pages, known and unknown hosts, percent-encoding
        (f"https://gcs.ci.openshift.org/gcs/{OCP}/{BUILD}/", "gcsweb", "openshift", OCP,
         f"{BUILD}/"),
        ("https://gcsweb.k8s.io/gcs/kubernetes-jenkins/logs/a%20b%23c.txt", "gcsweb",
         "kubernetes", "kubernetes-jenkins", "logs/a b#c.txt"),
        ("http://127.0.0.1:9/gcs/bucket-x/logs/", "gcsweb", None, "bucket-x", "logs/"),
        ("https://gcs.ci.openshift.org/gcs/" + OCP, "gcsweb", "openshift", OCP, ""),
        # gs:// and the storage hosts
        (f"gs://{OCP}/{BUILD}/build-log.txt", "gcs", None, OCP, f"{BUILD}/build-log.txt"),
        ("gs://some-bucket", "gcs", None, "some-bucket", ""),
        (f"https://storage.googleapis.com/{OCP}/{BUILD}/started.json", "gcs", None, OCP,
         f"{BUILD}/started.json"),
        # cloud console: folders gain a slash, _details are objects
        (f"https://console.cloud.google.com/storage/browser/{OCP}/{BUILD};tab=objects?prefix=",
         "gcsweb", "openshift", OCP, f"{BUILD}/"),
        (f"https://console.cloud.google.com/storage/browser/_details/{OCP}/{BUILD}/x.json",
         "gcsweb", "openshift", OCP, f"{BUILD}/x.json"),
        ("https://console.cloud.google.com/storage/browser/other-bucket/logs", "gcs", None,
         "other-bucket", "logs/"),
        # Spyglass, both keys
        (f"https://prow.ci.openshift.org/view/gs/{OCP}/{BUILD}", "gcsweb", "openshift", OCP,
         f"{BUILD}/"),
        ("https://prow.k8s.io/view/gcs/kubernetes-jenkins/logs/ci-x/1", "gcsweb", "kubernetes",
         "kubernetes-jenkins", "logs/ci-x/1/"),
        ("https://prow.example.org/view/gs/elsewhere/logs/j/7", "gcs", None, "elsewhere",
         "logs/j/7/"),
    ],
)  # fmt: skip
def test_pasted_urls(url: str, kind: str, name: str | None, bucket: str, path: str) -> None:
    spec, got = resolve_target(None, url)
    assert (spec.kind, spec.name, spec.bucket, got) == (kind, name, bucket, path)


def test_spyglass_url_keeps_its_deck() -> None:
    spec, _ = resolve_target(None, "https://prow.example.org/view/gs/elsewhere/logs/j/7")
    assert spec.deck_base == "https://prow.example.org"
    assert spyglass_url(spec, "logs/j/7/build-log.txt") == (
        "https://prow.example.org/view/gs/elsewhere/logs/j/7"
    )


def test_source_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_source_name() == "demo"
    assert resolve_target(None, "/logs/x/") == (PRESETS["demo"], "logs/x/")
    assert resolve_target(None, None) == (PRESETS["demo"], "")
    monkeypatch.setenv("PROWTUI_SOURCE", "kubernetes")
    assert default_source_name() == "kubernetes"
    assert resolve_target(None, "logs/")[0] is PRESETS["kubernetes"]
    assert resolve_target("openshift", "logs/")[0] is PRESETS["openshift"]
    # a URL decides, except that --source on the same bucket is kept
    url = f"https://gcs.ci.openshift.org/gcs/{OCP}/logs/"
    assert resolve_target("demo", url)[0] is PRESETS["openshift"]
    assert resolve_target("openshift-gcs", url)[0] is PRESETS["openshift-gcs"]
    with pytest.raises(UsageError):
        resolve_target("no-such-preset", "logs/")


@pytest.mark.parametrize(
    ("path", "build"),
    [
        (f"{BUILD}/artifacts/x/y.txt", f"{BUILD}/"),
        (f"{BUILD}/", f"{BUILD}/"),
        ("logs/job/", None),
        ("logs/job/latest-build.txt", None),
        ("pr-logs/pull/openshift_release/4242/pull-job/1765/build-log.txt",
         "pr-logs/pull/openshift_release/4242/pull-job/1765/"),
        ("pr-logs/pull/93714/pull-k8s-e2e/1584/", "pr-logs/pull/93714/pull-k8s-e2e/1584/"),
        ("pr-logs/pull/batch/pull-x/99/a", "pr-logs/pull/batch/pull-x/99/"),
        ("pr-logs/directory/pull-x/99.txt", None),
        ("", None),
    ],
)  # fmt: skip
def test_build_dir_of(path: str, build: str | None) -> None:
    assert build_dir_of(path) == build


def test_copy_links() -> None:
    ocp = PRESETS["openshift"]
    assert gcsweb_url(ocp, f"{BUILD}/a b.txt") == (
        f"https://gcs.ci.openshift.org/gcs/{OCP}/{BUILD}/a%20b.txt"
    )
    assert gs_url(ocp, f"{BUILD}/") == f"gs://{OCP}/{BUILD}/"
    assert spyglass_url(ocp, f"{BUILD}/artifacts/") == (
        f"https://prow.ci.openshift.org/view/gs/{OCP}/{BUILD}"
    )
    assert spyglass_url(ocp, "logs/") is None
    gcs = PRESETS["kubernetes-gcs"]
    assert gcsweb_url(gcs, "logs/") == "https://gcsweb.k8s.io/gcs/kubernetes-jenkins/logs/"
    plain = SourceSpec("gcs", "unknown-bucket")
    assert gcsweb_url(plain, "x") is None and spyglass_url(plain, f"{BUILD}/") is None
    assert gs_url(plain, "x") == "gs://unknown-bucket/x"
    for spec in (PRESETS["demo"], SourceSpec("local", root=Path("/tmp"))):
        assert gcsweb_url(spec, "logs/") is None
        assert gs_url(spec, "logs/") is None
        assert spyglass_url(spec, f"{BUILD}/") is None


def backend(source: object) -> object:
    """The backend below any wrapper (the on-disk cache wraps remote sources)."""
    return getattr(source, "inner", source)


async def test_open_source_builds_each_backend(tmp_path: Path) -> None:
    local = open_source(parse_source(str(tmp_path)), offline=True)
    assert isinstance(local, LocalSource) and local.kind == "local"
    web = open_source(PRESETS["kubernetes"], timeout=5.0)
    inner = backend(web)
    assert isinstance(inner, GcswebSource) and web.bucket == "kubernetes-jenkins"
    assert web.kind == "gcsweb" and inner.base_url == "https://gcsweb.k8s.io"
    await web.aclose()
    custom = open_source(
        parse_source("http://127.0.0.1:9/gcs/b1/"), storage_url="http://127.0.0.1:10"
    )
    inner = backend(custom)
    assert isinstance(inner, GcswebSource) and inner.storage_url == "http://127.0.0.1:10"
    await custom.aclose()
    gcs = open_source(PRESETS["openshift-gcs"], concurrency=2)
    assert isinstance(backend(gcs), GcsSource) and gcs.bucket == OCP and gcs.kind == "gcs"
    await gcs.aclose()
    with pytest.raises(UsageError):
        open_source(SourceSpec("ftp", "x"))

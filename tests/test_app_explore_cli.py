"""``prowtui [--source SRC] [PATH_OR_URL]``: usage errors exit 2 with one line, never a UI."""

from __future__ import annotations

import pytest

from prowtui.commands import explore


@pytest.mark.parametrize(
    "argv",
    [
        ["--bogus"],
        ["--source", "demo", "a", "b"],
        ["--source", "local:/definitely/not/here"],
        ["--source", "nope://x"],
    ],
)
def test_bad_usage_exits_2_with_one_line(argv: list[str], capsys: pytest.CaptureFixture) -> None:
    assert explore.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err and err[-1].startswith("prowtui: error:")


def test_parser_accepts_source_offline_and_target() -> None:
    args = explore.build_parser().parse_args(["--source", "demo", "--offline", "logs/x/"])
    assert (args.source, args.offline, args.target) == ("demo", True, "logs/x/")


def test_bad_keys_table_in_config_is_a_one_line_error(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    config = tmp_path / "prowtui.toml"
    config.write_text('[keys]\n"tree.reload" = 5\n')
    monkeypatch.setenv("PROWTUI_CONFIG", str(config))
    assert explore.main(["--source", "demo"]) in (1, 2)
    assert "prowtui: error:" in capsys.readouterr().err

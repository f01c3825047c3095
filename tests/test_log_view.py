"""LogPanel driven headless: G, n, filter, resize, tail window, remote download, hostile lines."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from textual.app import App, ComposeResult

from prowtui.app.widgets.log_panel import PREFETCH_MIN, TAIL_BYTES, LogPanel
from prowtui.app.widgets.log_view import LogView
from prowtui.errors import NotFound
from prowtui.logs.fetch import log_cache_path
from prowtui.logs.search import filter_with_context
from prowtui.sources.base import Entry, ObjectInfo
from prowtui.sources.local import LocalSource

SIZE = (80, 16)


class PanelApp(App):
    def compose(self) -> ComposeResult:
        yield LogPanel()


class DictSource:
    """An in-process Source over a dict; ``stream`` can be held after the first chunk."""

    kind = "dict"
    bucket = "b"

    def __init__(self, objects: dict[str, bytes], chunk: int = 4096) -> None:
        self.objects = objects
        self.chunk = chunk
        self.gate = asyncio.Event()
        self.gate.set()
        self.reads: list[tuple[int | None, int | None]] = []

    def describe(self) -> str:
        return "dict source"

    async def list(self, path: str) -> list[Entry]:
        return []

    async def stat(self, path: str) -> ObjectInfo:
        if path not in self.objects:
            raise NotFound(f"{path}: not found", path)
        return ObjectInfo(path, len(self.objects[path]))

    async def read(self, path: str, start: int | None = None, end: int | None = None) -> bytes:
        self.reads.append((start, end))
        return (await self._data(path))[start or 0 : end]

    async def _data(self, path: str) -> bytes:
        if path not in self.objects:
            raise NotFound(f"{path}: not found", path)
        return self.objects[path]

    async def stream(self, path: str, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        data = await self._data(path)
        for pos in range(0, len(data), self.chunk):
            yield data[pos : pos + self.chunk]
            await self.gate.wait()

    async def aclose(self) -> None:
        return None


def numbered(n: int, every: int = 0) -> bytes:
    return b"".join(
        b"line %05d%s\n" % (i, b" needle" if every and i % every == 0 else b"") for i in range(n)
    )


def screen_lines(view: LogView) -> list[str]:
    return [
        "".join(seg.text for seg in view.render_line(y)).rstrip()
        for y in range(view.scrollable_content_region.height)
    ]


async def wait_for(pilot, predicate, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "condition not reached in time"
        await pilot.pause(0.02)


async def test_local_top_end_search_next_filter_resize(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    path.write_bytes(numbered(3000, every=250))
    app = PanelApp()
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(LogPanel)
        await panel.open_local(path)
        view = panel.view
        view.focus()
        await wait_for(pilot, lambda: view.index.done)
        await pilot.pause()
        assert screen_lines(view)[0] == "line 00000 needle"

        await pilot.press("G")
        await pilot.pause()
        assert screen_lines(view)[-1] == "line 02999"

        await pilot.press("slash", *"needle", "enter")
        await wait_for(pilot, lambda: view.hits is not None and view.hits.done)
        assert view.hits.lines == list(range(0, 3000, 250))
        assert "12 hits" in str(panel.status.render())

        assert view.current_line == 0  # the first hit after the end wraps to the top
        await pilot.press("n", "n")
        assert view.current_line == 500
        assert "line 00500 needle" in screen_lines(view)
        await pilot.press("N")
        assert view.current_line == 250
        await pilot.press("g")

        await pilot.press("f")
        await pilot.pause()
        assert view.filter_rows == filter_with_context(range(0, 3000, 250), 2, 3000)
        shown = screen_lines(view)
        assert shown[:4] == ["line 00000 needle", "line 00001", "line 00002", "┄ line 00248"]
        assert view.current_line == 250

        await pilot.press("escape")
        assert view.filter_rows is None

        await pilot.resize_terminal(60, 10)
        await pilot.press("G")
        await pilot.pause()
        assert screen_lines(view)[-1] == "line 02999"
        assert len(screen_lines(view)) <= 10

        await pilot.press("g", "bracketright")
        await wait_for(pilot, lambda: view.current_line is not None and not view.message)


async def test_wrap_toggle_and_long_line(tmp_path: Path) -> None:
    path = tmp_path / "wide.log"
    path.write_bytes(b"short\n" + b"0123456789" * 30 + b"\nlast\n")
    app = PanelApp()
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(LogPanel)
        await panel.open_local(path)
        view = panel.view
        view.focus()
        await wait_for(pilot, lambda: view.index.done)
        await pilot.press("w")
        await pilot.pause()
        rows = screen_lines(view)
        width = view.scrollable_content_region.width
        assert rows[0] == "short"
        assert rows[1] == ("0123456789" * 30)[:width]
        assert "last" in rows
        await pilot.press("w")
        await pilot.pause()
        assert screen_lines(view)[2] == "last"


async def test_hostile_lines_are_inert(tmp_path: Path) -> None:
    path = tmp_path / "evil.log"
    path.write_bytes(
        b"\x1b]52;c;aGk=\x07 [@click=app.quit]click[/] \x1b[2J\x1b]0;title\x07\n"
        b"\x1b[31mred\x1b[0m \xe2\x80\xaeevil\n"
    )
    app = PanelApp()
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(LogPanel)
        await panel.open_local(path)
        await wait_for(pilot, lambda: panel.view.index.done)
        await pilot.pause()
        rows = screen_lines(panel.view)
        assert rows[0] == "\\e]52;c;aGk=\\x07 [@click=app.quit]click[/] \\e[2J\\e]0;title\\x07"
        assert rows[1] == "red \\u202eevil"
        assert app.is_running


async def test_remote_first_screen_tail_then_complete(tmp_path: Path) -> None:
    data = numbered(40_000)
    source = DictSource({"logs/job/1/build-log.txt": data})
    source.gate.clear()  # hold the download after the first chunk
    app = PanelApp()
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(LogPanel)
        panel.open_remote(source, "logs/job/1/build-log.txt", len(data))
        view = panel.view
        await wait_for(pilot, lambda: view.index is not None and view.index.line_count > 20)
        await pilot.pause()
        assert screen_lines(view)[0] == "line 00000"
        assert panel.downloaded is not None and panel.downloaded < len(data)
        assert "KiB /" in str(panel.status.render())

        view.focus()
        await pilot.press("G")
        await wait_for(pilot, lambda: view.tail is not None)
        await pilot.pause()
        assert screen_lines(view)[-1] == "line 39999"
        assert any(start for start, _ in source.reads)  # a ranged read, not the whole object
        assert "tail" in view.mode

        source.gate.set()
        await wait_for(pilot, lambda: panel.complete and view.index.done)
        await wait_for(pilot, lambda: view.tail is None)
        await pilot.pause()
        assert screen_lines(view)[-1] == "line 39999"
        cached = log_cache_path(source, "logs/job/1/build-log.txt")
        assert cached.read_bytes() == data
        assert [p.name for p in cached.parent.iterdir()] == [cached.name]


async def test_remote_big_object_tail_is_prefetched_for_instant_end(tmp_path: Path) -> None:
    data = numbered(400_000)  # 4.4 MB: above PREFETCH_MIN
    assert len(data) >= PREFETCH_MIN
    source = DictSource({"logs/job/2/build-log.txt": data})
    source.gate.clear()
    app = PanelApp()
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(LogPanel)
        panel.open_remote(source, "logs/job/2/build-log.txt", len(data))
        view = panel.view
        tail_read = (len(data) - TAIL_BYTES, len(data))
        await wait_for(pilot, lambda: tail_read in source.reads)
        await wait_for(pilot, lambda: view.index is not None and view.index.line_count > 20)
        view.focus()
        await pilot.press("G")
        await pilot.pause()
        assert view.tail is not None
        assert screen_lines(view)[-1] == "line 399999"
        assert source.reads == [tail_read]  # G needed no further request
        await pilot.press("g")
        await pilot.press("G")
        assert source.reads == [tail_read]
        assert screen_lines(view)[-1] == "line 399999"


async def test_remote_through_local_source_and_missing_object(tmp_path: Path) -> None:
    root = tmp_path / "bucket"
    (root / "logs").mkdir(parents=True)
    (root / "logs" / "b.txt").write_bytes(numbered(50))
    source = LocalSource(root)
    app = PanelApp()
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(LogPanel)
        panel.open_remote(source, "logs/b.txt", None)
        await wait_for(pilot, lambda: panel.complete and panel.view.index.done)
        await pilot.pause()
        assert screen_lines(panel.view)[0] == "line 00000"

        panel.open_remote(source, "logs/missing.txt", None)
        await wait_for(pilot, lambda: bool(panel.error))
        await pilot.pause()
        assert "missing.txt" in str(panel.status.render())
        assert app.is_running

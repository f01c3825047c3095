"""Build durations under the history strip: a plotext scatter, oldest → newest, each build a
point in the colour of its strip cell (so a cause that fails fast or times out stands out)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from rich.color import Color
from textual_plotext import PlotextPlot

from prowtui.triage.model import BuildHistory


def human_duration(seconds: float | None) -> str:
    """``45s``, ``12m``, ``1h52m``; empty for None."""
    if seconds is None:
        return ""
    total = round(seconds)
    if total < 60:
        return f"{total}s"
    minutes, _ = divmod(total, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m"


def tick_label(minutes: float) -> str:
    """A short axis label: ``0``, ``45m``, ``2h``, ``1h30m``."""
    total = round(minutes)
    hours, rest = divmod(total, 60)
    if not hours:
        return f"{rest}m" if rest else "0"
    return f"{hours}h{rest:02d}m" if rest else f"{hours}h"


def duration_ticks(longest: float, count: int = 3) -> list[float]:
    """``count`` round tick values in minutes from 0 up to about ``longest`` minutes."""
    if longest <= 0:
        return [0.0]
    for step in (1, 2, 5, 10, 15, 20, 30, 60, 120, 240, 480, 960):
        if longest / step <= count:
            break
    return [float(step * i) for i in range(int(longest // step) + 1)]


class DurationPlot(PlotextPlot):
    """How long each build ran (minutes), one point per build in its strip colour; builds
    without a duration are left out."""

    DEFAULT_CSS = """
    DurationPlot { height: 7; width: 1fr; }
    """

    def show(self, builds: Sequence[BuildHistory], colors: Sequence[str]) -> None:
        """Plot the durations of ``builds`` (oldest first) in ``colors`` (one per build)."""
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        groups: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
        for index, (build, color) in enumerate(zip(builds, colors, strict=False)):
            if build.duration_s is not None:
                xs, ys = groups[color]
                xs.append(index)
                ys.append(build.duration_s / 60)
        longest = max((max(ys) for _, ys in groups.values()), default=0.0)
        for color, (xs, ys) in groups.items():
            plt.scatter(xs, ys, color=Color.parse(color).get_truecolor(), marker="hd")
        ticks = duration_ticks(longest)
        plt.yticks(ticks, [tick_label(t) for t in ticks])
        plt.xticks([])
        plt.xlim(-1, max(1, len(builds)))
        plt.ylim(0, max(ticks[-1], longest) * 1.05 or 1)
        plt.frame(False)
        plt.title("")
        self.refresh()

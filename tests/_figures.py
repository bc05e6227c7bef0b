"""`assert_readable(fig)`: what a reader of a figure needs, checked through matplotlib's renderer.

(a) every drawn text lies inside the canvas; (b) no two drawn texts overlap, and no legend box
covers a text outside it; (c) every curve or collection drawn with data has a label (not
starting with "_") that appears in a legend of its axes or of the figure, or belongs to a
labelled container (an errorbar), or carries the attribute `EXEMPT` naming what labels it;
(d) every axes with data names its x and y axes (a shared y axis may be named once per row);
(e) no legend hides more than `max_covered` of any curve it sits on.
"""

from __future__ import annotations

import itertools
from unittest.mock import patch

import numpy as np
from matplotlib.collections import Collection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.transforms import Bbox

#: Set this attribute on an artist to a sentence saying what labels it instead of a legend
#: (e.g. a reference line named by a text annotation beside it).
EXEMPT = "modelcollapse_labelled_by"

TOLERANCE = 1.0  # pixels


def _drawn_texts(fig: Figure) -> list[tuple[Text, Bbox]]:
    """Draw `fig` and return every Text that was actually drawn (visible, non-empty, its tick
    within the view) with its extent in display pixels, in drawing order."""
    drawn: dict[int, tuple[Text, Bbox]] = {}
    original = Text.draw

    def recording_draw(self: Text, renderer: object) -> None:
        original(self, renderer)
        if self.get_visible() and self.get_text().strip():
            drawn[id(self)] = (self, self.get_window_extent(renderer))

    with patch.object(Text, "draw", recording_draw):
        fig.draw_without_rendering()
    return list(drawn.values())


def _roles(fig: Figure) -> dict[int, str]:
    """A name for each text a reader would recognise: 'title of axes 1', 'x tick label of ...'."""
    roles: dict[int, str] = {}
    if fig._suptitle is not None:
        roles[id(fig._suptitle)] = "suptitle"
    for k, legend in enumerate(fig.legends):
        for text in [*legend.get_texts(), legend.get_title()]:
            roles[id(text)] = f"text of figure legend {k}"
    for i, ax in enumerate(fig.axes):
        where = f"axes {i}" + (f" ({ax.get_title()[:30]!r})" if ax.get_title() else "")
        for axes in [ax, *ax.child_axes]:
            for side in ("title", "_left_title", "_right_title"):
                roles[id(getattr(axes, side))] = f"title of {where}"
            for name, axis in (("x", axes.xaxis), ("y", axes.yaxis)):
                roles[id(axis.label)] = f"{name} label of {where}"
                for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                    for label in (tick.label1, tick.label2):
                        roles[id(label)] = f"{name} tick label of {where}"
            for text in axes.texts:
                roles[id(text)] = f"text in {where}"
            legend = axes.get_legend()
            if legend is not None:
                for text in [*legend.get_texts(), legend.get_title()]:
                    roles[id(text)] = f"legend text of {where}"
    return roles


def _has_data(artist: object) -> bool:
    if isinstance(artist, Line2D):
        return len(artist.get_xdata()) > 0
    if isinstance(artist, Collection):
        return len(artist.get_paths()) > 0 or len(artist.get_offsets()) > 0
    return False


def _display_points(line: Line2D, ax_box: Bbox) -> np.ndarray:
    """The curve in display pixels, a point every pixel or so along each segment (its markers
    where it has no line), restricted to the axes."""
    xy = line.get_transform().transform(np.asarray(line.get_xydata(), float))
    xy = xy[np.all(np.isfinite(xy), axis=1)]
    if line.get_linestyle() not in ("None", "", " ") and len(xy) > 1:
        pieces = []
        for a, b in itertools.pairwise(xy):
            n = max(2, int(np.hypot(*(b - a))))
            pieces.append(a + np.linspace(0, 1, n)[:, None] * (b - a))
        xy = np.concatenate(pieces)
    inside = (
        (xy[:, 0] >= ax_box.x0)
        & (xy[:, 0] <= ax_box.x1)
        & (xy[:, 1] >= ax_box.y0)
        & (xy[:, 1] <= ax_box.y1)
    )
    return xy[inside]


def readability_problems(fig: Figure, *, dpi: float = 150, max_covered: float = 0.05) -> list[str]:
    """Every problem `assert_readable` would report, as sentences."""
    old_dpi = fig.dpi
    fig.set_dpi(dpi)
    try:
        texts = _drawn_texts(fig)
        return _text_problems(fig, texts) + _artist_problems(fig, max_covered)
    finally:
        fig.set_dpi(old_dpi)


def _overlap(a: Bbox, b: Bbox) -> bool:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w > TOLERANCE and h > TOLERANCE


def _text_problems(fig: Figure, texts: list[tuple[Text, Bbox]]) -> list[str]:
    """(a) inside the canvas, (b) apart from each other and from legends they are not in."""
    roles = _roles(fig)
    canvas = fig.bbox
    problems = []

    def name(text: Text, box: Bbox) -> str:
        role = roles.get(id(text), type(text).__name__)
        return (
            f"{role} {text.get_text()!r} (x {box.x0:.0f}..{box.x1:.0f}, "
            f"y {box.y0:.0f}..{box.y1:.0f} px)"
        )

    for text, box in texts:
        if (
            box.x0 < canvas.x0 - TOLERANCE
            or box.y0 < canvas.y0 - TOLERANCE
            or box.x1 > canvas.x1 + TOLERANCE
            or box.y1 > canvas.y1 + TOLERANCE
        ):
            problems.append(
                f"clipped: {name(text, box)} is not inside the canvas "
                f"({canvas.width:.0f} x {canvas.height:.0f} px)"
            )
    for i, (text_a, box_a) in enumerate(texts):
        for text_b, box_b in texts[i + 1 :]:
            if _overlap(box_a, box_b):
                problems.append(f"overlap: {name(text_a, box_a)} and {name(text_b, box_b)}")
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]
    for legend in legends:
        legend_box = legend.get_window_extent()
        own = {id(t) for t in [*legend.get_texts(), legend.get_title()]}
        for text, box in texts:
            if id(text) not in own and _overlap(box, legend_box):
                problems.append(f"overlap: a legend box covers {name(text, box)}")
    return problems


def _container_children(ax: object, labels: set[str]) -> set[int]:
    """The artists of containers (errorbars) whose label is in a legend."""
    ids: set[int] = set()
    for container in ax.containers:
        if container.get_label() in labels:
            stack = list(container)
            while stack:
                child = stack.pop()
                if isinstance(child, (tuple, list)):
                    stack.extend(child)
                elif child is not None:
                    ids.add(id(child))
    return ids


def _artist_problems(fig: Figure, max_covered: float) -> list[str]:
    """(c) every curve labelled, (d) axes named, (e) legends not over curves."""
    problems = []
    figure_labels = {t.get_text() for legend in fig.legends for t in legend.get_texts()}
    for i, ax in enumerate(fig.axes):
        where = f"axes {i}" + (f" ({ax.get_title()!r})" if ax.get_title() else "")
        legend = ax.get_legend()
        labels = figure_labels | ({t.get_text() for t in legend.get_texts()} if legend else set())
        contained = _container_children(ax, labels)
        artists = [
            a
            for a in [*ax.lines, *ax.collections]
            if a.get_visible() and _has_data(a) and id(a) not in contained
        ]
        for artist in artists:
            label = artist.get_label()
            if getattr(artist, EXEMPT, None):
                continue
            if not label or label.startswith("_") or label not in labels:
                problems.append(
                    f"unlabelled: a {type(artist).__name__} in {where} (label {label!r}) is in "
                    "no legend"
                )
        if artists or ax.containers:
            if not ax.get_xlabel():
                problems.append(f"unnamed: the x axis of {where} has no label")
            if not any(s.get_ylabel() for s in ax.get_shared_y_axes().get_siblings(ax)):
                problems.append(f"unnamed: the y axis of {where} has no label")
        if legend is None:
            continue
        legend_box, ax_box = legend.get_window_extent(), ax.get_window_extent()
        for line in ax.lines:
            if not line.get_visible() or not _has_data(line):
                continue
            xy = _display_points(line, ax_box)
            if len(xy) == 0:
                continue
            covered = np.mean(
                (xy[:, 0] > legend_box.x0)
                & (xy[:, 0] < legend_box.x1)
                & (xy[:, 1] > legend_box.y0)
                & (xy[:, 1] < legend_box.y1)
            )
            if covered > max_covered:
                problems.append(
                    f"covered: the legend of {where} hides {covered:.0%} of the curve "
                    f"{line.get_label()!r}"
                )
    return problems


def assert_readable(fig: Figure, *, dpi: float = 150, max_covered: float = 0.05) -> None:
    """Fail, naming every offending text or artist, unless `fig` drawn at `dpi` (what
    `plotting.save` writes) keeps its texts inside the canvas and apart, has every curve in a
    legend, names its axes, and has no legend hiding more than `max_covered` of a curve."""
    problems = readability_problems(fig, dpi=dpi, max_covered=max_covered)
    if problems:
        raise AssertionError(
            f"{len(problems)} readability problem(s):\n" + "\n".join(f"- {p}" for p in problems)
        )

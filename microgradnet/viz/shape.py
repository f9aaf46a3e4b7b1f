"""The shape of a still drawing whose direction is left to the library, chosen for a slide.

Left to right, as the notes draw their figures, when that fits a 1280×720 slide at 100 %
(SLIDE); otherwise whichever of left to right, top to bottom and rows (a long chain drawn like
lines of text) shows the text largest on such a slide. The sizes are estimated from the DOT
text (``viz.size``), so no dot is needed. A picture still beyond STRETCH_FROM:1 either way is
stretched by dot's ``ratio`` (the nodes spread, as in the notes' figure) to MAX_ASPECT or less,
so that every such drawing stays within 3:1.
"""

from __future__ import annotations

from .layout import Layout, in_rows, plan_layout, spine_of
from .marks import Marks
from .options import DrawOptions
from .scene import Scene
from .size import profile
from .writer import Picture

SLIDE = (960.0, 540.0)  # points: a 1280×720 pixel slide at 100 %
STRETCH_FROM = 2.5  # estimated aspect from which the picture is stretched (the estimate's margin)
TARGET_ASPECT = 2.9  # what a stretched picture is drawn at (within MAX_ASPECT)
MIN_ROW_SPINE = 8  # spine nodes (4 operations) before rows are tried


def choose_layout(s: Scene, options: DrawOptions, marks: Marks) -> Layout:
    """The layout of scene s drawn with options and marks: as asked when options.rankdir is
    given, else the shape for a slide (above)."""
    if options.rankdir is not None:
        return plan_layout(s, options)
    spine = spine_of(s)
    lr = Layout("LR", spine)
    ranks = profile(Picture(s, lr, marks, options).dot_graph)
    lr_size = ranks.size("LR")
    if s.groups or (lr_size[0] <= SLIDE[0] and lr_size[1] <= SLIDE[1]):
        return stretched(lr, lr_size)
    candidates = [(lr, lr_size), (Layout("TB", spine), ranks.size("TB"))]
    if len(spine) >= MIN_ROW_SPINE:
        counts = range(2, max(2, len(spine) // 4) + 1)
        count = max(counts, key=lambda k: _slide_scale(ranks.rows(k)))
        candidates.append((in_rows(s, spine, count), ranks.rows(count)))
    best, size = max(candidates, key=lambda c: _slide_scale(c[1]))
    if best.wrapped:  # the rows as written: a closer estimate than the one line cut up
        size = profile(Picture(s, best, marks, options).dot_graph).size("LR")
    return stretched(best, size)


def _slide_scale(size: tuple[float, float]) -> float:
    """How large a picture of that size shows on a SLIDE (its scale to fit it)."""
    return min(SLIDE[0] / size[0], SLIDE[1] / size[1])


def stretched(layout: Layout, size: tuple[float, float]) -> Layout:
    """layout with dot's ratio set when its estimated size is beyond STRETCH_FROM:1: the
    shorter side stretched so that the picture comes out at TARGET_ASPECT."""
    width, height = size
    if width > STRETCH_FROM * height:
        return Layout(layout.direction, layout.spine, layout.rows, layout.split, 1 / TARGET_ASPECT)
    if height > STRETCH_FROM * width:
        return Layout(layout.direction, layout.spine, layout.rows, layout.split, TARGET_ASPECT)
    return layout

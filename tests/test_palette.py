"""The drawings' colours stay apart for every reader: in greyscale (a print, a projector) and for
the common colour-vision deficiencies (protanopia, deuteranopia, tritanopia, simulated with the
matrices of Machado, Oliveira and Fernandes 2009 at full severity), each pair of roles drawn
side by side keeps a minimum distance in CIELAB (ΔE*76)."""

from __future__ import annotations

import itertools
import math

import pytest
from networks import seed001

from microgradnet.viz import COLORS, draw
from microgradnet.viz.looks import MARKED

# Machado et al. (2009), severity 1.0, on linear RGB
DEFICIENCIES = {
    "protanopia": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
    "deuteranopia": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ),
    "tritanopia": (
        (1.255528, -0.076749, -0.178779),
        (-0.078411, 0.930809, 0.147602),
        (0.004733, 0.691367, 0.303900),
    ),
}
VIEWS = ("normal", "greyscale", *DEFICIENCIES)
NAMED = {"white": "#ffffff", "black": "#000000", "blue": "#0000ff", "red": "#ff0000"}
NAMED |= {"palegreen": "#98fb98", "darkorange": "#ff8c00"}
VALUE_ROLES = ("input", "parameter", "constant", "interior", "root")


def linear(color: str) -> tuple[float, float, float]:
    hexa = NAMED.get(color, color)
    assert hexa.startswith("#") and len(hexa) == 7, f"name {color!r} in NAMED"
    channels = (int(hexa[i : i + 2], 16) / 255 for i in (1, 3, 5))
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return r, g, b


def seen(color: str, view: str) -> tuple[float, float, float]:
    """color as CIELAB (D65) for a viewer: normal, in greyscale, or with a deficiency."""
    rgb = linear(color)
    if view == "greyscale":
        y = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]
        rgb = (y, y, y)
    elif view in DEFICIENCIES:
        rows = DEFICIENCIES[view]
        rgb = tuple(min(1.0, max(0.0, sum(m * c for m, c in zip(row, rgb)))) for row in rows)
    r, g, b = rgb
    xyz = (
        (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047,
        0.2126 * r + 0.7152 * g + 0.0722 * b,
        (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883,
    )
    fx, fy, fz = (t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in xyz)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def distance(a: str, b: str, view: str) -> float:
    return math.dist(seen(a, view), seen(b, view))


def test_the_simulation_is_the_published_one() -> None:
    """Known values: white stays white, greyscale keeps lightness, a dichromat confuses red
    with green far more than a normal viewer, a tritanope blue with green."""
    assert seen("#ffffff", "protanopia") == pytest.approx((100, 0, 0), abs=0.5)
    assert seen("#ff0000", "greyscale")[0] == pytest.approx(53.2, abs=0.3)
    assert (
        distance("#ff0000", "#00aa00", "deuteranopia")
        < distance("#ff0000", "#00aa00", "normal") / 2
    )
    assert distance("#0000ff", "#00a0a0", "tritanopia") < distance("#0000ff", "#00a0a0", "normal")


@pytest.mark.parametrize("view", VIEWS)
def test_value_boxes_stay_apart(view: str) -> None:
    """Inputs, parameters, constants, computed values and the result, pairwise."""
    close = [
        (a, b, round(distance(COLORS[a], COLORS[b], view), 1))
        for a, b in itertools.combinations(VALUE_ROLES, 2)
        if distance(COLORS[a], COLORS[b], view) < 8
    ]
    assert close == []


@pytest.mark.parametrize("view", VIEWS)
def test_neurons_arrows_and_marks_stay_apart(view: str) -> None:
    """A network drawn by neuron: neurons against its inputs, parameters and the result;
    forward against backward arrows (thick and thin); the highlight against the current
    step's outline and the plain black one."""
    pairs = [
        ("group", "input", 8),
        ("group", "parameter", 8),
        ("group", "root", 8),
        ("forward", "backward", 15),
        ("thin", "thin_back", 8),
        ("highlight", "current", 10),
    ]
    close = [
        (a, b, round(d, 1))
        for a, b, least in pairs
        if (d := distance(COLORS[a], COLORS[b], view)) < least
    ]
    assert close == []
    assert distance(MARKED["color"], "black", view) >= 30
    # black text stays readable on every fill: lightness 50 or more
    assert min(seen(COLORS[r], view)[0] for r in (*VALUE_ROLES, "group")) >= 50


def test_the_drawings_use_these_colours() -> None:
    source = draw(seed001()[3], legend=True).source
    for role in ("input", "interior", "root", "op"):
        assert f'fillcolor="{COLORS[role]}"' in source or f"fillcolor={COLORS[role]}" in source

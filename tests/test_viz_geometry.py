"""Drawings checked from the geometry Graphviz gives them (`dot -Tjson` on this machine): no label
crosses a node, another label or an edge but its own; every drawing whose direction is left to
the library stays within 3:1 and is drawn left to right when that fits a 1280×720 slide; the
operands of each operation in operand order. Over every combination of the six options a
teacher combines (show_backward, values="arrows", derivatives="formula", colors="uniform",
legend, highlight = explain(root, first leaf)) on the four figures of the notes: the worked
example L = (x·w + b)², Masha's network, the one-hidden-layer network with L2 and
MLP(2, [4, 4, 1]) drawn by neuron: 256 dot runs."""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Iterator
from typing import Any

import networks
import numpy as np
import pytest
from networks import seed001

from microgradnet import Value, linear, nn
from microgradnet.chain_rule import explain
from microgradnet.engine import Constant, topological_order
from microgradnet.losses import l2_penalty, mse_loss
from microgradnet.viz import draw, run_dot

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in points, y up
TOLERANCE = 1.0  # points a label may touch something else by
OPTIONS = ("show_backward", "arrows", "formula", "uniform", "legend", "highlight")
SLIDE = (960.0, 540.0)  # points: 1280×720 pixels at 100 %


# -- the four figures ----------------------------------------------------------------------------


def notes_example() -> tuple[Value, dict[str, Any]]:
    return seed001()[3], {}


def mashas_network() -> tuple[Value, dict[str, Any]]:
    L = networks.mashas_network()
    L.backward()
    return L, {}


def l2_network() -> tuple[Value, dict[str, Any]]:
    """Notebook 04: z = W1 x, h = tanh(z), o = W2 h, J = ½|o − y|² + λ/2 (|W1|² + |W2|²)."""
    rng = np.random.default_rng(4)
    W1, W2 = rng.normal(size=(2, 2)), rng.normal(size=(1, 2))
    W1v = [[Value(float(v), f"W1_{i}{j}") for j, v in enumerate(r)] for i, r in enumerate(W1)]
    W2v = [[Value(float(v), f"W2_{i}{j}") for j, v in enumerate(r)] for i, r in enumerate(W2)]
    xv = [Value(1.0, "x0"), Value(-0.5, "x1")]
    z = linear(W1v, xv)
    h = [zi.tanh() for zi in z]
    o = linear(W2v, h)
    for name, nodes in [("z", z), ("h", h), ("o", o)]:
        for i, v in enumerate(nodes):
            v.label = f"{name}{i}"
    L = 0.5 * mse_loss(o, [0.8], reduction="sum")
    params = [p for row in W1v + W2v for p in row]
    s = l2_penalty(params, 0.1)
    s.children[0].label = "Σp²"
    J = L + s
    L.label, s.label, J.label = "L", "s", "J"
    J.backward()
    return J, {"params": params}


def mlp_by_neuron() -> tuple[Value, dict[str, Any]]:
    model = nn.MLP(2, [4, 4, 1], activation="tanh", seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.label = "loss"
    loss.backward()
    return loss, {"collapse": "neuron"}


FIGURES = {
    "the notes' example": notes_example,
    "Masha's network": mashas_network,
    "L2 network": l2_network,
    "MLP(2,[4,4,1]) by neuron": mlp_by_neuron,
}


def first_leaf(root: Value) -> Value:
    return next(v for v in topological_order(root) if not v.children and type(v) is not Constant)


def combinations(root: Value, base: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every combination of the six options, named."""
    for n in range(len(OPTIONS) + 1):
        for chosen in itertools.combinations(OPTIONS, n):
            kwargs = dict(base)
            kwargs["show_backward"] = "show_backward" in chosen
            kwargs["values"] = "arrows" if "arrows" in chosen else "box"
            kwargs["derivatives"] = "formula" if "formula" in chosen else "value"
            kwargs["colors"] = "uniform" if "uniform" in chosen else "kinds"
            kwargs["legend"] = "legend" in chosen
            if "highlight" in chosen:
                kwargs["highlight"] = explain(root, first_leaf(root))
            yield ",".join(chosen) or "defaults", kwargs


# -- geometry from dot -Tjson --------------------------------------------------------------------


def bezier(points: list[list[float]], steps: int = 16) -> list[tuple[float, float]]:
    """Points along a piecewise cubic Bézier curve (xdot's b/B operations)."""
    out = []
    for i in range(0, len(points) - 3, 3):
        p0, p1, p2, p3 = points[i : i + 4]
        for k in range(steps + 1):
            t = k / steps
            u = 1 - t
            out.append(
                tuple(
                    u**3 * p0[a] + 3 * u * u * t * p1[a] + 3 * u * t * t * p2[a] + t**3 * p3[a]
                    for a in (0, 1)
                )
            )
    return out  # type: ignore[return-value]


def text_box(ops: list[dict[str, Any]]) -> Box | None:
    """The box around the text lines xdot draws (T operations), at the font size set (F)."""
    size, boxes = 14.0, []
    for op in ops:
        if op["op"] == "F":
            size = float(op["size"])
        elif op["op"] == "T":
            (x, y), w = op["pt"], float(op["width"])
            x0 = {"c": x - w / 2, "l": x, "r": x - w}[op["align"]]
            boxes.append((x0, y - 0.25 * size, x0 + w, y + 0.8 * size))
    if not boxes:
        return None
    xs0, ys0, xs1, ys1 = zip(*boxes)
    return min(xs0), min(ys0), max(xs1), max(ys1)


def geometry(layout: dict[str, Any]) -> tuple[list[dict[str, Any]], ...]:
    """Nodes (box, round or not), edge labels (box, their edge) and edges (points along the
    drawn curve and arrowheads) of a laid-out graph."""
    nodes, labels, edges = [], [], []
    for o in layout.get("objects", []):
        if "pos" in o and "width" in o:
            x, y = map(float, o["pos"].split(","))
            w, h = float(o["width"]) * 72, float(o["height"]) * 72
            round_ = o.get("shape", "ellipse") in ("circle", "ellipse")
            nodes.append({"name": o["name"], "box": (x - w / 2, y - h / 2, x + w / 2, y + h / 2)})
            nodes[-1]["round"] = round_
    for i, e in enumerate(layout.get("edges", [])):
        if e.get("style") == "invis":
            continue
        points: list[tuple[float, float]] = []
        for key in ("_draw_", "_hdraw_", "_tdraw_"):
            for op in e.get(key, []):
                if op["op"] in ("b", "B"):
                    points += bezier(op["points"])
                elif op["op"] in ("p", "P", "L"):
                    points += [tuple(p) for p in op["points"]]
        edges.append({"id": i, "points": points})
        box = text_box(e.get("_ldraw_", []))
        if box is not None:
            labels.append({"edge": i, "box": box, "text": e.get("label", "")})
    return nodes, labels, edges


def boxes_overlap(a: Box, b: Box) -> bool:
    return (
        min(a[2], b[2]) - max(a[0], b[0]) > TOLERANCE
        and min(a[3], b[3]) - max(a[1], b[1]) > TOLERANCE
    )


def hits_node(label: Box, node: dict[str, Any]) -> bool:
    """The label's box, shrunk by the tolerance, meets the node (a box, or an ellipse)."""
    b = node["box"]
    if not boxes_overlap(label, b):
        return False
    if not node["round"]:
        return True
    cx, cy, rx, ry = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2, (b[2] - b[0]) / 2, (b[3] - b[1]) / 2
    px = min(max(cx, label[0] + TOLERANCE), label[2] - TOLERANCE)  # the label's nearest point
    py = min(max(cy, label[1] + TOLERANCE), label[3] - TOLERANCE)
    return ((px - cx) / rx) ** 2 + ((py - cy) / ry) ** 2 < 1


def inside(p: tuple[float, float], box: Box) -> bool:
    t = TOLERANCE
    return box[0] + t < p[0] < box[2] - t and box[1] + t < p[1] < box[3] - t


def crossings(layout: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Each label that meets a node, another label, or an edge other than its own."""
    nodes, labels, edges = geometry(layout)
    found = []
    for label in labels:
        found += [("node", label["text"], n["name"]) for n in nodes if hits_node(label["box"], n)]
        found += [
            ("edge", label["text"], str(e["id"]))
            for e in edges
            if e["id"] != label["edge"] and any(inside(p, label["box"]) for p in e["points"])
        ]
    for a, b in itertools.combinations(labels, 2):
        if boxes_overlap(a["box"], b["box"]):
            found.append(("label", a["text"], b["text"]))
    return found


def size(layout: dict[str, Any]) -> tuple[float, float]:
    w, h = (float(x) for x in str(layout["bb"]).split(",")[2:])
    return w, h


# -- the checks ----------------------------------------------------------------------------------


def test_the_check_finds_a_label_on_a_node_an_edge_and_a_label() -> None:
    """The checker itself, on geometry made by hand: it must be able to fail."""
    label = {"op": "T", "pt": [50.0, 50.0], "align": "c", "width": 40.0}
    layout = {
        "objects": [
            {"name": "far", "pos": "300,300", "width": "0.75", "height": "0.5", "shape": "box"},
            {"name": "round", "pos": "50,70", "width": "0.5", "height": "0.5", "shape": "circle"},
        ],
        "edges": [
            {
                "label": "own",
                "_draw_": [{"op": "b", "points": [[0, 0], [10, 10], [20, 20], [30, 30]]}],
                "_ldraw_": [{"op": "F", "size": 12.0}, label],
            },
            {"_draw_": [{"op": "b", "points": [[50, 0], [50, 30], [50, 70], [50, 100]]}]},
            {"label": "twin", "_ldraw_": [{"op": "F", "size": 12.0}, dict(label, pt=[60.0, 52.0])]},
        ],
    }
    kinds = sorted({k for k, _, _ in crossings(layout)})
    assert kinds == ["edge", "label", "node"]
    layout["objects"][1]["pos"] = "84,72"  # only the circle's empty box corner is touched
    layout["edges"] = layout["edges"][:1]
    assert crossings(layout) == []


@pytest.mark.needs_dot
@pytest.mark.parametrize("figure", FIGURES)
def test_no_label_is_crossed_and_every_shape_is_slide_like(figure: str) -> None:
    """64 combinations of the options per figure, each laid out by dot: no crossings; within
    3:1 either way; left to right (straight or in rows) when left to right fits a slide,
    else top to bottom only because it did not fit."""
    root, base = FIGURES[figure]()
    bad, shapes = [], {}
    for name, kwargs in combinations(root, base):
        graph = draw(root, **kwargs)
        layout = json.loads(run_dot(graph.source, "json"))
        found = crossings(layout)
        w, h = size(layout)
        if found or max(w / h, h / w) > 3.0:
            bad.append((name, round(max(w / h, h / w), 2), found[:3]))
        shapes[name] = (graph.graph_attr["rankdir"], w, h)
        if graph.graph_attr["rankdir"] == "TB":
            lr = json.loads(run_dot(draw(root, rankdir="LR", **kwargs).source, "json"))
            lw, lh = size(lr)
            assert lw > SLIDE[0] * 0.9 or lh > SLIDE[1] * 0.9, (name, lw, lh)
    assert bad == []


@pytest.mark.needs_dot
def test_the_notes_example_is_drawn_left_to_right_as_the_notes_draw_it() -> None:
    """Today's default: one line left to right, x above w, b below, about 2.9:1 (the notes'
    figure is 14×6 inches), at 100 % within a 1280×720 slide."""
    graph = draw(seed001()[3])
    layout = json.loads(run_dot(graph.source, "json"))
    w, h = size(layout)
    assert graph.graph_attr["rankdir"] == "LR" and w <= SLIDE[0] and h <= SLIDE[1]
    assert 2.0 <= w / h <= 3.0
    at = {o["name"]: tuple(map(float, o["pos"].split(","))) for o in layout["objects"]}
    x, w_, b = (n for n in ("v0", "v1", "v3"))
    assert at[x][1] > at["o2"][1] > at[w_][1]  # x above ×, w below
    assert at[b][1] < at["o4"][1]  # b below +, the chain one line
    assert abs(at["o2"][1] - at["o4"][1]) < 1 and abs(at["o4"][1] - at["o6"][1]) < 1


def operand_order(root: Value, **kwargs: Any) -> list[tuple[str, list[str], list[str]]]:
    """For each drawn op with two or more operand arrows: its operands' node ids in the order
    dot placed them across the direction (top to bottom left to right, left to right top to
    bottom), and in operand order (the order the writer gives its arrows)."""
    graph = draw(root, **kwargs)
    layout = json.loads(run_dot(graph.source, "json"))
    at = {
        o["name"]: tuple(map(float, o["pos"].split(","))) for o in layout["objects"] if "pos" in o
    }
    lr = graph.graph_attr["rankdir"] == "LR"
    tails: dict[str, list[str]] = {}
    for tail, head in re.findall(r"^\t(\w+) -> (o\d+) \[.*color=blue", graph.source, re.M):
        if tail not in tails.get(head, []):
            tails.setdefault(head, []).append(tail)
    return [
        (head, sorted(ids, key=lambda n: -at[n][1] if lr else at[n][0]), ids)
        for head, ids in tails.items()
        if len(ids) >= 2
    ]


@pytest.mark.needs_dot
@pytest.mark.parametrize("figure", ["the notes' example", "Masha's network", "L2 network"])
def test_operands_are_drawn_in_operand_order(figure: str) -> None:
    """x before w in x·w, y before ŷ in y − ŷ, a dot product's weights then its inputs: above
    one another left to right, beside one another top to bottom; and neuron 0 before 1."""
    root, base = FIGURES[figure]()
    for kwargs in ({}, {"rankdir": "TB"}, {"show_backward": True, "values": "arrows"}):
        orders = operand_order(root, **base, **kwargs)
        assert orders and [o for o in orders if o[1] != o[2]] == [], kwargs
    if figure == "L2 network":
        graph = draw(root, **base)
        layout = json.loads(run_dot(graph.source, "json"))
        at = {o["name"]: tuple(map(float, o["pos"].split(","))) for o in layout["objects"]}
        ids = {}
        for o in layout["objects"]:
            label = o.get("label", "")
            for name in ("z0", "z1", "h0", "h1"):
                if label.startswith(f"<B>{name}</B>"):
                    ids[name] = o["name"]
        assert at[ids["z0"]][1] > at[ids["z1"]][1] and at[ids["h0"]][1] > at[ids["h1"]][1]


@pytest.mark.needs_dot
def test_a_network_by_neuron_keeps_neuron_order_under_every_option() -> None:
    root, base = mlp_by_neuron()
    for _, kwargs in itertools.islice(combinations(root, base), 0, 64, 7):
        graph = draw(root, **kwargs)
        layout = json.loads(run_dot(graph.source, "json"))
        ys: dict[str, float] = {}
        inputs: dict[str, float] = {}
        for o in layout["objects"]:
            label = o.get("label", "")
            if label.startswith(("<I>x₁</I>", "<I>x₂</I>")):
                inputs[label[3:5]] = float(o["pos"].split(",")[1])
            if label.startswith("<B>layers.1.neurons."):
                ys[label[len("<B>layers.1.neurons.") : label.index("<", 3)]] = float(
                    o["pos"].split(",")[1]
                )
        assert [ys[k] for k in sorted(ys)] == sorted(ys.values(), reverse=True)
        assert inputs["x₁"] > inputs["x₂"]  # x₁ above x₂
        assert not math.isnan(sum(ys.values()))

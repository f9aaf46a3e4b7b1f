"""The graph renderer: DOT content (labels, symbols, local derivatives, seed 001's arrows,
escaping, colours, stable ids), SVG parsed as XML, collapse, step-through pictures,
and the errors without dot."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import graphviz
import pytest
from networks import seed001

from microgradnet import nn
from microgradnet.chain_rule import explain
from microgradnet.engine import Constant, Value, dot, topological_order, vsum
from microgradnet.steps import backward_steps
from microgradnet.viz import (
    COLORS,
    Drawing,
    DrawOptions,
    GraphvizError,
    GraphvizNotFoundError,
    draw,
    run_dot,
    save_pdf,
    save_png,
    save_svg,
    to_svg,
)

SVG = "{http://www.w3.org/2000/svg}"


class Dot:
    """The nodes and edges of DOT text written by draw(), for asserting on."""

    NODE = re.compile(r"^\t(\w+) \[label=<(.*)> ([^<>]*)\]$")
    EDGE = re.compile(r"^\t(\w+) -> (\w+)(?: \[(.*)\])?$")
    ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^ ]+)')

    def __init__(self, graph: graphviz.Digraph) -> None:
        self.source = graph.source
        self.nodes: dict[str, dict[str, str]] = {}
        self.edges: list[tuple[str, str, dict[str, str]]] = []
        for line in self.source.splitlines():
            if m := self.NODE.match(line):
                self.nodes[m[1]] = {"label": m[2], **self.attrs(m[3])}
            elif m := self.EDGE.match(line):
                self.edges.append((m[1], m[2], self.attrs(m[3] or "")))

    def attrs(self, text: str) -> dict[str, str]:
        return {k: v.strip('"') for k, v in self.ATTR.findall(text)}

    def node(self, label_part: str, exact: bool = False) -> str:
        """The one node whose label contains (or with exact, is) label_part."""
        found = [
            n
            for n, a in self.nodes.items()
            if (label_part == a["label"] if exact else label_part in a["label"])
        ]
        assert len(found) == 1, (label_part, found)
        return found[0]

    def label(self, node: str) -> str:
        return self.nodes[node]["label"]

    def between(self, tail: str, head: str, color: str = "blue") -> list[str]:
        """Labels of the edges tail -> head of a colour."""
        return [
            a.get("label", "")
            for t, h, a in self.edges
            if (t, h) == (tail, head) and a.get("color") == color
        ]

    def op_of(self, value_node: str) -> str:
        return "o" + value_node[1:]


def bare(label: str) -> str:
    """A label's text without its markup (<B>, <FONT ...>)."""
    return re.sub(r"<[^<>]*>", "", label)


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def masha(x: float, y: float, w: tuple[float, float, float]) -> dict[str, Value]:
    """Seed 002's network (tests/networks.py)."""
    from networks import masha as build

    return build(x, y, w)


# -- DOT content ---------------------------------------------------------------------------------


def test_seed001_values_once_gradients_in_the_notes_notation() -> None:
    """Each value once, in its box; gradients as ∂L/∂w = 28; blue arrows carry the local
    derivatives, red dashed ones show the flow back without repeating the boxes' numbers; with
    values="arrows" each number is said once, on one arrow: 1, 14, 14, 14, 28, 42 back, as the
    notes' figure does (seed 001), and 2, 3, 1, 6, 7, 49 forward."""
    L = seed001()[3]
    d = Dot(draw(L, show_backward=True))
    vx, vw, vb, vL = (d.node(f"<B>{n}</B>") for n in "xwbL")
    vxw, vxwb = d.node("<I>x·w</I>"), d.node("<I>x·w + b</I>")
    mul, add, square = d.op_of(vxw), d.op_of(vxwb), d.op_of(vL)
    assert [bare(d.label(op)) for op in (mul, add, square)] == ["×", "+", "²"]
    assert d.label(vx) == "<B>x</B>&#160;= 2<BR/>∂L/∂x = 42"
    assert d.label(vw) == "<B>w</B>&#160;= 3<BR/>∂L/∂w = 28"
    assert d.label(vL) == "<B>L</B>&#160;= 49<BR/>∂L/∂L = 1"
    assert d.label(vxw) == "<I>x·w</I>&#160;= 6<BR/>∂L/∂(x·w) = 14"
    # forward: only the local derivative d op / d child; the values are in the boxes
    assert d.between(vx, mul) == ["∂=3"]
    assert d.between(vw, mul) == ["∂=2"]
    assert d.between(mul, vxw) == [""]
    assert d.between(vxw, add) == ["∂=1"]
    assert d.between(vxwb, square) == ["∂=14"]
    # backward: laid out along the forward edge, drawn pointing back
    red = {(t, h): a for t, h, a in d.edges if a.get("color") == "red"}
    assert all(a["dir"] == "back" and a["style"] == "dashed" for a in red.values())
    assert len(red) == 8 and not any("label" in a for a in red.values())
    notes = Dot(draw(L, show_backward=True, values="arrows"))
    assert notes.label(vx) == "<B>x</B>" and notes.label(vxw) == "<I>x·w</I>"
    assert notes.between(vx, mul) == ["2\\n∂=3"]  # the value forward, the gradient back
    assert notes.between(vx, mul, "red") == ["42"]
    blue = {(t, h): a.get("label", "") for t, h, a in notes.edges if a.get("color") == "blue"}
    assert blue == {
        (vx, mul): "2\\n∂=3",
        (vw, mul): "3\\n∂=2",
        (mul, vxw): "6",
        (vxw, add): "∂=1",  # 6 is said on the arrow that computes it
        (vb, add): "1\\n∂=1",
        (add, vxwb): "7",
        (vxwb, square): "∂=14",
        (square, vL): "49",
    }
    red = {(t, h): a.get("label", "") for t, h, a in notes.edges if a.get("color") == "red"}
    assert red == {
        (square, vL): "1",  # ∂L/∂L, from L back into its op
        (vxwb, square): "",  # its only reader's share is its gradient: said once, below
        (add, vxwb): "14",  # ∂L/∂(x·w + b), from x·w + b back into its op
        (vxw, add): "",
        (vb, add): "14",  # into a leaf: its gradient
        (mul, vxw): "14",
        (vx, mul): "42",
        (vw, mul): "28",
    }
    # the constant exponent is part of its op: no node "2"
    assert not [n for n, a in d.nodes.items() if a["label"] == "2"]
    assert len(d.nodes) == 6 + 3


def test_values_on_arrows_instead_of_boxes() -> None:
    L = seed001()[3]
    d = Dot(draw(L, values="arrows"))
    vx, vxw = d.node("<B>x</B>"), d.node("<I>x·w</I>")
    assert d.label(vx) == "<B>x</B><BR/>∂L/∂x = 42"
    assert d.between(vx, d.op_of(vxw)) == ["2\\n∂=3"]
    assert d.between(d.op_of(vxw), vxw) == ["6"]
    with pytest.raises(ValueError, match=r"draw: values must be one of \('box', 'arrows'\)"):
        draw(L, values="edges")


def test_local_derivatives_as_formulas_from_the_op_table() -> None:
    """Seed 002: ∂h₂/∂w₂ = o₁ and ∂o₂/∂h₂ = o₂·(1 − o₂), each with its value."""
    net = masha(1.0, 0.5, (0.5, -0.3, 0.8))
    net["L"].backward()
    d = Dot(draw(net["L"], derivatives="formula", rankdir="TB"))  # one piece, not in rows
    o1, h2, o2 = net["o1"].data, net["h2"], net["o2"].data
    vw2, vh2 = d.node("<B>w2</B>"), d.node("<B>h2</B>")
    assert d.between(vw2, d.op_of(vh2)) == [f"∂h2/∂w2 = o1 = {o1:.4g}"]
    (local,) = d.between(vh2, d.op_of(d.node("<B>o2</B>")))
    assert local == f"∂o2/∂h2 = o2·(1 − o2) = {o2 * (1 - o2):.4g}"
    assert h2.data == pytest.approx(o1 * -0.3)


def test_default_drawing_has_local_derivatives_and_no_backward_arrows() -> None:
    L = seed001()[3]
    d = Dot(draw(L))
    vx, vxw = d.node("<B>x</B>"), d.node("<I>x·w</I>")
    assert d.between(vx, d.op_of(vxw)) == ["∂=3"]
    assert not [a for _, _, a in d.edges if a.get("color") == "red"]
    d = Dot(draw(L, show_local=False, show_grad=False, show_data=False))
    assert d.label(d.node("<B>x</B>")) == "<B>x</B>"
    assert all("label" not in a for _, _, a in d.edges)


def test_show_local_turns_itself_off_past_forty_labels_unless_asked() -> None:
    small = vsum([Value(float(i)) for i in range(40)])
    assert draw(small).source.count("∂=1") == 40
    big = vsum([Value(float(i)) for i in range(41)])
    source = draw(big).source
    assert "∂=1" not in source
    assert "41 local derivatives not shown (show_local=True shows them)" in source
    assert draw(big, show_local=True).source.count("∂=1") == 41  # an explicit value wins
    assert "not shown" not in draw(big, show_local=False).source


def test_every_op_glyph_and_its_local_derivative() -> None:
    x, y = Value(0.5, "x"), Value(2.0, "y")
    cases = {
        "−": (x - y, "∂=1"),
        "÷": (x / y, "∂=0.5"),
        "^": (y**x, "∂=0.3536"),  # d y**x / dy = x·y**(x-1)
        "²": (x**2, "∂=1"),
        "tanh": (x.tanh(), "∂=0.7864"),
        "σ": (x.sigmoid(), "∂=0.235"),
        "Σ": (vsum([x, y, x]), "∂=1"),
        "·": (dot([x, y], [y, x]), "∂=4"),  # x read in two slots: one arrow, 2 + 2
    }
    for glyph, (root, local) in cases.items():
        d = Dot(draw(root))
        op = "o" + str(len(topological_order(root)) - 1)
        assert bare(d.label(op)) == glyph, glyph
        into_op = [a.get("label", "") for t, h, a in d.edges if h == op]
        assert local in into_op, (glyph, into_op)
        assert d.nodes[op]["fillcolor"] == "palegreen"
        if glyph in "·²":  # thin glyphs drawn larger, to be seen on a slide
            assert 'POINT-SIZE="' in d.label(op), glyph


def test_colours_tell_inputs_parameters_constants_interior_and_root_apart() -> None:
    """Parameters are those of nn models or given as params=; never guessed from a label."""
    x, w, b, L = seed001()
    d = Dot(draw(L))
    fills = {n: d.nodes[d.node(f"<B>{n}</B>")]["fillcolor"] for n in "xwb"}
    assert fills == {"x": COLORS["input"], "w": COLORS["input"], "b": COLORS["input"]}
    assert d.nodes[d.node("<B>L</B>")]["fillcolor"] == COLORS["root"]
    assert d.nodes[d.node("<I>x·w</I>")]["fillcolor"] == "white"
    d = Dot(draw(L, params=[w, b], legend=True))
    fills = {n: d.nodes[d.node(f"<B>{n}</B>")]["fillcolor"] for n in "xwb"}
    assert fills == {"x": COLORS["input"], "w": COLORS["parameter"], "b": COLORS["parameter"]}
    assert f'BGCOLOR="{COLORS["parameter"]}" BORDER="1">parameter<' in d.source  # the legend
    c = Dot(draw(x * 3.0 + x * 3.0))  # a constant used twice: one copy beside each use
    assert [a["fillcolor"] for a in c.nodes.values() if a["label"] == "3"] == [
        COLORS["constant"]
    ] * 2
    u = Dot(draw(L, params=[w], colors="uniform"))
    assert {u.nodes[u.node(f"<B>{n}</B>")]["fillcolor"] for n in "xw"} == {"white"}
    assert u.nodes[u.node("<B>L</B>")]["fillcolor"] == COLORS["root"]  # the result stands out
    model = nn.MLP(2, [2, 1], seed=0)
    out = model([Value(0.5, "x0"), Value(-1.0, "x1")])
    m = Dot(draw(out))
    assert m.nodes[m.node("<B>layers.0.neurons.1.w.0</B>")]["fillcolor"] == COLORS["parameter"]
    x0 = [a for a in m.nodes.values() if a["label"].startswith("<B>x0</B>")]
    assert len(x0) == 2 and {a["fillcolor"] for a in x0} == {COLORS["input"]}  # beside each use
    with pytest.raises(TypeError, match=r"draw: params must be Values, got float"):
        draw(L, params=[1.0])  # type: ignore[list-item]


def test_title_caption_font_size_and_direction() -> None:
    L = seed001()[3]
    d = draw(L, title="seed 001: (x·w + b)²", fontsize=20, rankdir="TB")
    assert "<B>seed 001: (x·w + b)²</B>" in d.source and "fontsize=20" in d.source
    assert "rankdir=TB" in d.source
    assert "rankdir=LR" in draw(L).source  # it fits a slide left to right, as the notes draw it
    assert "rankdir=TB" in draw(L, rankdir="TB").source  # an explicit value wins
    chain = Value(0.5, "x")
    for _ in range(30):
        chain = chain.tanh()
    wrapped = draw(chain).source  # too long for 3:1 either way: rows left to right
    assert "rankdir=LR" in wrapped and len(re.findall(r"^\tv\d+_\d+ \[", wrapped, re.M)) >= 2
    assert not re.search(r"^\tv\d+_\d+ \[", draw(chain, rankdir="LR").source, re.M)
    with pytest.raises(ValueError, match=r"fontsize must be from 4 to 72 points"):
        draw(L, fontsize=100)


def test_same_graph_gives_the_same_dot_text() -> None:
    """Ids come from the topological order, not from id(): equal graphs, equal text."""
    sources = []
    for _ in range(2):
        L = seed001()[3]
        extra = [Value(float(i)) for i in range(50)]  # shift the memory addresses
        sources.append(draw(L, show_backward=True).source)
        sources.append(draw(L, show_backward=True).source)
        del extra
    assert len(set(sources)) == 1
    ids = re.findall(r"^\t([vo]\d+) \[", sources[0], flags=re.M)
    assert ids == ["v0", "v1", "v2", "o2", "v3", "v4", "o4", "v6", "o6"]  # x, w, x·w, b, ...


def test_reused_leaf_is_drawn_beside_each_far_use() -> None:
    """x·x·…·x: one x read by every product would stretch edges over the whole picture (what
    made dot take minutes); each product gets its own copy of x, same name and numbers."""
    x = Value(1.5, "x")
    y = x
    for _ in range(9):
        y = y * x
    y.backward()
    d = Dot(draw(y))
    copies = [a["label"] for a in d.nodes.values() if a["label"].startswith("<B>x</B>")]
    assert len(copies) == 9  # x·x reads x twice from one copy
    # the first copy holds the value and the total once; each copy its use's share
    assert copies[0] == (
        f"<B>x</B>&#160;= 1.5<BR/>∂L/∂x = {x.grad:.4g} (sum of 9 uses)"
        f"<BR/>this use adds {2 * 1.5 * 1.5**8:.4g}"  # x·x: 2·x times ∂L/∂(x·x) = x⁸
    )
    shares = [float(c.rsplit("adds ", 1)[1]) for c in copies]
    assert copies[1:] == [f"<B>x</B><BR/>this use adds {1.5**9:.4g}"] * 8
    assert sum(shares) == pytest.approx(x.grad, rel=1e-3)
    assert x.grad == pytest.approx(10 * 1.5**9)


def test_highlight_value_set_path_and_explanation() -> None:
    x, w, _, L = seed001()
    d = Dot(draw(L, highlight=w))
    assert d.nodes[d.node("<B>w</B>")]["color"] == "darkorange"
    assert "color" not in d.nodes[d.node("<B>x</B>")]
    path = explain(L, x).paths[0]
    for target in (path, explain(L, x)):
        d = Dot(draw(L, highlight=target))
        vx, vxw = d.node("<B>x</B>"), d.node("<I>x·w</I>")
        marked = [(t, h) for t, h, a in d.edges if a.get("color") == "darkorange"]
        assert (vx, d.op_of(vxw)) in marked and (d.op_of(vxw), vxw) in marked
        assert (d.node("<B>w</B>"), d.op_of(vxw)) not in marked
        assert len(marked) == 6  # x -> × -> x·w -> + -> x·w+b -> ² -> L
    with pytest.raises(TypeError, match=r"draw: highlight must be a Value"):
        draw(L, highlight=3)  # type: ignore[arg-type]


def test_bad_arguments_are_named() -> None:
    L = seed001()[3]
    with pytest.raises(TypeError, match=r"draw: root must be a Value, got int"):
        draw(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"draw: rankdir must be .* got 'XY'"):
        draw(L, rankdir="XY")
    with pytest.raises(ValueError, match=r"draw: collapse must be None, 'neuron' or 'layer'"):
        draw(L, collapse="neurons")
    with pytest.raises(ValueError, match=r"draw: precision must be an int from 1 to 17, got 0"):
        draw(L, precision=0)
    with pytest.raises(ValueError, match=r"draw: max_nodes must be a positive int or None"):
        draw(L, max_nodes=0)
    with pytest.raises(ValueError, match=r"give step \(backward\) or forward_step, not both"):
        draw(L, step=1, forward_step=1)
    with pytest.raises(ValueError, match=r"forward_step must be an int from 0 to 6 \(the steps\)"):
        draw(L, forward_step=7)
    with pytest.raises(ValueError, match=r"step must be an int from 0 to 6 \(the steps\)"):
        draw(L, step=7)
    with pytest.raises(ValueError, match=r"draw: derivatives must be one of"):
        draw(L, derivatives="symbolic")
    with pytest.raises(ValueError, match=r"save_png: dpi must be an int from 24 to 600"):
        save_png(L, "never-written.png", dpi=5)


def test_precision_is_significant_digits() -> None:
    x = Value(1 / 3, "x")
    root = x * 3.14159
    assert "<B>x</B>&#160;= 0.3333<" in draw(root).source
    assert "<B>x</B>&#160;= 0.33333333<" in draw(root, precision=8).source
    assert "<B>x</B>&#160;= 0.3<" in draw(root, precision=1).source


def test_max_nodes_suggests_collapse() -> None:
    root = vsum([Value(float(i)) for i in range(30)])
    draw(root, max_nodes=31)
    with pytest.raises(
        ValueError, match=r"has 31 nodes, more than max_nodes=30.*collapse='neuron'"
    ):
        draw(root, max_nodes=30)
    assert "v30" in draw(root, max_nodes=None).source


def test_no_xlabels_and_dot_limits_on_large_drawings() -> None:
    big = vsum([Value(float(i)) for i in range(101)])
    big.backward()
    source = draw(big, show_backward=True, show_local=True).source
    assert "xlabel" not in source and source.count("∂=1") == 101
    assert "nslimit=1" in source and "mclimit=0.3" in source
    assert "nslimit" not in draw(seed001()[3]).source  # small drawings: dot's full layout


def test_value_draw_shortcut() -> None:
    L = seed001()[3]
    graph = L.draw(show_backward=True, rankdir="TB")
    assert isinstance(graph, Drawing) and isinstance(graph, graphviz.Digraph)
    assert graph.source == draw(L, show_backward=True, rankdir="TB").source


# -- SVG, PNG, PDF and dot's failures ------------------------------------------------------------


@pytest.mark.needs_dot
def test_svg_is_xml_with_every_label() -> None:
    L = seed001()[3]
    joined = "\n".join(svg_texts(to_svg(L, show_backward=True)))
    for expected in [
        "= 2",
        "∂L/∂x = 42",
        "∂L/∂w = 28",
        "∂L/∂(x·w + b) = 14",
        "×",
        "²",
        "∂=3",
        "42",
    ]:
        assert expected in joined, expected


@pytest.mark.needs_dot
def test_save_svg_png_pdf_and_jupyter_display(tmp_path: Path) -> None:
    L = seed001()[3]
    path = save_svg(L, tmp_path / "seed001.svg", show_backward=True)
    assert path == tmp_path / "seed001.svg"
    assert "∂L/∂x = 42" in svg_texts(path.read_text(encoding="utf-8"))
    small = save_png(L, tmp_path / "small.png", dpi=48).read_bytes()
    large = save_png(L, tmp_path / "large.png", dpi=192).read_bytes()
    assert small[:8] == large[:8] == b"\x89PNG\r\n\x1a\n"
    width = [int.from_bytes(png[16:20], "big") for png in (small, large)]
    assert 3.5 < width[1] / width[0] < 4.5  # 4 times the dots per inch
    assert save_pdf(L, tmp_path / "seed001.pdf").read_bytes().startswith(b"%PDF")
    graph = draw(L)
    assert "\xa0= 6" in svg_texts(graph._repr_svg_())  # a no-break space: kept by browsers


@pytest.mark.needs_dot
def test_dot_timeout_raises_graphviz_error_and_writes_nothing(tmp_path: Path) -> None:
    L = seed001()[3]
    with pytest.raises(GraphvizError, match=r"did not finish within 1e-06 s.*collapse='neuron'"):
        save_svg(L, tmp_path / "slow.svg", timeout=1e-6)
    assert not (tmp_path / "slow.svg").exists()
    graph = draw(L)
    graph.timeout = 1e-6
    with pytest.raises(GraphvizError, match=r"show_local=False or a smaller max_nodes"):
        graph._repr_svg_()
    with pytest.raises(GraphvizError, match=r"dot failed \(exit status 1\): .*syntax"):
        run_dot("digraph { a -> }")
    with pytest.raises(ValueError, match=r"timeout must be a positive number of seconds"):
        to_svg(L, timeout=0)
    assert not issubclass(GraphvizError, subprocess.CalledProcessError)


def no_dot_on_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def test_missing_dot_gives_install_instructions(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    L = seed001()[3]
    no_dot_on_path(monkeypatch, tmp_path)
    graph = draw(L, show_backward=True)
    assert "∂L/∂x = 42" in graph.source  # the DOT text needs no program
    renders = [
        lambda: to_svg(L),
        lambda: save_svg(L, tmp_path / "out.svg"),
        graph._repr_svg_,
        graph._repr_mimebundle_,
        lambda: graph.pipe(format="png"),
        lambda: graph.render(tmp_path / "out", format="svg"),
    ]
    for render in renders:
        with pytest.raises(GraphvizNotFoundError) as info:
            render()
        message = str(info.value)
        for hint in ("apt-get install graphviz", "brew install graphviz", "make graphviz"):
            assert hint in message
        assert "draw(...).source" in message
        assert isinstance(info.value, graphviz.ExecutableNotFound)  # callers catching it still do
    assert not (tmp_path / "out.svg").exists()


# -- collapse ------------------------------------------------------------------------------------


def mlp_sample(widths: list[int], activation: str = "tanh") -> tuple[Value, nn.MLP]:
    model = nn.MLP(2, widths, activation=activation, seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.label = "loss"
    loss.backward()
    return loss, model


def test_collapse_neuron_draws_a_network() -> None:
    """One box per neuron named by nn, inputs x₁ x₂, neurons in index order, loss one node."""
    loss, model = mlp_sample([3, 1])
    plain = Dot(draw(loss, collapse="neuron", show_backward=True))
    edges = [a for _, _, a in plain.edges if a.get("style") != "invis"]
    assert edges and not any("label" in a for a in edges)  # thin, no numbers unless asked
    assert all(a["penwidth"] == "0.6" for a in edges)
    d = Dot(draw(loss, collapse="neuron", show_backward=True, edge_labels=True))
    names = {a["label"].split("<BR/>")[0]: n for n, a in d.nodes.items()}
    assert set(names) == {
        "<I>x₁</I>&#160;= 0.5",
        "<I>x₂</I>&#160;= -1",
        "<B>layers.0.neurons.0</B>",
        "<B>layers.0.neurons.1</B>",
        "<B>layers.0.neurons.2</B>",
        "<B>layers.1.neurons.0</B>",
        "<B>loss</B>",
    }
    n00, n10 = names["<B>layers.0.neurons.0</B>"], names["<B>layers.1.neurons.0</B>"]
    tanhs = [v for v in topological_order(loss) if v.op == "tanh"]
    h0 = min(tanhs, key=lambda v: v.children[0].children[0].label)  # neuron 0's output
    assert d.label(n00) == (
        f"<B>layers.0.neurons.0</B><BR/>tanh(Σw·x + b)<BR/>= {h0.data:.4g}"
        f"<BR/>∂loss/∂out = {h0.grad:.4g}"
    )
    assert d.nodes[n00]["fillcolor"] == "palegreen"
    # forward: x₁ -> neuron with d tanh(z) / d x₁ = (1 - tanh²)·w.0 on the edge
    w0 = model.layers[0].neurons[0].w[0]
    vx1 = names["<I>x₁</I>&#160;= 0.5"]
    assert d.between(vx1, n00) == [f"∂={(1 - h0.data**2) * w0.data:.4g}"]
    # backward: what each neuron sends to x₁, laid out along the forward edge
    flows = [float(a["label"]) for t, h, a in d.edges if t == vx1 and a.get("color") == "red"]
    assert len(flows) == 3
    assert d.between(n00, n10, "red") == [""]  # its one reader's share: its box's gradient
    # neurons of a layer in one column, in index order; the inputs too
    columns = re.findall(r"\{\s*rank=same\s*(.*?)\}", d.source, flags=re.S)
    layer0 = [names[f"<B>layers.0.neurons.{j}</B>"] for j in range(3)]
    assert any(
        re.findall(r"(\w+) -> (\w+)", c) == list(itertools.pairwise(layer0)) for c in columns
    )
    # the loss (out − 1)² is one node named after the loss
    assert d.label(names["<B>loss</B>"]).startswith(f"<B>loss</B><BR/>= {loss.data:.4g}")
    assert "−" not in d.source and "²" not in d.source
    expanded = Dot(draw(loss, collapse="neuron", expand_loss=True))
    assert any(bare(a["label"]) == "²" for a in expanded.nodes.values())


def test_wide_networks_get_thin_unlabelled_edges_unless_asked() -> None:
    loss, _ = mlp_sample([16, 16, 1])
    d = Dot(draw(loss, collapse="neuron"))
    blue = [a for _, _, a in d.edges if a.get("style") != "invis"]
    assert len(blue) >= 16 * 16 and all("label" not in a for a in blue)
    assert all(a["penwidth"] == "0.6" for a in blue if a.get("color") == "#7f9fd8")
    labelled = Dot(draw(loss, collapse="neuron", edge_labels=True, show_local=True))
    assert sum("label" in a for _, _, a in labelled.edges) >= 16 * 16
    asked = Dot(draw(loss, collapse="neuron", show_local=True))  # an explicit value wins
    assert sum("label" in a for _, _, a in asked.edges) >= 16 * 16
    assert "not shown" not in d.source  # the caption promises nothing the edges cannot show


def test_collapse_keeps_a_parameter_used_outside() -> None:
    loss, model = mlp_sample([3, 1])
    w = model.layers[0].neurons[1].w[0]
    penalty = loss + 0.1 * w**2  # an L2 term on one weight
    d = Dot(draw(penalty, collapse="neuron"))
    assert sum("layers.0.neurons.1.w.0" in a["label"] for a in d.nodes.values()) == 1
    assert not any("layers.0.neurons.1.w.1" in a["label"] for a in d.nodes.values())


def test_collapse_layer_and_batches() -> None:
    model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    outs = [model([Value(0.5), Value(-1.0)]), model([Value(2.0), Value(0.3)])]
    loss = vsum([(o - 1.0) ** 2 for o in outs])
    loss.backward()
    d = Dot(draw(loss, collapse="layer", show_backward=True, edge_labels=True))
    layer0 = [n for n, a in d.nodes.items() if a["label"].startswith("<B>layers.0</B>")]
    layer1 = [n for n, a in d.nodes.items() if a["label"].startswith("<B>layers.1</B>")]
    assert len(layer0) == len(layer1) == 2  # one per sample, sharing the parameters
    assert "3 neurons, tanh" in d.label(layer0[0])
    tanhs = [v for v in topological_order(loss) if v.op == "tanh"]
    norms = {f"‖∇‖={sum(t.grad**2 for t in tanhs[k : k + 3]) ** 0.5:.4g}" for k in (0, 3)}
    for l0 in layer0:
        (l1,) = [h for t, h, a in d.edges if t == l0 and a.get("color") == "blue"]
        (flow,) = d.between(l0, l1, "red")
        assert flow in norms


def test_collapse_needs_an_nn_model_not_labels() -> None:
    ws = [Value(0.3, "layers.0.neurons.0.w.0"), Value(0.2, "layers.0.neurons.0.w.1")]
    z = dot(ws, [Value(1.0, "x0"), Value(2.0, "x1")]).tanh()
    assert draw(z, collapse="neuron").source == draw(z).source


def test_collapse_with_the_demo_mlp() -> None:
    loss, _ = mlp_sample([16, 16, 1], "relu")
    d = Dot(draw(loss, collapse="neuron", show_backward=True))
    neurons = [a for a in d.nodes.values() if ".neurons." in a["label"]]
    assert len(neurons) == 33
    assert len(d.nodes) == 33 + 2 + 1  # neurons, x₁ and x₂, the loss
    with pytest.raises(ValueError, match=r"more than max_nodes=100.*collapse='neuron'"):
        draw(loss, max_nodes=100)
    d = Dot(draw(loss, collapse="layer"))
    assert [
        a["label"].split("<BR/>")[1]
        for a in d.nodes.values()
        if a["label"].startswith("<B>layers.")
    ] == ["16 neurons, ReLU", "16 neurons, ReLU", "1 neuron"]


# -- step-through pictures -----------------------------------------------------------------------


def test_draw_at_backward_step_uses_the_steps_and_leaves_grad_alone() -> None:
    L = seed001()[3]
    nodes = [v for v in topological_order(L) if type(v) is not Constant]  # a Constant's is 0
    for v in nodes:
        v.grad = -7.0
    d = Dot(draw(L, step=0, show_backward=True))  # the seed: the root outlined, nothing sent
    vL = d.node("<B>L</B>")
    assert d.label(vL).endswith("∂L/∂L = 1 (seed)")
    assert d.nodes[vL]["color"] == "red" and d.nodes[vL]["fillcolor"] == COLORS["root"]
    for name in ("x", "w", "b"):  # unknown is not zero
        assert d.label(d.node(f"<B>{name}</B>")).endswith(f"∂L/∂{name} = ?")
    assert d.label(d.node("<I>x·w</I>")).endswith("∂L/∂(x·w) = ?")
    assert not [a for _, _, a in d.edges if a.get("color") == "red"]
    d = Dot(draw(L, step=3, show_backward=True))  # L, x·w + b, x·w done
    vxw, vx, vw = d.node("<I>x·w</I>"), d.node("<B>x</B>"), d.node("<B>w</B>")
    assert d.nodes[vxw]["color"] == "red" and d.nodes[vxw]["penwidth"] == "3"  # current
    # x and w just received 42 and 28: in full colour, outlined orange
    assert d.label(vx).endswith("∂L/∂x = 42") and d.label(vw).endswith("∂L/∂w = 28")
    assert d.nodes[vx]["fillcolor"] == d.nodes[vw]["fillcolor"] == COLORS["input"]
    assert d.nodes[vx]["color"] == "darkorange"
    assert d.nodes[d.node("<B>b</B>")]["fillcolor"] == "gray92"  # not reached, nothing new
    assert d.label(d.node("<B>b</B>")).endswith("∂L/∂b = 14")  # received at step 2
    assert d.label(vL).endswith("∂L/∂L = 1")  # the seed is said once, at step 0
    assert d.between(vx, d.op_of(vxw), "red") == [""]  # the arrow; its number is in the box
    notes = Dot(draw(L, step=3, show_backward=True, values="arrows"))
    assert notes.between(vx, d.op_of(vxw), "red") == ["42"]
    d = Dot(draw(L, step=6))
    assert not any(a.get("fillcolor") == "gray92" for a in d.nodes.values())
    assert "?" not in "".join(d.label(n) for n in d.nodes)
    assert all(v.grad == -7.0 for v in nodes)


def test_draw_at_forward_step() -> None:
    L = seed001()[3]
    d = Dot(draw(L, forward_step=4, show_backward=True))  # x, w, b given; x·w computed
    assert d.label(d.node("<I>x·w</I>")) == "<I>x·w</I>&#160;= 6"  # no grads in the forward pass
    assert d.nodes[d.node("<I>x·w</I>")]["color"] == "red"
    vxwb = d.node("<I>x·w + b</I>")
    assert d.label(vxwb) == "<I>x·w + b</I>&#160;= ?"
    assert d.nodes[vxwb]["fillcolor"] == "gray92"
    assert not [a for _, _, a in d.edges if a.get("color") == "red"]


def test_step_through_a_collapsed_network_keeps_node_ids() -> None:
    loss, _ = mlp_sample([3, 1])
    steps = list(backward_steps(loss))
    k = next(  # the step at which the output neuron's dot is reached
        s.k for s in steps if s.node.op == "dot" and s.node.children[0].label.startswith("layers.1")
    )
    before = Dot(draw(loss, collapse="neuron", step=k - 1, show_backward=True))
    at = Dot(draw(loss, collapse="neuron", step=k, show_backward=True))
    name = "<B>layers.1.neurons.0</B>"
    assert set(before.nodes) == set(at.nodes)  # the stepper restyles one layout
    assert at.nodes[at.node(name)]["fillcolor"] == "palegreen"
    assert at.nodes[at.node(name)]["color"] == "red"
    back = [a for t, h, a in at.edges if h == at.node(name) and a["color"] == "red"]
    assert len(back) == 3 and all(a["dir"] == "back" for a in back)


def fake_dot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, script: str) -> None:
    """A `dot` on PATH that runs script (a POSIX shell body) instead of Graphviz."""
    folder = tmp_path / "fake-bin"
    folder.mkdir()
    program = folder / "dot"
    program.write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
    program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")


def test_a_dot_that_hangs_is_stopped(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_dot(monkeypatch, tmp_path, "exec sleep 30")
    with pytest.raises(GraphvizError, match=r"did not finish within 0.2 s"):
        to_svg(seed001()[3], timeout=0.2)


def test_cli_prints_one_line_and_exits_2_when_dot_fails(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from microgradnet.cli import main

    fake_dot(monkeypatch, tmp_path, 'echo "Error: something broke" >&2; exit 3')
    target = tmp_path / "graph.svg"
    status = main(["grad", "(x*w + b)**2", "x=2", "w=3", "b=1", "--svg", str(target)])
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert "dot failed (exit status 3): Error: something broke" in err
    assert not target.exists()


# -- layout geometry from Graphviz itself --------------------------------------------------------

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in points


def layout_boxes(root: Value, **kwargs: object) -> tuple[list[Box], list[Box]]:
    """Node boxes and edge-label boxes (the text lines dot places) from `dot -Tjson`."""
    layout = json.loads(run_dot(draw(root, **kwargs).source, "json"))  # type: ignore[arg-type]
    nodes: list[Box] = []
    for o in layout.get("objects", []):
        if "pos" in o and "width" in o:
            x, y = map(float, o["pos"].split(","))
            w, h = float(o["width"]) * 72, float(o["height"]) * 72
            nodes.append((x - w / 2, y - h / 2, x + w / 2, y + h / 2))
    labels: list[Box] = []
    for edge in layout.get("edges", []):
        size, lines = 10.0, []
        for op in edge.get("_ldraw_", []):
            if op["op"] == "F":
                size = float(op["size"])
            elif op["op"] == "T":
                (x, y), w = op["pt"], float(op["width"])
                x0 = {"c": x - w / 2, "l": x, "r": x - w}[op["align"]]
                lines.append((x0, y - 0.25 * size, x0 + w, y + 0.8 * size))
        if lines:
            xs0, ys0, xs1, ys1 = zip(*lines)
            labels.append((min(xs0), min(ys0), max(xs1), max(ys1)))
    return nodes, labels


def overlap(a: Box, b: Box, slack: float = 0.5) -> bool:
    return (
        a[0] + slack < b[2] and b[0] + slack < a[2] and a[1] + slack < b[3] and b[1] + slack < a[3]
    )


@pytest.mark.needs_dot
@pytest.mark.parametrize(
    ("figure", "options"),
    [
        ("seed 001", {"show_backward": True, "values": "arrows"}),
        ("Masha", {"show_backward": True, "derivatives": "formula"}),
        ("MLP(2,[4,4,1])", {"show_local": True, "show_backward": True}),
        ("MLP(2,[4,4,1])", {"collapse": "neuron", "show_backward": True, "edge_labels": True}),
        ("300-op chain", {"show_local": True}),
    ],
)
def test_no_edge_label_overlaps_a_node_or_another_label(
    figure: str, options: dict[str, object]
) -> None:
    if figure == "seed 001":
        root = seed001()[3]
    elif figure == "Masha":
        root = masha(1.0, 0.5, (0.5, -0.3, 0.8))["L"]
    elif figure == "MLP(2,[4,4,1])":
        root = mlp_sample([4, 4, 1])[0]
    else:
        root = long_chain(300)
    root.backward()
    nodes, labels = layout_boxes(root, **options)
    assert len(labels) >= 10
    assert not [(a, n) for a in labels for n in nodes if overlap(a, n)]
    assert not [(a, b) for i, a in enumerate(labels) for b in labels[i + 1 :] if overlap(a, b)]


def long_chain(ops: int) -> Value:
    """A chain of ops steps (one or two operations each) reading the previous result and one
    from up to 30 steps back."""
    xs = [Value(0.5 + 0.1 * i, f"x{i}") for i in range(10)]
    nodes = [xs[0]]
    for k in range(ops):
        prev, far = nodes[-1], nodes[-1 - (7 * k) % min(30, len(nodes))]
        nodes.append([prev + xs[k % 10], prev * far, (prev - far).tanh(), prev.sigmoid()][k % 4])
    return nodes[-1]


def test_gradients_once_in_the_boxes_on_the_arrows_by_option() -> None:
    """Default: each gradient once, in its box, the red arrows unnumbered; values="arrows" puts
    them on the arrows (not in the boxes), except past AUTO_BACK_LABELS_UP_TO arrows, where the
    boxes keep them and the caption says so; edge_labels=True always numbers the arrows."""
    small = vsum([Value(float(i)) * 2.0 for i in range(20)])
    small.backward()
    source = draw(small, show_backward=True).source
    assert "color=red" in source and not re.search(r"label=\S+ color=red", source)
    assert "<BR/>∂L/∂x₁ = 2>" in source
    notes = draw(small, show_backward=True, values="arrows").source
    assert len(re.findall(r"label=2 color=red", notes)) == 20 and "∂L/∂x₁" not in notes
    big = vsum([Value(float(i)) * 2.0 for i in range(150)])
    big.backward()
    source = draw(big, show_backward=True, values="arrows").source
    assert "color=red" in source and not re.search(r"label=\S+ color=red", source)
    assert "backward arrows not written (edge_labels=True writes them" in source
    assert "<BR/>∂L/∂x₁ = 2>" in source  # the box keeps the gradient
    forced = draw(big, show_backward=True, edge_labels=True).source
    assert len(re.findall(r"label=2 color=red", forced)) == 150


def test_uncollapsed_network_keeps_neurons_and_inputs_in_order() -> None:
    loss, _ = mlp_sample([3, 1])
    d = Dot(draw(loss))
    rows = [
        re.findall(r"(\w+) -> (\w+)", c) for c in re.findall(r"rank=same(.*?)\}", d.source, re.S)
    ]
    sums = [d.node(f"<I>layers.0.neurons.{j}.z</I>") for j in range(3)]
    assert list(itertools.pairwise(sums)) in rows
    # the inputs, read by every neuron, are drawn beside each (no arrows crossing)
    for name in ("<I>x₁</I>", "<I>x₂</I>"):
        assert sum(a["label"].startswith(name) for a in d.nodes.values()) == 3


def layout_of(graph: graphviz.Digraph) -> dict[str, object]:
    return json.loads(run_dot(graph.source, "json"))  # type: ignore[no-any-return]


def centres(layout: dict[str, object]) -> dict[str, tuple[float, float]]:
    """Node id -> centre (points, y up) from `dot -Tjson`."""
    out = {}
    for o in layout.get("objects", []):  # type: ignore[attr-defined]
        if "pos" in o:
            x, y = map(float, o["pos"].split(","))
            out[o["name"]] = (x, y)
    return out


def aspect(layout: dict[str, object]) -> float:
    w, h = (float(x) for x in str(layout["bb"]).split(",")[2:])
    return max(w / h, h / w)


@pytest.mark.needs_dot
@pytest.mark.parametrize("show_backward", [False, True])
def test_network_by_neuron_is_a_column_per_layer_in_index_order(show_backward: bool) -> None:
    """MLP(2,[4,4,1]) by neuron: each layer one column (same x), neurons 0..3 top to bottom,
    columns left to right, thin edges without numbers that stay within the columns' extent
    (no arcs around the picture)."""
    loss, _ = mlp_sample([4, 4, 1], "relu")
    graph = draw(loss, collapse="neuron", show_backward=show_backward)
    d, layout = Dot(graph), layout_of(graph)
    at = centres(layout)
    ids = {a["label"].split("<BR/>")[0]: n for n, a in d.nodes.items()}
    columns = [
        [ids[f"<B>layers.{k}.neurons.{j}</B>"] for j in range(n)]
        for k, n in [(0, 4), (1, 4), (2, 1)]
    ]
    for column in columns:
        xs = [at[n][0] for n in column]
        ys = [at[n][1] for n in column]
        assert max(xs) - min(xs) < 1
        assert ys == sorted(ys, reverse=True)  # index order, top to bottom
    inputs = [n for n in d.nodes if d.label(n).startswith("<I>x")]
    lefts = (
        [at[n][0] for n in inputs] + [at[c[0]][0] for c in columns] + [at[ids["<B>loss</B>"]][0]]
    )
    assert lefts[2:] == sorted(lefts[2:]) and max(lefts[:2]) < lefts[2]
    edges = [e for e in layout.get("edges", []) if e.get("style") != "invis"]  # type: ignore[attr-defined]
    assert edges and not [e for e in edges if "_ldraw_" in e]  # no numbers on the edges
    top = max(at[c[0]][1] for c in columns) + 40
    bottom = min(at[c[-1]][1] for c in columns) - 40
    for e in edges:
        for op in e["_draw_"]:
            if op["op"] in ("b", "B"):
                assert all(bottom <= y <= top for _, y in op["points"])
    labelled = Dot(draw(loss, collapse="neuron", show_backward=show_backward, edge_labels=True))
    assert sum("label" in a for _, _, a in labelled.edges) >= 4 * 4


def tanh_steps(n: int) -> Value:
    z = Value(0.5, "x")
    for _ in range(n):
        z = (z * 0.9).tanh()
    z.backward()
    return z


def spine_rows(graph: graphviz.Digraph) -> list[list[str]]:
    """The spine's ids of each row (dot's group=spine<k>), in drawing order (an op before its
    result), rows in order."""
    rows: dict[int, list[str]] = {}
    for nid, row in re.findall(r"^\t(\w+) \[.*group=spine(\d*)", graph.source, re.M):
        rows.setdefault(int(row or 0), []).append(nid)
    key = {"o": 0, "v": 1}
    return [sorted(ids, key=lambda n: (int(n[1:]), key[n[0]])) for _, ids in sorted(rows.items())]


@pytest.mark.needs_dot
@pytest.mark.parametrize("figure", ["60 tanh steps", "300-op chain", "x·x·…·x, 200 factors"])
def test_long_chains_wrap_into_rows_within_three_to_one(figure: str) -> None:
    """A long chain is drawn as rows of text: each row left to right on one line, the rows
    under each other, first on top, starting at one left edge; within 3:1 (was 3:1 to 20:1).
    No edge joins two rows: the value a row ends with is drawn again (dashed) where the next
    begins."""
    if figure == "60 tanh steps":
        root = tanh_steps(60)
    elif figure == "300-op chain":
        root = long_chain(300)
        root.backward()
    else:
        x = Value(1.0001, "x")
        root = x
        for _ in range(199):
            root = root * x
        root.backward()
    graph = draw(root)
    layout = layout_of(graph)
    assert aspect(layout) <= 3.0 and graph.graph_attr["rankdir"] == "LR"
    at = centres(layout)
    rows = spine_rows(graph)
    assert len(rows) >= 4
    for row, below in itertools.pairwise(rows):
        assert min(at[n][1] for n in row) > max(at[n][1] for n in below)  # first row on top
    for row in rows:
        ys = [at[n][1] for n in row]
        if figure != "300-op chain":  # (its reads 30 back bend a row a little)
            assert max(ys) - min(ys) < 1  # a row is one line
        assert [at[n][0] for n in row] == sorted(at[n][0] for n in row)  # read left to right
    starts = re.findall(r"^\t(v\d+_\d+)$", graph.source, re.M)  # each row's first node
    assert len(starts) == len(rows) - 1
    assert max(at[n][0] for n in starts) - min(at[n][0] for n in starts) < 1
    assert 'style="rounded,filled,dashed"' in Dot(graph).source


@pytest.mark.needs_dot
def test_short_chain_is_straight_with_constants_beside_it() -> None:
    """Three tanh(0.9·z) steps: one line (dot's group), the constants 0.9 beside it."""
    root = tanh_steps(3)
    graph = draw(root, rankdir="LR")
    at = centres(layout_of(graph))
    (spine,) = spine_rows(graph)
    assert len(spine) == 12 and "rank=same" not in graph.source
    axis = 0 if graph.graph_attr["rankdir"] == "TB" else 1
    assert len({round(at[n][axis]) for n in spine}) == 1
    constants = [n for n, a in Dot(graph).nodes.items() if a["label"] == "0.9"]
    assert len(constants) == 3 and all(
        round(at[n][axis]) != round(at[spine[0]][axis]) for n in constants
    )


@pytest.mark.needs_dot
def test_save_png_caps_the_longer_side(tmp_path: Path) -> None:
    """A large picture is scaled down to MAX_PNG_SIDE pixels (rasterizing it whole is slow);
    a small one keeps its dpi."""
    from microgradnet.viz import MAX_PNG_SIDE

    def size(path: Path) -> tuple[int, int]:
        head = path.read_bytes()[16:24]
        return int.from_bytes(head[:4], "big"), int.from_bytes(head[4:], "big")

    big = save_png(tanh_steps(60), tmp_path / "big.png", dpi=300)
    assert max(size(big)) == MAX_PNG_SIDE
    L = seed001()[3]
    small = size(save_png(L, tmp_path / "small.png", dpi=96))
    twice = size(save_png(L, tmp_path / "twice.png", dpi=192))
    assert max(small) < MAX_PNG_SIDE and abs(twice[0] - 2 * small[0]) <= 2


def test_package_exports_the_drawing_functions() -> None:
    import microgradnet
    from microgradnet import viz

    for name in ("draw", "to_svg", "save_svg", "save_png", "save_pdf", "GraphvizError"):
        assert getattr(microgradnet, name) is getattr(viz, name) and name in microgradnet.__all__
    assert issubclass(microgradnet.GraphvizNotFoundError, microgradnet.GraphvizError)


@pytest.mark.needs_dot
def test_a_label_line_starting_with_a_bracket_renders() -> None:
    """dot's HTML-label parser rejects ">]": a line "]" (found by the label fuzzing) renders."""
    root = Value(3.0, "0\x1e]\x1e0") * 2.0
    root.backward()
    assert "]" in "".join(svg_texts(to_svg(root, title="]")))


@pytest.mark.needs_dot
def test_chains_of_every_length_stay_within_three_to_one() -> None:
    """From 2 steps to 40, z = tanh(0.9·z) and x·x·…·x: within 3:1 every time (no exception for
    short chains any more), left to right; wrapped into rows once the chain no longer fits a
    1280×720 slide; seed 001's graph one straight line, as the notes draw it."""
    for n in (2, 3, 4, 5, 6, 8, 10, 14, 20, 40):
        x = Value(1.0001, "x")
        power = x
        for _ in range(n):
            power = power * x
        power.backward()
        for root in (tanh_steps(n), power):
            graph = draw(root)
            layout = layout_of(graph)
            assert aspect(layout) <= 3.0, n
            rows = spine_rows(graph)
            if n >= 20:
                assert len(rows) >= 2, n
            if len(rows) == 1 and graph.graph_attr["rankdir"] == "LR":
                w = float(str(layout["bb"]).split(",")[2])
                assert w <= 960 * 1.1, n  # fits a slide, give or take the estimate
    assert len(spine_rows(draw(seed001()[3]))) == 1


def test_blanks_leave_chosen_values_and_gradients_to_fill_in() -> None:
    """blanks={node or name: what}: the number is a line to fill in wherever it would be
    written (box or arrow); nothing else changes; bad blanks are refused by name."""
    x, w, b, L = seed001()
    d = Dot(draw(L, blanks={w: "grad", "x·w": "value", b: "both"}))
    assert d.label(d.node("<B>w</B>")) == "<B>w</B>&#160;= 3<BR/>∂L/∂w = ______"
    assert d.label(d.node("<I>x·w</I>")) == "<I>x·w</I>&#160;= ______<BR/>∂L/∂(x·w) = 14"
    assert d.label(d.node("<B>b</B>")) == "<B>b</B>&#160;= ______<BR/>∂L/∂b = ______"
    assert d.label(d.node("<B>x</B>")) == "<B>x</B>&#160;= 2<BR/>∂L/∂x = 42"
    assert "28" not in d.source and "= 6" not in d.source
    arrows = Dot(draw(L, values="arrows", show_backward=True, blanks=[x, "x·w + b"]))
    vx, vxwb = arrows.node("<B>x</B>"), arrows.node("<I>x·w + b</I>")
    mul, add = arrows.op_of(arrows.node("<I>x·w</I>")), arrows.op_of(vxwb)
    assert arrows.between(vx, mul) == ["______\\n∂=3"] and arrows.between(vx, mul, "red") == [
        "______"
    ]
    assert arrows.between(add, vxwb) == ["______"] and arrows.between(add, vxwb, "red") == [
        "______"
    ]
    assert "42" not in arrows.source and "= 7" not in arrows.source
    with pytest.raises(
        ValueError, match=r"no node named 'v' \(the names: L, b, w, x, x·w, x·w \+ b\)"
    ):
        draw(L, blanks={"v": "grad"})
    with pytest.raises(ValueError, match=r"what to blank must be one of \('value', 'grad', 'both'"):
        draw(L, blanks={w: "gradient"})
    with pytest.raises(TypeError, match=r"draw: blanks must be a dict"):
        draw(L, blanks=w)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"is not in the drawn graph"):
        draw(L, blanks=[Value(1.0, "elsewhere")])


NUMBER_AT_END = re.compile(r"(?:^|[ =])(-?\d[\d.]*(?:e[+-]?\d+)?)(?: \(sum of \d+ uses\))?$")


def drawn_numbers(graph: graphviz.Digraph) -> list[str]:
    """The number each label line ends with (a value, a gradient, a local derivative, a use's
    share), from the boxes and the arrows of a drawing."""
    d = Dot(graph)
    texts = [a["label"].replace("<BR/>", "\n") for a in d.nodes.values()]
    texts += [a.get("label", "").replace("\\n", "\n") for _, _, a in d.edges]
    out = []
    for text in texts:
        for line in re.sub(r"<[^<>]*>", "", text).split("\n"):
            if m := NUMBER_AT_END.search(line.strip()):
                out.append(m[1])
    return out


def quantities(root: Value, precision: int = 4) -> list[str]:
    """Every quantity a drawing of root may write, each once: values, gradients, the local
    derivative of each (operand, op) pair, each use's share of a gradient."""
    fmt = DrawOptions(precision=precision).fmt
    out = []
    for v in topological_order(root):
        out.append(fmt(v.data))
        if type(v) is not Constant:
            out.append(fmt(v.grad))
        slots: dict[int, list[float]] = {}
        for child, d in zip(v.children, v.local_grads):
            slots.setdefault(id(child), []).append(d)
        for ds in slots.values():
            out += [fmt(sum(ds)), fmt(sum(ds) * v.grad)]
    return out


@pytest.mark.parametrize("figure", ["seed 001", "Masha", "x·x·x·x", "shared input"])
def test_each_quantity_is_written_once_in_every_mode(figure: str) -> None:
    """No numeral appears more often than the quantities it can stand for (equal numerals of
    different quantities are fine): values="arrows" once wrote 6 and 7 twice, 14 four times."""
    if figure == "seed 001":
        root = seed001()[3]
    elif figure == "Masha":
        root = masha(1.0, 0.5, (0.5, -0.3, 0.8))["L"]
    elif figure == "x·x·x·x":
        x = Value(1.5, "x")
        root = x * x * x * x
    else:
        x, y, z = Value(0.5, "x"), Value(-2.0, "y"), Value(3.0, "z")
        root = (x * y).tanh() + (x * z).sigmoid() * y
    root.backward()
    allowed = quantities(root)
    for values, back, formulas in itertools.product(["box", "arrows"], [False, True], [0, 1]):
        kwargs = {"values": values, "show_backward": back, "rankdir": "LR"}
        kwargs["derivatives"] = "formula" if formulas else "value"
        drawn = drawn_numbers(draw(root, **kwargs))
        over = {n: drawn.count(n) for n in set(drawn) if drawn.count(n) > allowed.count(n)}
        assert over == {}, kwargs
        assert drawn, kwargs


def test_a_leaf_beside_each_use_shows_each_share_and_the_total_once() -> None:
    """The L2 lesson ∂J/∂W = δhᵀ + λW: W drawn beside its use in the network and in the
    penalty; the first copy holds W's value and its whole gradient, each copy the share its
    use adds, and the shares add up to the total."""
    w, x = Value(0.5, "W"), Value(2.0, "x")
    data = (w * x - 1.0) ** 2  # δ·x = 2·(w·x − 1)·x = 0
    data.label = "L"
    penalty = 0.05 * (w * w)  # λ/2·W² (W read twice by one ×), its share λ·W = 0.05
    J = data + penalty
    J.label = "J"
    J.backward()
    d = Dot(draw(J))
    copies = [a["label"] for a in d.nodes.values() if a["label"].startswith("<B>W</B>")]
    assert copies == [
        f"<B>W</B>&#160;= 0.5<BR/>∂J/∂W = {w.grad:.4g} (sum of 2 uses)<BR/>this use adds 0",
        f"<B>W</B><BR/>this use adds {0.1 * 0.5:.4g}",
    ]
    notes = Dot(draw(J, values="arrows", show_backward=True))
    first, second = (n for n, a in notes.nodes.items() if a["label"].startswith("<B>W</B>"))
    assert notes.label(first) == f"<B>W</B><BR/>∂J/∂W = {w.grad:.4g} (sum of 2 uses)"
    shares = [
        notes.between(c, h, "red") for c in (first, second) for t, h, _ in notes.edges if t == c
    ]
    assert sorted({s[0] for s in shares if s}) == ["0", "0.05"]

"""The graph renderer: DOT content (labels, symbols, local derivatives, seed 001's arrows,
escaping, colours, stable ids), SVG parsed as XML, collapse, step-through pictures,
and the errors without dot."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import graphviz
import pytest

from microgradnet.autodiff import explain
from microgradnet.engine import Value, dot, topological_order, vsum
from microgradnet.viz import (
    Drawing,
    GraphvizNotFoundError,
    _looks_like_parameter,
    draw,
    save_svg,
    to_svg,
)

SVG = "{http://www.w3.org/2000/svg}"


def seed001() -> tuple[Value, Value, Value, Value]:
    """L = (x*w + b)**2 at x=2, w=3, b=1, after backward (seed 001, section 3)."""
    x, w, b = Value(2.0, "x"), Value(3.0, "w"), Value(1.0, "b")
    L = (x * w + b) ** 2
    L.label = "L"
    L.backward()
    return x, w, b, L


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
        """Labels (xlabel or label) of the edges tail -> head of a colour."""
        return [
            a.get("label", a.get("xlabel", ""))
            for t, h, a in self.edges
            if (t, h) == (tail, head) and a.get("color") == color
        ]

    def op_of(self, value_node: str) -> str:
        return "o" + value_node[1:]


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [t.text or "" for t in root.iter(f"{SVG}text")]


# -- DOT content ---------------------------------------------------------------------------------


def test_seed001_forward_values_and_gradients_on_the_right_edges() -> None:
    """Blue arrows carry 2, 3, 1, 6, 7, 49 forward; red dashed ones 1, 14, 14, 28, 42 back."""
    L = seed001()[3]
    d = Dot(draw(L, show_backward=True))
    vx, vw, vb, vL = (d.node(f"<B>{n}</B>") for n in "xwbL")
    vxw, vxwb = d.node("data 6"), d.node("data 7")
    mul, add, pow_ = d.op_of(vxw), d.op_of(vxwb), d.op_of(vL)
    assert [d.label(op) for op in (mul, add, pow_)] == ["×", "+", "x²"]
    # forward: the value each arrow transports, then the local derivative d op / d child
    assert d.between(vx, mul) == ["2\\n∂=3"]
    assert d.between(vw, mul) == ["3\\n∂=2"]
    assert d.between(mul, vxw) == ["6"]
    assert d.between(vxw, add) == ["6\\n∂=1"]
    assert d.between(vb, add) == ["1\\n∂=1"]
    assert d.between(vxwb, pow_) == ["7\\n∂=14"]
    assert d.between(pow_, vL) == ["49"]
    # backward: the gradient flowing along each arrow, red and dashed
    assert d.between(vL, pow_, "red") == ["1"]
    assert d.between(pow_, vxwb, "red") == ["14"]
    assert d.between(add, vxw, "red") == ["14"]
    assert d.between(add, vb, "red") == ["14"]
    assert d.between(mul, vw, "red") == ["28"]
    assert d.between(mul, vx, "red") == ["42"]
    red = [a for _, _, a in d.edges if a.get("color") == "red"]
    assert len(red) == 8 and all(a["style"] == "dashed" for a in red)
    assert all(a["constraint"] == "false" for a in red)
    # the nodes: label, data, grad
    assert d.label(vx) == "<B>x</B><BR/>data 2<BR/>grad 42"
    assert d.label(vw) == "<B>w</B><BR/>data 3<BR/>grad 28"
    assert d.label(vL) == "<B>L</B><BR/>data 49<BR/>grad 1"
    assert d.label(vxw) == "<I>x*w</I><BR/>data 6<BR/>grad 14"
    # the constant exponent is drawn as its number, with no backward arrow
    two = d.node("2", exact=True)
    assert d.label(two) == "2" and d.between(pow_, two, "red") == []


def test_default_drawing_has_local_derivatives_and_no_backward_arrows() -> None:
    L = seed001()[3]
    d = Dot(draw(L))
    vx, vxw = d.node("<B>x</B>"), d.node("data 6")
    assert d.between(vx, d.op_of(vxw)) == ["∂=3"]
    assert not [a for _, _, a in d.edges if a.get("color") == "red"]
    d = Dot(draw(L, show_local=False, show_grad=False, show_data=False))
    assert d.label(d.node("<B>x</B>")) == "<B>x</B>"
    assert all("label" not in a for _, _, a in d.edges)


def test_every_op_symbol_and_its_local_derivative() -> None:
    x, y = Value(0.5, "x"), Value(2.0, "y")
    cases = {
        "−": (x - y, "∂=1"),
        "÷": (x / y, "∂=0.5"),
        "xʸ": (y**x, "∂=0.3536"),  # d y**x / dy = x·y**(x-1)
        "x³": (x**3, "∂=0.75"),
        "x⁻¹": (x**-1, "∂=-4"),
        "neg": (-x, "∂=-1"),
        "exp": (x.exp(), "∂=1.649"),
        "log": (x.log(), "∂=2"),
        "√": (y.sqrt(), "∂=0.3536"),
        "tanh": (x.tanh(), "∂=0.7864"),
        "σ": (x.sigmoid(), "∂=0.235"),
        "ReLU": (x.relu(), "∂=1"),
        "LeakyReLU": ((-x).leaky_relu(0.1), "∂=0.1"),
        "Σ": (vsum([x, y, x]), "∂=1"),
        "Σw·x": (dot([x], [y]), "∂=2"),
    }
    for symbol, (root, local) in cases.items():
        d = Dot(draw(root))
        op = "o" + str(len(topological_order(root)) - 1)
        assert d.label(op) == symbol, symbol
        into_op = [lab for t, h, a in d.edges if h == op for lab in [a.get("label", "")]]
        assert local in into_op, (symbol, into_op)
        assert d.nodes[op]["fillcolor"] == "lightgreen"


def test_colours_tell_inputs_parameters_interior_and_root_apart() -> None:
    x, _, _, L = seed001()
    d = Dot(draw(L))
    fill = {
        part: d.nodes[d.node(part)]["fillcolor"] for part in ["<B>x</B>", "<B>w</B>", "<B>b</B>"]
    }
    assert fill == {"<B>x</B>": "lightblue", "<B>w</B>": "khaki", "<B>b</B>": "khaki"}
    assert d.nodes[d.node("<B>L</B>")]["fillcolor"] == "lightcoral"
    assert d.nodes[d.node("data 6")]["fillcolor"] == "white"
    assert d.nodes[d.node("data 7")]["fillcolor"] == "white"
    # an explicit params list decides instead of the labels
    d = Dot(draw(L, params=[x]))
    assert d.nodes[d.node("<B>x</B>")]["fillcolor"] == "khaki"
    assert d.nodes[d.node("<B>w</B>")]["fillcolor"] == "lightblue"
    with pytest.raises(TypeError, match=r"draw: params must be Values, got float"):
        draw(L, params=[1.0])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("label", "is_param"),
    [
        ("w", True),
        ("b3", True),
        ("W_1", True),
        ("bias", True),
        ("layers.0.neurons.3.w.1", True),
        ("layers.0.neurons.3.b", True),
        ("bn.gamma", True),
        ("x", False),
        ("", False),
        ("wx", False),
        ("layers.0.neurons.3", False),
        ("x.1", False),
    ],
)
def test_parameter_rule(label: str, is_param: bool) -> None:
    assert _looks_like_parameter(label) is is_param


NASTY = "a<b>{c}|d\\e\"f&g\nsecond 'line'\x01"


def test_labels_are_escaped_in_dot() -> None:
    x = Value(1.0, NASTY)
    root = x * 2.0
    root.label = "<B>not bold</B> & {x|y}"
    source = draw(root).source
    assert (
        "<B>a&lt;b&gt;{c}|d\\e&quot;f&amp;g</B><BR/><B>second &#x27;line&#x27;\\x01</B>" in source
    )
    assert "<B>&lt;B&gt;not bold&lt;/B&gt; &amp; {x|y}</B>" in source


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
    assert ids == ["v0", "v1", "v2", "v3", "v4", "o4", "v5", "o5", "v6", "o6"]


def test_highlight_value_set_path_and_explanation() -> None:
    x, w, b, L = seed001()
    d = Dot(draw(L, highlight=w))
    assert d.nodes[d.node("<B>w</B>")]["color"] == "darkorange"
    assert "color" not in d.nodes[d.node("<B>x</B>")]
    d = Dot(draw(L, highlight={x, b}))
    assert [d.nodes[d.node(f"<B>{n}</B>")].get("color") for n in "xwb"] == [
        "darkorange",
        None,
        "darkorange",
    ]
    path = explain(L, x).paths[0]
    for target in (path, explain(L, x)):
        d = Dot(draw(L, highlight=target))
        vx, vxw = d.node("<B>x</B>"), d.node("data 6")
        marked = [(t, h) for t, h, a in d.edges if a.get("color") == "darkorange"]
        assert (vx, d.op_of(vxw)) in marked and (d.op_of(vxw), vxw) in marked
        assert (d.node("<B>w</B>"), d.op_of(vxw)) not in marked
        assert len(marked) == 6  # x -> × -> x*w -> + -> x*w+b -> x² -> L
    with pytest.raises(TypeError, match=r"draw: highlight must be a Value"):
        draw(L, highlight=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"draw: highlight must be a Value"):
        draw(L, highlight=["x"])  # type: ignore[list-item]


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
    with pytest.raises(ValueError, match=r"forward_step must be an int from 0 to 7"):
        draw(L, forward_step=8)
    with pytest.raises(ValueError, match=r"step must be an int from 0 to 7"):
        draw(L, step=-1)


def test_precision_is_significant_digits() -> None:
    x = Value(1 / 3, "x")
    root = x * 3.14159
    assert "data 0.3333" in draw(root).source
    assert "data 0.33333333" in draw(root, precision=8).source
    assert "data 0.3<" in draw(root, precision=1).source


def test_max_nodes_suggests_collapse() -> None:
    root = vsum([Value(float(i)) for i in range(30)])
    draw(root, max_nodes=31)
    with pytest.raises(
        ValueError, match=r"has 31 nodes, more than max_nodes=30.*collapse='neuron'"
    ):
        draw(root, max_nodes=30)
    assert "v30" in draw(root, max_nodes=None).source


def test_large_drawings_put_edge_labels_beside_edges() -> None:
    root = vsum([Value(float(i)) for i in range(100)])
    assert "xlabel" in draw(root).source  # 101 nodes: over the inline limit of 100
    small = vsum([Value(float(i)) for i in range(99)])
    assert "xlabel" not in draw(small).source and "label=" in draw(small).source
    big = vsum([Value(float(i)) for i in range(101)])
    big.backward()
    d = Dot(draw(big, show_backward=True))
    assert {a.get("xlabel") for _, _, a in d.edges} >= {"5\\n∂=1", "1", "5050"}
    assert not any("label" in a for _, _, a in d.edges)


def test_value_draw_shortcut() -> None:
    L = seed001()[3]
    graph = L.draw(show_backward=True, rankdir="TB")
    assert isinstance(graph, Drawing) and isinstance(graph, graphviz.Digraph)
    assert graph.source == draw(L, show_backward=True, rankdir="TB").source
    assert "rankdir=TB" in graph.source


# -- SVG -----------------------------------------------------------------------------------------


def test_svg_is_xml_with_every_label() -> None:
    L = seed001()[3]
    texts = svg_texts(to_svg(L, show_backward=True))
    joined = "\n".join(texts)
    for expected in [
        "x",
        "w",
        "b",
        "L",
        "x*w",
        "x*w + b",
        "data 49",
        "grad 42",
        "grad 28",
        "×",
        "+",
        "x²",
        "∂=3",
        "∂=14",
        "42",
        "49",
    ]:
        assert expected in texts or expected in joined, expected
    assert "∂=95.35" not in joined  # the constant exponent's edge carries no derivative
    nasty = Value(1.0, NASTY) * 2.0
    nasty.label = "{<&>}"
    texts = svg_texts(to_svg(nasty))
    assert {'a<b>{c}|d\\e"f&g', "second 'line'\\x01", "{<&>}"} <= set(texts)


def test_save_svg_and_jupyter_display(tmp_path: Path) -> None:
    L = seed001()[3]
    path = save_svg(L, tmp_path / "seed001.svg", show_backward=True)
    assert path == tmp_path / "seed001.svg"
    assert "grad 42" in svg_texts(path.read_text(encoding="utf-8"))
    graph = draw(L)
    assert "data 6" in svg_texts(graph._repr_svg_())
    bundle = graph._repr_mimebundle_()
    assert "data 6" in svg_texts(bundle["image/svg+xml"])


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
    assert "grad 42" in graph.source  # the DOT text needs no program
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


def tiny_network(x: list[Value], tag: str = "") -> tuple[Value, dict[str, Value]]:
    """A 2-3-1 tanh network built by hand with nn's naming, on one sample: the params are made
    once (module-level cache by name) so several samples share them."""
    out = x
    for i, width in enumerate([3, 1]):
        layer = []
        for j in range(width):
            name = f"layers.{i}.neurons.{j}"
            ws = [
                PARAMS.setdefault(f"{name}.w.{k}", Value(0.1 * (k + 1) - 0.05 * j, f"{name}.w.{k}"))
                for k in range(len(out))
            ]
            bias = PARAMS.setdefault(f"{name}.b", Value(0.01 * j, f"{name}.b"))
            z = dot(ws, out, bias)
            layer.append(z.tanh() if i == 0 else z)
        out = layer
    return out[0], PARAMS


PARAMS: dict[str, Value] = {}


@pytest.fixture(autouse=True)
def fresh_params() -> None:
    PARAMS.clear()


def test_collapse_neuron() -> None:
    x = [Value(0.5, "x0"), Value(-1.0, "x1")]
    out, params = tiny_network(x)
    loss = (out - 1.0) ** 2
    loss.backward()
    d = Dot(draw(loss, collapse="neuron", show_backward=True))
    assert not any("layers.0.neurons.0.w" in a["label"] for a in d.nodes.values())
    n00 = d.node("<B>layers.0.neurons.0</B>")
    n10 = d.node("<B>layers.1.neurons.0</B>")
    hidden = out.children[3:6]  # the tanh outputs feeding the output neuron
    h0 = hidden[0]
    name = "<B>layers.0.neurons.0</B><BR/>tanh(Σw·x+b)"
    assert d.label(n00) == f"{name}<BR/>data {h0.data:.4g}<BR/>grad {h0.grad:.4g}"
    assert d.label(n10).startswith("<B>layers.1.neurons.0</B><BR/>Σw·x+b<BR/>")
    assert d.nodes[n00]["fillcolor"] == "lightgreen"
    vx0 = d.node("<B>x0</B>")
    # forward: x0 -> neuron with d tanh(z) / d x0 = (1 - tanh²)·w.0 on the edge
    w0 = params["layers.0.neurons.0.w.0"]
    local = (1 - h0.data**2) * w0.data
    assert d.between(vx0, n00) == [f"0.5\\n∂={local:.4g}"]
    # backward: what each neuron sends to x0; together they make x0.grad
    flows = [
        float(d.between(n, vx0, "red")[0])
        for n in d.nodes
        if n.startswith("g") and d.between(n, vx0, "red")
    ]
    assert len(flows) == 3
    assert sum(flows) == pytest.approx(x[0].grad, rel=1e-3)
    # neuron -> neuron: one scalar edge each way
    assert d.between(n00, n10) == [f"{h0.data:.4g}\\n∂={params['layers.1.neurons.0.w.0'].data:.4g}"]
    assert d.between(n10, n00, "red") == [f"{h0.grad:.4g}"]
    boxes = [n for n in d.nodes if not n.startswith("o")]
    assert len(boxes) == 4 + 2 + 4  # 4 neurons, x0 and x1, the constants 1 and 2, out - 1, loss
    assert "<I>" not in d.source  # expression names would name nodes hidden in the neurons
    assert "<I>" in draw(loss).source


def test_collapse_keeps_a_parameter_used_outside() -> None:
    x = [Value(0.5, "x0"), Value(-1.0, "x1")]
    out, params = tiny_network(x)
    w = params["layers.0.neurons.1.w.0"]
    loss = out**2 + 0.1 * w**2  # an L2 term on one weight
    d = Dot(draw(loss, collapse="neuron"))
    assert sum("layers.0.neurons.1.w.0" in a["label"] for a in d.nodes.values()) == 1
    assert not any("layers.0.neurons.1.w.1" in a["label"] for a in d.nodes.values())


def test_collapse_layer_and_batches() -> None:
    samples = [[Value(0.5, "a0"), Value(-1.0, "a1")], [Value(2.0, "b0"), Value(0.3, "b1")]]
    outs = [tiny_network(x)[0] for x in samples]
    loss = vsum([(o - 1.0) ** 2 for o in outs])
    loss.backward()
    d = Dot(draw(loss, collapse="layer", show_backward=True))
    layer0 = [n for n, a in d.nodes.items() if a["label"].startswith("<B>layers.0</B>")]
    layer1 = [n for n, a in d.nodes.items() if a["label"].startswith("<B>layers.1</B>")]
    assert len(layer0) == len(layer1) == 2  # one per sample, sharing the parameters
    assert "3 neurons, tanh" in d.label(layer0[0])
    # layer 0 -> layer 1 carries the norm of the gradient of layer 0's outputs
    for l0 in layer0:
        (l1,) = [h for t, h, a in d.edges if t == l0 and a.get("color") == "blue"]
        (flow,) = d.between(l1, l0, "red")
        tanhs = [v for v in topological_order(loss) if v.op == "tanh"]
        norms = {f"‖∇‖={sum(t.grad**2 for t in tanhs[k : k + 3]) ** 0.5:.4g}" for k in (0, 3)}
        assert flow in norms
    boxes = [n for n in d.nodes if not n.startswith("o")]
    assert len(boxes) == 2 * 8 + 1  # per sample: 2 inputs, 2 layers, 1, o - 1, 2, (o - 1)²
    neuron_view = Dot(draw(loss, collapse="neuron"))
    assert (
        sum(a["label"].startswith("<B>layers.0.neurons.") for a in neuron_view.nodes.values()) == 6
    )


def test_collapse_needs_the_naming_convention() -> None:
    ws = [Value(0.3, "a"), Value(0.2, "c")]  # not <name>.w.<i>: nothing to collapse
    z = dot(ws, [Value(1.0, "x0"), Value(2.0, "x1")]).tanh()
    assert draw(z, collapse="neuron").source == draw(z).source


def test_bare_neuron_and_leaky_relu() -> None:
    ws = [Value(0.3, "w.0"), Value(-0.2, "w.1")]
    z = dot(ws, [Value(1.0, "x0"), Value(2.0, "x1")], Value(0.5, "b")).leaky_relu(0.1)
    d = Dot(draw(z, collapse="neuron"))
    g = d.node("<B>neuron</B>")
    assert "LeakyReLU(Σw·x+b)" in d.label(g)
    assert d.nodes[g]["fillcolor"] == "lightcoral"  # it is the root
    assert len(d.nodes) == 3  # x0, x1 and the neuron; alpha lives inside


def test_collapse_with_the_real_mlp() -> None:
    nn = pytest.importorskip("microgradnet.nn")
    model = nn.MLP(2, [16, 16, 1], activation="tanh", seed=0)
    loss = (model([0.5, -1.2]) - 1.0) ** 2
    loss.backward()
    d = Dot(draw(loss, collapse="neuron", show_backward=True))
    neurons = [a for a in d.nodes.values() if ".neurons." in a["label"]]
    assert len(neurons) == 33
    assert len([n for n in d.nodes if not n.startswith("o")]) == 33 + 2 + 4
    with pytest.raises(ValueError, match=r"more than max_nodes=100.*collapse='neuron'"):
        draw(loss, max_nodes=100)
    d = Dot(draw(loss, collapse="layer"))
    assert [
        a["label"].split("<BR/>")[1]
        for a in d.nodes.values()
        if a["label"].startswith("<B>layers.")
    ] == [
        "16 neurons, tanh",
        "16 neurons, tanh",
        "1 neuron",
    ]


# -- step-through pictures -----------------------------------------------------------------------


def test_draw_at_backward_step_uses_the_steps_and_leaves_grad_alone() -> None:
    L = seed001()[3]
    for v in topological_order(L):
        v.grad = -7.0
    d = Dot(draw(L, step=0, show_backward=True))
    assert "grad 1" in d.label(d.node("<B>L</B>"))
    assert "grad 0" in d.label(d.node("<B>x</B>"))
    assert d.nodes[d.node("<B>L</B>")]["fillcolor"] == "gray90"  # not reached yet
    assert not [a for _, _, a in d.edges if a.get("color") == "red"]
    d = Dot(draw(L, step=3, show_backward=True))  # L, x*w + b, x*w done
    vxw, vx = d.node("x*w<"), d.node("<B>x</B>")
    assert d.nodes[vxw]["color"] == "red" and d.nodes[vxw]["penwidth"] == "3"  # current
    assert d.label(vx).endswith("grad 42")  # received, though x is not reached yet
    assert d.nodes[vx]["fillcolor"] == "gray90"
    assert d.nodes[d.node("<B>L</B>")]["fillcolor"] == "lightcoral"
    assert d.between(d.op_of(vxw), vx, "red") == ["42"]
    current = [a for t, h, a in d.edges if t == d.op_of(vxw) and a.get("color") == "red"]
    assert all(a["penwidth"] == "2.5" for a in current)
    d = Dot(draw(L, step=7))
    assert not any(a.get("fillcolor") == "gray90" for a in d.nodes.values())
    assert all(v.grad == -7.0 for v in topological_order(L))


def test_draw_at_forward_step() -> None:
    L = seed001()[3]
    d = Dot(draw(L, forward_step=5, show_backward=True))
    assert d.label(d.node("x*w<")) == "<I>x*w</I><BR/>data 6"  # no grads in the forward pass
    assert d.nodes[d.node("x*w<")]["color"] == "red"
    vxwb = d.node("x*w + b<")
    assert d.label(vxwb) == "<I>x*w + b</I><BR/>data ?"
    assert d.nodes[vxwb]["fillcolor"] == "gray90"
    assert d.between(d.op_of(vxwb), vxwb, "gray70") == [""]  # not computed: grey, no value
    assert not [a for _, _, a in d.edges if a.get("color") == "red"]


def test_step_through_a_collapsed_network() -> None:
    """A neuron is grey until its nodes are reached, outlined red while one of them is current,
    and its backward arrows appear once it is done."""
    x = [Value(0.5, "x0"), Value(-1.0, "x1")]
    out, _ = tiny_network(x)
    loss = (out - 1.0) ** 2
    order = topological_order(loss)
    k = len(order) - order.index(out)  # the step at which the output neuron's dot is reached
    before = Dot(draw(loss, collapse="neuron", step=k - 1, show_backward=True))
    at = Dot(draw(loss, collapse="neuron", step=k, show_backward=True))
    name = "<B>layers.1.neurons.0</B>"
    assert before.nodes[before.node(name)]["fillcolor"] == "gray90"
    assert at.nodes[at.node(name)]["fillcolor"] == "lightgreen"
    assert at.nodes[at.node(name)]["color"] == "red"
    assert not [t for t, _, a in before.edges if t == before.node(name) and a["color"] == "red"]
    assert len([t for t, _, a in at.edges if t == at.node(name) and a["color"] == "red"]) == 3
    forward = Dot(draw(loss, collapse="layer", forward_step=3))
    assert all("data ?" in a["label"] for a in forward.nodes.values() if "layers." in a["label"])

"""The drawing pipeline, layer by layer: options -> scene -> layout -> marks -> DOT -> SVG; the
step-through frames as one scene with the marks of each step, drawn at one fixed layout; files
written whole or not at all."""

from __future__ import annotations

import dataclasses
import json
import os
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import run_python
from networks import seed001

from microgradnet.engine import Constant, Value, topological_order
from microgradnet.nn import MLP
from microgradnet.stepper import Stepper
from microgradnet.steps import backward_steps
from microgradnet.viz import DrawOptions, draw, picture, run_dot, save_svg
from microgradnet.viz.dot_graph import EdgeStmt, NodeStmt
from microgradnet.viz.fixed import Positions, envelope, node_boxes, node_sizes, pin
from microgradnet.viz.marks import after_backward_step, after_forward_step, marks_for
from microgradnet.viz.scene import build_scene

SVG = "{http://www.w3.org/2000/svg}"
ROOT = Path(__file__).resolve().parent.parent


def mlp_loss(sizes: list[int]) -> Value:
    net = MLP(2, sizes, activation="tanh", seed=0)
    out = net([Value(0.5, "x1"), Value(-1.0, "x2")])
    assert isinstance(out, Value)
    loss = (out - 1.0) ** 2
    loss.label = "L"
    loss.backward()
    return loss


# -- options: checked once, then frozen ----------------------------------------------------------


def test_options_are_checked_once_and_frozen() -> None:
    x, w, b, _ = seed001()
    options = DrawOptions(highlight=iter([x, w]), params=(p for p in [w, b]), precision=2)
    assert options.marked == {x, w} and options.params == (w, b)  # iterators read once
    assert options.fmt(3.14159) == "3.1"
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.rankdir = "LR"  # type: ignore[misc]
    with pytest.raises(ValueError, match=r"draw: rankdir must be 'LR', 'RL', 'TB', 'BT' or None"):
        DrawOptions(rankdir="XY")
    with pytest.raises(TypeError, match=r"draw: highlight must be a Value"):
        DrawOptions(highlight=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'rank_dir'"):
        DrawOptions(rank_dir="LR")  # type: ignore[call-arg]


# -- the scene: names, roles, places -------------------------------------------------------------


def test_scene_of_the_notes_example() -> None:
    """L = (x·w + b)²: the exponent 2 is drawn inside its op; w and b given as params."""
    x, w, b, L = seed001()
    scene = build_scene(L, DrawOptions(params=[w, b]))
    two = next(v for v in scene.order if type(v) is Constant)
    assert scene.hidden == {two} and scene.where(two) is None
    xw_node = next(v for v in scene.order if v.children and v.children[0] is x)
    assert xw_node.data == 6
    assert scene.names[xw_node] == "x·w" and scene.where(xw_node) == f"v{scene.index[xw_node]}"
    assert [scene.roles[v] for v in (x, w, b, xw_node, L)] == [
        "input",
        "parameter",
        "parameter",
        "interior",
        "root",
    ]
    assert scene.show_local and scene.notes == ()  # 4 local derivatives: shown


def test_scene_copies_and_groups() -> None:
    x = Value(1.5, "x")
    y = x
    for _ in range(5):
        y = y * x  # x is read at every level: drawn beside each use
    assert build_scene(y, DrawOptions()).copies == {x}
    loss = mlp_loss([4, 4, 1])
    scene = build_scene(loss, DrawOptions(collapse="neuron"))
    kinds = [g.kind for g in scene.groups]
    assert kinds == ["neuron"] * 9 + ["loss"]
    weights = [v for v in scene.order if not v.children and v.label.startswith("layers")]
    assert weights and all(w in scene.hidden for w in weights)  # inside their neuron's box
    layers = build_scene(loss, DrawOptions(collapse="layer"))
    assert [(g.kind, g.size) for g in layers.groups] == [
        ("layer", 4),
        ("layer", 4),
        ("layer", 1),
        ("loss", 1),
    ]
    with pytest.raises(ValueError, match=r"more than max_nodes=5; draw it with collapse='layer'"):
        build_scene(loss, DrawOptions(collapse="neuron", max_nodes=5))


# -- marks: a step is the scene with its marks ---------------------------------------------------


def test_marks_after_a_backward_and_a_forward_step() -> None:
    x, w, b, L = seed001()
    scene = build_scene(L, DrawOptions())
    plain = marks_for(scene, DrawOptions())
    steps = list(backward_steps(L))
    step3 = steps[2]  # x·w reached: it sends 14·3 to x and 14·2 to w
    marks = after_backward_step(scene, 3, plain)
    assert marks.current is step3.node and marks.received == {x, w}
    reached = {v for v in scene.order if marks.reached(v) and type(v) is not Constant}
    assert reached == {s.node for s in steps[:3]}  # L, x·w + b, x·w
    assert marks.grad_of(x) == 42 and marks.grad_of(b) == 14 and not marks.reached(b)
    assert marks.gradient(x) == 42 and marks.seed is None
    seed = after_backward_step(scene, 0, plain)  # the seed: the root holds 1, nothing else
    assert seed.current is L and seed.received == {L} and seed.seed is L
    assert seed.gradient(L) == 1.0 and seed.gradient(x) is None and seed.grad_of(x) == 0.0
    assert not any(seed.reached(v) for v in scene.order if type(v) is not Constant)
    forward = after_forward_step(scene, 4, plain)  # x, w, b given, x·w computed
    assert [v for v in scene.order if not forward.known(v)] == [
        v for v in scene.order if v.children and v is not steps[2].node
    ]
    assert forward.current is step3.node
    with pytest.raises(ValueError, match=r"forward_step must be an int from 0 to 6"):
        after_forward_step(scene, 7, plain)


def test_stepper_frames_are_one_scene_with_the_marks_of_each_step() -> None:
    """A frame of one step is draw(step=k) (or forward_step=k); a frame of a run of steps
    (the given leaves, the leaves reached) is the picture after the last, with no current
    node and every node of the run outlined."""
    L = seed001()[3]
    frames = list(Stepper(L, rankdir="LR").frames())
    scenes = {id(f.picture.scene) for f in frames if f.picture is not None}
    assert len(scenes) == 1 and len(frames) == 9
    for f in frames:
        step = {"step": f.k} if f.phase == "backward" else {"forward_step": f.k}
        expected = draw(L, show_backward=True, rankdir="LR", **step).source  # type: ignore[arg-type]
        if f.first is None:
            assert f.graph.source == expected
            continue
        assert f.picture is not None and f.picture.marks.current is None
        outlined = {
            s.name: dict(s.attrs).get("color")
            for s in f.picture.dot_graph.body
            if isinstance(s, NodeStmt)
        }
        assert set(f.focus) == {"v0", "v1", "v3"}  # x, w and b
        assert all(outlined[n] == "darkorange" for n in f.focus)
        assert "red" not in outlined.values()


# -- fixed layout: every frame at the last frame's positions, one size ---------------------------


@pytest.mark.needs_dot
def test_pinned_frames_sit_where_dot_puts_the_last_one() -> None:
    L = seed001()[3]
    options = DrawOptions(show_backward=True, rankdir="LR")
    last = picture(L, dataclasses.replace(options, step=6)).dot_graph
    first = picture(L, dataclasses.replace(options, forward_step=3)).dot_graph
    at = Positions.of(last.drawing().source)
    layout = json.loads(run_dot(last.drawing().source, "json"))
    centre = {o["name"]: o["pos"] for o in layout["objects"] if "pos" in o}
    pinned = pin(first, at)
    for stmt in pinned.body:
        if isinstance(stmt, NodeStmt):
            assert dict(stmt.attrs)["pos"] == centre[stmt.name] + "!"
    edges = [s for s in pinned.body if isinstance(s, EdgeStmt)]
    assert edges and all("pos" in dict(e.attrs) for e in edges)


def bounding_box(source: str) -> list[float]:
    out = run_dot(source, "json0", layout="neato", options=["-n2"])
    return [float(x) for x in json.loads(out)["bb"].split(",")]


@pytest.mark.needs_dot
def test_the_envelope_holds_every_frame() -> None:
    """Collapsed MLP(2, [4, 4, 1]): x₂'s box is sized for its total gradient, and a partial
    sum is wider, so one frame needs more room than the last; the envelope holds every one."""
    loss = mlp_loss([4, 4, 1])
    frames = list(Stepper(loss).frames())
    graphs = [f.picture.dot_graph for f in frames if f.picture is not None]
    at = Positions.of(frames[-1].graph.source)
    pinned = [pin(g, at) for g in graphs]
    boxes = [bounding_box(g.text()) for g in pinned]
    hull = bounding_box(envelope(pinned).text())
    assert min(b[0] for b in boxes) < boxes[-1][0]  # wider than the last frame somewhere
    assert hull[0] == pytest.approx(min(b[0] for b in boxes))
    assert hull[1] == pytest.approx(min(b[1] for b in boxes))
    assert hull[2] == pytest.approx(max(b[2] for b in boxes))
    assert hull[3] == pytest.approx(max(b[3] for b in boxes))


@pytest.mark.needs_dot
def test_each_box_is_as_wide_as_its_widest_label_in_any_frame() -> None:
    """Collapsed MLP(2, [4, 4, 1]): partial sums of gradients (and the seed's "1 (seed)") are
    wider than the totals of the last frame; every node is laid out at the largest size dot
    gives it in any frame, so no label is wider than its box."""
    loss = mlp_loss([4, 4, 1])
    frames = list(Stepper(loss).frames())
    graphs = [f.picture.dot_graph for f in frames if f.picture is not None]
    sizes = {name: dict(attrs) for name, attrs in node_sizes(graphs).items()}

    def widths(graph_text: str) -> dict[str, float]:
        out = json.loads(run_dot(graph_text, "json"))
        return {o["name"]: float(o["width"]) for o in out["objects"] if "pos" in o}

    last = widths(graphs[-1].text())
    each = [widths(g.text()) for g in graphs[::4]]
    wider = [n for n in last if float(sizes[n]["width"]) > last[n] + 0.01]
    assert wider  # some label of an earlier frame needs more room than the last frame's
    for name, size in sizes.items():  # the largest of all frames' widths, and no larger
        assert float(size["width"]) >= max(w.get(name, 0.0) for w in each) - 1e-4
        assert float(size["width"]) >= last[name] - 1e-4
    film = frames[0].film
    assert film is not None
    (_, _), boxes = node_boxes(frames[0].svg)
    for name in wider:  # drawn at that width (inches -> points), in every frame
        left, _, right, _ = boxes[name]
        assert right - left == pytest.approx(float(sizes[name]["width"]) * 72, abs=1.5)


@pytest.mark.needs_dot
def test_every_frame_has_one_size_and_no_text_leaves_the_picture() -> None:
    loss = mlp_loss([4, 4, 1])
    svgs = [f.svg for f in Stepper(loss).frames()]
    heads = set()
    for svg in svgs:
        root = ET.fromstring(svg)
        graph = root.find(f"{SVG}g")
        assert graph is not None
        heads.add((root.get("width"), root.get("height"), root.get("viewBox")))
        transform = graph.get("transform", "")
        tx = float(transform.split("translate(")[1].split()[0])
        starts = [
            float(t.get("x", "0"))
            for t in graph.iter(f"{SVG}text")
            if t.get("text-anchor") == "start"
        ]
        assert min(starts) + tx >= 0  # a label wider than its box still fits in the picture
    assert len(heads) == 1


# -- files written whole or not at all -----------------------------------------------------------

FAIL_HALFWAY = """
import resource, signal, sys
sys.path.insert(0, {tests!r})
from networks import seed001
from microgradnet.stepper import Stepper
from microgradnet.viz import save_pdf, save_png, save_svg
L = seed001()[3]
stepper = Stepper(L, rankdir="LR")
stepper.to_html()  # rendered before the limit: the failure is in the write
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))  # a file may not pass 2000 bytes
saves = {{"svg": save_svg, "png": save_png, "pdf": save_pdf, "html": None}}
for name, save in saves.items():
    path = {folder!r} + "/out." + name
    try:
        stepper.save_html(path) if save is None else save(L, path)
    except OSError as e:
        print(name, "refused", e.errno, e.filename)
"""


@pytest.mark.needs_dot
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs POSIX resource limits")
def test_a_write_failing_halfway_leaves_the_old_file(tmp_path: Path) -> None:
    """save_svg, save_png, save_pdf and save_html past the file-size limit: an error naming the
    file, the old file as it was, no temporary file left."""
    names = ("svg", "png", "pdf", "html")
    for name in names:
        (tmp_path / f"out.{name}").write_text(f"old {name}", encoding="utf-8")
    script = FAIL_HALFWAY.format(tests=str(ROOT / "tests"), folder=str(tmp_path))
    done = run_python(textwrap.dedent(script), check=False)
    assert done.returncode == 0, done.stderr
    # EFBIG (27): File too large
    assert done.stdout.splitlines() == [f"{n} refused 27 {tmp_path}/out.{n}" for n in names]
    for name in names:
        assert (tmp_path / f"out.{name}").read_text(encoding="utf-8") == f"old {name}"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"out.{n}" for n in names)


@pytest.mark.needs_dot
def test_save_svg_refuses_a_directory_and_writes_through_a_symlink(tmp_path: Path) -> None:
    L = seed001()[3]
    (tmp_path / "folder").mkdir()
    with pytest.raises(ValueError, match=r"save_svg: .*folder' is a directory; save_svg writes"):
        save_svg(L, tmp_path / "folder")
    target = tmp_path / "real.svg"
    target.write_text("old", encoding="utf-8")
    (tmp_path / "link.svg").symlink_to(target)
    assert save_svg(L, tmp_path / "link.svg") == tmp_path / "link.svg"
    assert (tmp_path / "link.svg").is_symlink()
    assert target.read_text(encoding="utf-8").startswith("<?xml")


def test_every_public_name_of_viz_is_still_there() -> None:
    import microgradnet.viz as viz

    names = [
        "draw",
        "to_svg",
        "save_svg",
        "save_png",
        "save_pdf",
        "run_dot",
        "Drawing",
        "GraphvizError",
        "GraphvizNotFoundError",
        "DOT_TIMEOUT",
        "MAX_PNG_SIDE",
        "svg_text",
        "COLORS",
        "LEGEND",
        "FONT",
        "AUTO_LABELS_UP_TO",
        "AUTO_BACK_LABELS_UP_TO",
        "FULL_LAYOUT_UP_TO",
        "DOT_LIMITS",
        "LONG_EDGE",
        "MAX_ASPECT",
        "WRAP_ASPECT",
        "SHORT_NAME",
        "MAX_FORMULA",
        "MAX_LABEL",
        "MAX_LINES",
        "INSTALL_GRAPHVIZ",
        "Highlight",
    ]
    assert [n for n in names if not hasattr(viz, n)] == []
    assert len(topological_order(seed001()[3])) == 7


@pytest.mark.needs_dot
def test_dot_text_written_directly_is_the_graph_draw_writes() -> None:
    """DotGraph.text() (the fast writer of the frames at fixed positions) and the graphviz
    package's text of the same statements are one graph: Graphviz's canonical form of both
    is the same."""
    _, w, b, L = seed001()
    chain = Value(0.5, "z")
    for _ in range(10):
        chain = (chain * 0.9).tanh()  # wrapped into rows: same-rank groups without edges
    cases = [
        (L, DrawOptions(show_backward=True, legend=True, title='a "title" \\N', params=[w, b])),
        (mlp_loss([4, 4, 1]), DrawOptions(collapse="neuron", show_backward=True)),
        (mlp_loss([3, 1]), DrawOptions(derivatives="formula", show_local=True)),
        (chain, DrawOptions(values="arrows", show_backward=True)),
    ]
    for root, options in cases:
        graph = picture(root, options).dot_graph
        assert run_dot(graph.text(), "canon") == run_dot(graph.drawing().source, "canon")


@pytest.mark.needs_dot
@pytest.mark.parametrize("fmt", ["png", "pdf", "svg"])
def test_step_frames_are_saved_one_file_each_all_of_one_size(tmp_path: Path, fmt: str) -> None:
    """frame_sources + save_frames: one file per frame, in order, every PNG the same size (the
    nodes never move), PDFs and SVGs whole; bad arguments refused by name, nothing written."""
    from microgradnet.viz import frame_sources, save_frames

    L = seed001()[3]
    frames = list(Stepper(L, rankdir="LR").frames())
    pictures = [f.picture for f in frames if f.picture is not None]
    sources = frame_sources(pictures, frames[-1].graph.source)
    assert len(sources) == len(pictures) >= 8
    paths = save_frames(sources, tmp_path / "slides", format=fmt, dpi=96)
    assert [p.name for p in paths] == [f"frame-{k:03d}.{fmt}" for k in range(1, len(paths) + 1)]
    data = [p.read_bytes() for p in paths]
    if fmt == "png":
        assert all(d[:8] == b"\x89PNG\r\n\x1a\n" for d in data)
        sizes = {(int.from_bytes(d[16:20], "big"), int.from_bytes(d[20:24], "big")) for d in data}
        assert len(sizes) == 1  # one size: the frames can be flipped through
        (w, h), *_ = sizes
        assert 200 < w < 2000 and 100 < h < 2000
    elif fmt == "pdf":
        assert all(d.startswith(b"%PDF") and b"%%EOF" in d[-64:] for d in data)
    else:
        texts = [ET.fromstring(d).iter(f"{SVG}text") for d in data]
        assert all(any(t.text == "x" for t in ts) for ts in texts)
    with pytest.raises(ValueError, match=r"save_frames: format must be one of"):
        save_frames(sources, tmp_path / "no", format="gif")
    with pytest.raises(ValueError, match=r"save_frames: stem must be"):
        save_frames(sources, tmp_path / "no", stem="../up")
    with pytest.raises(ValueError, match=r"save_frames: dpi must be"):
        save_frames(sources, tmp_path / "no", dpi=10_000)
    assert not (tmp_path / "no").exists()

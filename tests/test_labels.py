"""Labels of any content: arbitrary Unicode (control characters, lone surrogates, line
separators, backslash sequences that dot would expand such as \\N \\G \\L, very long text) goes
through draw and Graphviz's dot, comes out as well-formed SVG with every label findable, and
through explain and the step texts without an exception."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microgradnet.chain_rule import explain
from microgradnet.engine import Value
from microgradnet.steps import backward_steps, forward_steps
from microgradnet.viz import MAX_LABEL, MAX_LINES, _escape_lines, draw, to_svg
from microgradnet.viz.labels import wrap

SVG = "{http://www.w3.org/2000/svg}"
BREAKS = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
UNPRINTABLE = re.compile("[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")

HOSTILE = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec=None, categories=None), max_size=40),
    st.sampled_from(
        ["\n", "\t", "\r", "\x0b", "\u2028", "\x85", "\na", "\\N", "\\G\\L\\T\\H\\E", "\\", ""]
    ),
    st.lists(st.sampled_from(["\\N", "\\l", "\n", "<", "&", '"', "\x00", "\ud800", "x"])).map(
        "".join
    ),
    st.text(min_size=300, max_size=400),
)


def expected_lines(label: str) -> list[str]:
    """How a label should read in the picture: split at line breaks, unprintable characters as
    \\xNN, cut at MAX_LABEL characters and MAX_LINES lines."""
    if len(label) > MAX_LABEL:
        label = label[: MAX_LABEL - 1] + "…"
    lines = BREAKS.split(label)
    if len(lines) > MAX_LINES:
        lines = [*lines[: MAX_LINES - 1], "…"]
    return [
        UNPRINTABLE.sub(lambda m: f"\\x{ord(m[0]):02x}", line).replace("\t", " ") for line in lines
    ]


def svg_text(svg: str) -> str:
    root = ET.fromstring(svg)
    return "\n".join(t.text or "" for t in root.iter(f"{SVG}text"))


@pytest.mark.needs_dot
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=HOSTILE, b=HOSTILE)
def test_any_label_renders_and_is_found(a: str, b: str) -> None:
    x, w = Value(2.0, a), Value(3.0, b)
    root = x * w + 1.0
    root.label = a + b
    root.backward()
    text = svg_text(to_svg(root, show_backward=True, title=b))
    for label in (a, b):
        for line in expected_lines(label):
            # dot collapses runs of spaces and trims lines; compare what survives that
            visible = " ".join(line.split())
            assert visible in " ".join(text.split()), (label, line)
    for step in backward_steps(root):
        assert isinstance(step.text(), str)
    for fstep in forward_steps(root):
        assert isinstance(fstep.text(), str)
    assert isinstance(str(explain(root, x)), str)


@pytest.mark.parametrize("label", ["\n", "\t", "\r", "\x0b", "\u2028", "\x85", "\na", ""])
def test_line_breaks_and_empty_lines_make_valid_html_labels(label: str) -> None:
    lines = _escape_lines(label)
    assert all(line for line in lines)  # an empty line is a space: <B></B> is a dot error
    assert "<" not in "".join(lines)
    source = draw(Value(1.0, label) * 2.0).source
    assert "<B></B>" not in source


def test_backslashes_are_doubled_for_dot() -> None:
    """dot reads a doubled backslash as one, and expands \\N, \\G, \\L otherwise."""
    (line,) = _escape_lines("\\N \\G \\L \\")
    assert line == "\\\\N \\\\G \\\\L \\\\"


VERBATIM = [
    "\\N and \\G",
    "\\L\\E\\T\\H",
    "a\\\\N",
    "tail\\",
    "\\n not a break",
    'q\\"x',
    "\\x41 \\u",
]


@pytest.mark.needs_dot
@pytest.mark.parametrize("label", VERBATIM)
def test_labels_with_backslashes_are_drawn_verbatim(label: str) -> None:
    """The SVG text of a node, of an edge label and of the title equals the label itself: no
    escape expanded, nothing added (Graphviz of this machine)."""
    root = Value(1.0, label) * 2.0
    root.label = label
    root.backward()
    svg = to_svg(root, title=label, show_local=True)
    texts = [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]
    assert texts.count(label) >= 2  # the title, and the name of each box
    formula = to_svg(root, derivatives="formula", rankdir="TB")
    edge_texts = [t.text or "" for t in ET.fromstring(formula).iter(f"{SVG}text")]
    name = wrap(label)
    assert f"∂{name}/∂{name} = 2" in edge_texts  # an edge label (a quoted DOT string)

"""The custom template: any formula, or from Python any model, with the ranges of its variables.

    custom_template("(x*w + b)**2", {"x": "-3:3", "w": "1:4", "b": "0.5"})
    custom_template(model, {"x": "-2:2", "w": "-1.5:1.5"})   model(x, w) returns a Value

The sheet asks for f, and ∂f/∂v for every variable v as a number and as a formula; the key
writes each formula as the chain rule's sum over paths of the local derivatives' formulas. A
model's labelled nodes are the named values an answer may use. Bounds: at most MAX_VARIABLES
variables and MAX_NODES nodes (a sheet's figure stays readable).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..chain_rule import explain
from ..engine import Value, topological_order
from ..expr import MAX_LENGTH, ExpressionError, normalize_name, parse_expression
from ..transforms import parameter_names
from .blanks import Blank, chain_formula
from .numbers import Range, number_text
from .program import ExerciseError, Model, Name, Program, Step, is_name
from .templates import Numbers, Setup, Template

MAX_VARIABLES = 6
MAX_NODES = 60
RangeLike = Range | str | float | int | tuple[float, float]


def custom_template(source: str | Model, ranges: Mapping[str, RangeLike]) -> Template:
    """A template from a formula (text over the names of ranges) or a model (a function of
    Values whose parameters are the names of ranges)."""
    checked = _ranges(ranges)
    if isinstance(source, str):
        _check_formula(source, checked)
        model = None
        about = f"f = {source.strip()}"
    elif callable(source):
        _check_model(source, checked)
        model = source
        about = f"f computed by the model {getattr(source, '__name__', 'given')}"
    else:
        raise TypeError(
            f"exercise: custom needs a formula (str) or a model (a function of Values), "
            f"got {type(source).__name__}"
        )
    names = tuple(Name(a, _subscripted(a)) for a in checked)

    def build(numbers: Numbers) -> Setup:
        return _setup(source if model is None else model, about, names, numbers)

    return Template("custom", "Your own exercise: " + about[:60], about, checked, build)


def _setup(source: str | Model, about: str, names: tuple[Name, ...], numbers: Numbers) -> Setup:
    if isinstance(source, str):
        program = Program(names, steps=(Step(Name("f"), source),))
    else:
        program = Program(names, model=source)
    point = {n.alias: float(numbers[n.alias]) for n in names}
    graph = program.graph(point)
    _check_graph(graph.root, {n.alias: graph.nodes[n.alias] for n in names})
    given = ", ".join(f"{n.shown} = {number_text(point[n.alias])}" for n in names)
    wrt = ", ".join(n.shown for n in names)
    question = (
        f"The function {about}. Take {given}.",
        f"(a) The value of f. (b) The derivative of f with respect to each of {wrt}, as numbers. "
        "(c) The same derivatives as formulas in the variables (you may use the named values "
        "of the figure).",
    )
    blanks = [Blank("f", "value", "f", "f")]
    blanks += [Blank(f"df_d{n.alias}", "grad", n.alias, f"∂f/∂{n.shown}") for n in names]
    for n in names:
        e = explain(graph.root, graph.nodes[n.alias])
        key = chain_formula(e)
        asked = f"∂f/∂{n.shown} as a formula"
        blanks.append(Blank(f"df_d{n.alias}_formula", "formula", n.alias, asked, "", key))
    return Setup(program, point, question, tuple(blanks))


def _ranges(ranges: object) -> dict[str, Range]:
    if not isinstance(ranges, Mapping):
        raise TypeError(
            "exercise: custom ranges must be a dict of name -> range ('-3:3', a number, or a "
            f"Range), got {type(ranges).__name__}"
        )
    if not 1 <= len(ranges) <= MAX_VARIABLES:
        raise ExerciseError(
            f"exercise: custom takes 1 to {MAX_VARIABLES} variables with ranges, got {len(ranges)}"
        )
    out: dict[str, Range] = {}
    for name, given in ranges.items():
        if not isinstance(name, str) or not is_name(normalize_name(name)) or not name.isascii():
            raise ExerciseError(
                f"exercise: {name!r:.40} is not a variable name (ASCII letters, digits and _, "
                "not a keyword or a function name)"
            )
        out[name] = _range(name, given)
    return out


def _range(name: str, given: object) -> Range:
    if isinstance(given, Range):
        return given
    if isinstance(given, str):
        return Range.parse(given, f"exercise: the range of {name}")
    if isinstance(given, tuple) and len(given) == 2:
        lo, hi = (_number_text(x, name) for x in given)
        return Range.parse(f"{lo}:{hi}", f"exercise: the range of {name}")
    return Range.parse(_number_text(given, name), f"exercise: the range of {name}")


def _number_text(x: object, name: str) -> str:
    """A bound as Range.parse reads it: an int as written, a float with its decimals."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError(
            f"exercise: the range of {name} must be 'LO:HI', a number, a (lo, hi) pair or a "
            f"Range, got {type(x).__name__}"
        )
    return str(x) if isinstance(x, int) else repr(float(x))


def _check_formula(text: str, ranges: dict[str, Range]) -> None:
    """Refuse a formula the parser refuses, one that leaves a variable out or computes nothing,
    or one too large for a sheet (tried at the ranges' middles)."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression is {len(text)} characters long, over {MAX_LENGTH}")
    leaves = {a: Value(_middle(r), label=a) for a, r in ranges.items()}
    try:
        root = parse_expression(text, leaves)
    except ExpressionError:
        raise
    except (ArithmeticError, ValueError):  # undefined at the middles: the draws will say
        return
    _check_graph(root, leaves)


def _check_model(model: Model, ranges: dict[str, Range]) -> None:
    params = parameter_names(model)
    if params != list(ranges):
        raise ExerciseError(
            f"exercise: the model's parameters ({', '.join(params) or 'none'}) must be the "
            f"names of the ranges ({', '.join(ranges)}), in order"
        )


def _check_graph(root: Value, leaves: dict[str, Value]) -> None:
    order = topological_order(root)
    if not root.children:
        raise ExerciseError(
            "exercise: the custom formula must compute something from its variables"
        )
    if len(order) > MAX_NODES:
        raise ExerciseError(
            f"exercise: the custom formula makes {len(order)} nodes; a sheet draws at most "
            f"{MAX_NODES}"
        )
    used = {id(v) for v in order}
    unused = [a for a, v in leaves.items() if id(v) not in used]
    if unused:
        raise ExerciseError(f"exercise: the custom formula does not use {', '.join(unused)}")


def _middle(r: Range) -> float:
    return round((r.lo + r.hi) / 2, 1) or r.hi or 1.0


_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _subscripted(alias: str) -> str:
    """w1 as w₁: a name ending in digits gets them as subscripts (NFKC reads them back)."""
    stem = alias.rstrip("0123456789")
    if not stem or stem == alias or stem.endswith("_"):
        return alias
    return stem + alias[len(stem) :].translate(_SUBSCRIPTS)

"""Ops from user code: ``define_op`` adds a record to the op table, checked before it is used.

    softsign = define_op("softsign", lambda x: x / (1 + abs(x)),
                         lambda x: 1 / (1 + abs(x)) ** 2)
    y = softsign(Value(0.5))          # a node with op "softsign"

The derivative is compared with central differences at definition, and so are the optional
twins: the Value rule (higher derivatives) and the numpy pair (the batched replay), against the
float rules at the same points. Rules may use the op being defined (exp2' = exp2·ln 2) and may
receive the output as a keyword ``out``. Definitions are versioned: a node keeps the definition
it was made with, so redefining or removing an op (re-running a notebook cell) never breaks a
graph already built. The registry is guarded by a lock, so threads may define ops while others
parse formulas or build graphs.

References: jax.custom_jvp, torch.autograd.Function, HIPS autograd's defvjp.
"""

from __future__ import annotations

import inspect
import keyword
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import partial
from numbers import Real
from typing import Any

import numpy as np

from . import engine
from .engine import Value
from .optable import BUILTIN_NAMES, OPS, REGISTRY, NodeFacts, Op, Rule, wrap

CHECK_POINTS = (-1.3, -0.4, 0.35, 0.9, 2.1)  # where define_op checks a derivative
MAX_ARITY = 16


class OpName(str):
    """A custom op's name on its nodes: equal to the name, and carrying the definition the
    node was made with (``record``), so that a redefinition never changes an old node."""

    record: Op


class CustomOp:
    """What define_op returns: call it on Values or numbers to make the op's node (with the
    op's current definition, so a handle from before a redefinition follows it)."""

    def __init__(self, op: Op) -> None:
        self.op = op
        self.__doc__ = op.doc or f"The custom op {op.name!r}."
        self.__name__ = str(op.name)

    def __call__(self, *operands: Any) -> Value:
        with REGISTRY:
            current = OPS.get(self.op.name, self.op)
        return engine.apply(current, operands)

    def __repr__(self) -> str:
        return f"<custom op {self.op.name!r}, {self.op.arity} operand(s)>"


def apply(name: str, *operands: Any) -> Value:
    """The node of op ``name`` on operands (Values or numbers), e.g. ``apply("softsign", x)``;
    an op's parameters follow its operands (``apply("leaky_relu", x, 0.1)``)."""
    with REGISTRY:
        op = OPS.get(name)
    if op is None:
        raise ValueError(f"apply: no op named {name!r}; define it with define_op first")
    n = len(operands) if op.arity == -1 else op.arity
    return engine.apply(op, operands[:n], operands[n:])


def define_op(
    name: str,
    forward: Callable[..., float],
    derivative: Callable[..., Any],
    *,
    arity: int = 1,
    value_derivative: Callable[..., Any] | None = None,
    numpy_forward: Callable[..., Any] | None = None,
    numpy_derivative: Callable[..., Any] | None = None,
    domain: Callable[..., bool] | None = None,
    domain_message: str = "input outside the domain",
    glyph: str | None = None,
    text: Callable[[Sequence[str]], str] | None = None,
    derivative_text: str | Sequence[str] | None = None,
    torch: str | None = None,
    check: bool = True,
    check_points: Sequence[float] = CHECK_POINTS,
    doc: str = "",
) -> CustomOp:
    """Define an operation from user code; returns a function that makes its nodes.

    ``forward(*xs) -> float`` computes the op on floats; ``derivative(*xs)`` returns d out /
    d x (a number for one operand, a tuple of ``arity`` numbers otherwise), on floats; a rule
    that declares a keyword ``out`` also gets the op's output, and a rule may use the op being
    defined by its name (``ops.apply("exp2", x)``: exp2' = exp2·ln 2). Optional, for more paths:
    ``value_derivative(*xs)`` the same rule on Values (then ``gradients(create_graph=True)``,
    ``grad(grad(f))``, hessians work; write it with ``microgradnet.ops.fn`` or Value methods;
    number operands arrive as Constants), ``numpy_forward(*arrays)`` and
    ``numpy_derivative(*arrays)`` elementwise on arrays (then ``Tape`` and ``fit(compile=True)``
    replay it). ``domain(*xs) -> bool`` says where the op is defined (``domain_message`` is the
    error outside it); ``derivative_text`` writes the derivative in terms of ``{x}`` (``{y}``
    for a second operand, ``{x0}``, ``{x1}``, ... for more) and ``{out}``, e.g.
    ``"1/(1 + |{x}|)²"``; ``glyph`` is drawn in graph nodes (default: the name); ``torch`` names
    the PyTorch function computing the same (``"nn.functional.softsign"``), for ``to_torch``.

    With ``check`` (default) the rules are checked at ``check_points`` first (see the module
    docstring). A built-in name is refused; a name defined again is replaced for new nodes.
    """
    _check_name(name)
    arity = _check_arity(name, arity)
    _check_functions(name, forward, derivative, value_derivative, numpy_forward, numpy_derivative)
    _check_functions(name, domain=domain)  # and below, the texts and the points
    _check_texts(name, glyph=glyph, torch=torch, domain_message=domain_message)
    points = _check_points(name, check_points)
    op = _record(
        name, arity, forward, derivative, value_derivative, numpy_forward, numpy_derivative
    )
    texts = _template_texts(name, derivative_text, arity)
    domains = () if domain is None else ((_outside(name, domain), ValueError, domain_message),)
    op = replace(op, domain=domains, glyph=glyph or name, text=text, derivative_texts=texts)
    op = replace(op, torch=torch, doc=doc)
    op.name.record = op  # type: ignore[attr-defined]
    _register(op, lambda: _check_rules(op, arity, points, domain) if check else None)
    return CustomOp(op)


def _record(name: str, arity: int, *rules: Callable[..., Any] | None) -> Op:
    """The record of a custom op from the user's forward, derivative and optional twins."""
    forward, derivative, value_derivative, numpy_forward, numpy_derivative = rules
    assert forward is not None and derivative is not None
    rule = partial(_optional_rule, name, arity)
    return Op(
        OpName(name),
        arity,
        _named_forward(name, forward),
        _as_rule(name, derivative, arity, "derivative"),
        value_derivative=rule(value_derivative, "value_derivative"),
        numpy_forward=numpy_forward,
        numpy_derivative=rule(numpy_derivative, "numpy_derivative"),
        activation=arity == 1,
        builtin=False,
    )


def _optional_rule(name: str, arity: int, f: Callable[..., Any] | None, what: str) -> Rule | None:
    return None if f is None else _as_rule(name, f, arity, what)


def _register(op: Op, check: Callable[[], None]) -> None:
    """Put op in the table, then check it (a rule may use the op being defined); a failing
    check puts back what was there."""
    with REGISTRY:
        previous = OPS.get(op.name)
        OPS[op.name] = op
        try:
            check()
        except BaseException:
            if previous is None:
                del OPS[op.name]
            else:
                OPS[op.name] = previous
            raise


def undefine_op(name: str) -> None:
    """Remove a custom op (built-ins stay); nodes made with it keep their definition."""
    if not isinstance(name, str):
        raise TypeError(f"undefine_op: name must be a str, got {type(name).__name__}")
    with REGISTRY:
        if name in BUILTIN_NAMES:
            raise ValueError(f"undefine_op: {name!r} is a built-in op")
        if OPS.pop(name, None) is None:
            raise ValueError(f"undefine_op: no custom op named {name!r}")


# -- checks of the definition ---------------------------------------------------------------------


def _check_name(name: object) -> None:
    if not isinstance(name, str):
        raise TypeError(f"define_op: name must be a str, got {type(name).__name__}")
    if not (name.isascii() and name.isidentifier()) or keyword.iskeyword(name):
        raise ValueError(
            f"define_op: name must be an identifier such as 'softsign' (ASCII letters, digits "
            f"and _, not a Python keyword), got {name!r}"
        )
    if name in BUILTIN_NAMES:
        raise ValueError(f"define_op: {name!r} is a built-in op; choose another name")


def _check_arity(name: str, arity: object) -> int:
    if isinstance(arity, bool) or not isinstance(arity, int):
        raise TypeError(f"define_op({name!r}): arity must be an int, got {type(arity).__name__}")
    if not 1 <= arity <= MAX_ARITY:
        raise ValueError(f"define_op({name!r}): arity must be 1 to {MAX_ARITY}, got {arity}")
    return arity


def _check_functions(name: str, *required: Any, **optional: Any) -> None:
    labels = ("forward", "derivative", "value_derivative", "numpy_forward", "numpy_derivative")
    for k, f in enumerate(required):
        if (f is not None or k < 2) and not callable(f):
            kind = "a function" if k < 2 else "a function or None"
            raise TypeError(f"define_op({name!r}): {labels[k]} must be {kind}")
    if len(required) == 5 and (required[3] is None) != (required[4] is None):
        raise ValueError(
            f"define_op({name!r}): give numpy_forward and numpy_derivative together (the "
            "replay needs both)"
        )
    for what, g in optional.items():
        if g is not None and not callable(g):
            raise TypeError(f"define_op({name!r}): {what} must be a function or None")


def _check_texts(name: str, **texts: object) -> None:
    for what, v in texts.items():
        if v is not None and not isinstance(v, str):
            raise TypeError(f"define_op({name!r}): {what} must be a str, got {type(v).__name__}")


def _check_points(name: str, points: object) -> tuple[float, ...]:
    if isinstance(points, (str, bytes)) or not isinstance(points, Sequence):
        raise TypeError(f"define_op({name!r}): check_points must be a sequence of numbers")
    out = []
    for p in points:
        if isinstance(p, bool) or not isinstance(p, Real) or not math.isfinite(float(p)):
            raise TypeError(
                f"define_op({name!r}): check_points must be finite real numbers, got {p!r:.40}"
            )
        out.append(float(p))
    return tuple(out)


def _named_forward(name: str, forward: Callable[..., Any]) -> Callable[..., float]:
    def run(*xs: float) -> float:
        return _real(name, "forward", forward(*xs))

    return run


def _real(name: str, what: str, x: object) -> float:
    """x as a float, or a TypeError naming the op for a complex, list, str, ... result."""
    if isinstance(x, Value):
        return x.data
    if isinstance(x, bool) or not isinstance(x, Real):
        shown = "a complex number" if isinstance(x, complex) else f"a {type(x).__name__}"
        raise TypeError(f"custom op {name!r}: {what} must return a real number, got {shown}")
    return float(x)


def _as_rule(name: str, f: Callable[..., Any], arity: int, what: str) -> Rule:
    """A user's derivative(*xs[, out=]) as the table's rule (out, *xs) -> tuple of arity."""
    wants_out = _takes_out(f)

    def rule(out: Any, *xs: Any) -> tuple[Any, ...]:
        d = f(*xs, out=out) if wants_out else f(*xs)
        ds = d if isinstance(d, (tuple, list)) and arity > 1 else (d,)
        if arity == 1 and isinstance(d, (tuple, list)):
            raise TypeError(
                f"custom op {name!r}: {what} must return one number for one operand, got "
                f"{len(d)} values"
            )
        if len(ds) != arity:
            raise TypeError(
                f"custom op {name!r}: {what} must return {arity} values (one per operand), "
                f"got {len(ds) if isinstance(d, (tuple, list)) else 'one'}"
            )
        return tuple(ds)

    return rule


def _takes_out(f: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(f).parameters
    except (TypeError, ValueError):
        return False
    p = params.get("out")
    return p is not None and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)


def _outside(name: str, domain: Callable[..., Any]) -> Callable[..., Any]:
    def bad(*xs: Any) -> Any:
        try:
            ok = domain(*xs)
        except Exception as e:
            raise TypeError(f"custom op {name!r}: its domain function failed: {e}") from e
        return ~np.asarray(ok, dtype=bool) if any(isinstance(x, np.ndarray) for x in xs) else not ok

    return bad


def _template_texts(
    name: str, template: str | Sequence[str] | None, arity: int
) -> Callable[[NodeFacts, Sequence[str], str], tuple[str | None, ...]] | None:
    if template is None:
        return None
    templates = [template] if isinstance(template, str) else list(template)
    if len(templates) != arity or not all(isinstance(t, str) for t in templates):
        raise ValueError(
            f"define_op({name!r}): derivative_text needs one text per operand ({arity})"
        )

    def texts(facts: NodeFacts, names: Sequence[str], out: str) -> tuple[str | None, ...]:
        fields = {f"x{i}": wrap(n) for i, n in enumerate(names)}
        fields |= {"x": wrap(names[0]), "out": wrap(out)}
        if len(names) > 1:
            fields["y"] = wrap(names[1])
        return tuple(t.format(**fields) for t in templates)

    try:
        texts(NodeFacts((), ()), [f"x{i}" for i in range(arity)], "o")
    except (KeyError, IndexError, ValueError) as e:
        raise ValueError(
            f"define_op({name!r}): derivative_text may use {{x}}, {{y}}, {{x0}}, {{x1}}, ... "
            f"and {{out}}: {e!r}"
        ) from None
    return texts


def _sample(p: float, arity: int) -> list[float]:
    """The operands at check point p: p, then 0.5 + 0.3·p, ... (distinct per operand)."""
    return [p] + [0.5 + 0.3 * p + 0.25 * (k - 1) for k in range(1, arity)]


def _check_rules(
    op: Op, arity: int, points: Sequence[float], domain: Callable[..., Any] | None
) -> None:
    """The float derivative against central differences, then the Value and numpy rules
    against the float rules, at each check point inside the domain."""
    h = 1e-6
    checked = []
    for p in points:
        xs = _sample(p, arity)
        if domain is not None and not all(
            _in_domain(op, domain, [x + s for x in xs]) for s in (-2 * h, 0.0, 2 * h)
        ):
            continue
        out, ds = _float_rule(op, xs)
        for i in range(arity):
            numeric = _central_difference(op, xs, i, h)
            if not math.isclose(ds[i], numeric, rel_tol=1e-4, abs_tol=1e-6):
                which = "" if arity == 1 else f" with respect to operand {i}"
                raise ValueError(
                    f"define_op({op.name!r}): the derivative{which} is wrong at {_point(xs)}: "
                    f"derivative gives {ds[i]!r}, central differences {numeric!r} (pass "
                    "check=False to skip this check)"
                )
        checked.append((xs, out, ds))
    if op.value_derivative is not None:
        _check_value_rule(op, checked[:2])
    if op.numpy_forward is not None:
        _check_numpy_rules(op, checked)


def _in_domain(op: Op, domain: Callable[..., Any], xs: list[float]) -> bool:
    try:
        return bool(domain(*xs))
    except Exception as e:
        raise TypeError(f"define_op({op.name!r}): the domain function failed at {xs}: {e}") from e


def _float_rule(op: Op, xs: list[float]) -> tuple[float, list[float]]:
    try:
        out = float(op.forward(*xs))
        ds = [_real(op.name, "derivative", d) for d in op.derivative(out, *xs)]
    except TypeError:
        raise
    except Exception as e:
        raise ValueError(
            f"define_op({op.name!r}): forward or derivative failed at {_point(xs)}: {e}"
        ) from e
    return out, ds


def _central_difference(op: Op, xs: list[float], i: int, h: float) -> float:
    up, down = list(xs), list(xs)
    up[i] += h
    down[i] -= h
    return (float(op.forward(*up)) - float(op.forward(*down))) / (2 * h)


def _check_value_rule(op: Op, checked: Sequence[tuple[list[float], float, list[float]]]) -> None:
    rule = op.value_derivative
    assert rule is not None
    for xs, _, ds in checked:
        values = [Value(x) for x in xs]
        node = engine.apply(op, values)
        try:
            got = [d.data if isinstance(d, Value) else _real(op.name, "value_derivative", d)
                   for d in rule(node, *values)]  # fmt: skip
        except TypeError:
            raise
        except Exception as e:
            raise ValueError(
                f"define_op({op.name!r}): value_derivative failed at {_point(xs)}: {e}"
            ) from e
        for g, f in zip(got, ds):
            if not math.isclose(g, f, rel_tol=1e-9, abs_tol=1e-12):
                raise ValueError(
                    f"define_op({op.name!r}): value_derivative gives {g!r} at {_point(xs)} "
                    f"but derivative gives {f!r}"
                )


def _check_numpy_rules(op: Op, checked: Sequence[tuple[list[float], float, list[float]]]) -> None:
    """numpy_forward and numpy_derivative on the check points (as one column each) against
    the float rules: a wrong pair would make the replay differ from the engine silently."""
    if not checked:
        return
    assert op.numpy_forward is not None and op.numpy_derivative is not None
    columns = [
        np.array([xs[j] for xs, _, _ in checked])[:, None] for j in range(len(checked[0][0]))
    ]
    try:
        with np.errstate(all="ignore"):
            out = np.asarray(op.numpy_forward(*columns), dtype=float)
            ds = op.numpy_derivative(out, *columns)
    except Exception as e:
        raise ValueError(f"define_op({op.name!r}): the numpy rules failed: {e}") from e
    for k, (xs, f_out, f_ds) in enumerate(checked):
        got_out = float(np.broadcast_to(out, columns[0].shape)[k, 0])
        if not math.isclose(got_out, f_out, rel_tol=1e-9, abs_tol=1e-12):
            raise ValueError(
                f"define_op({op.name!r}): numpy_forward gives {got_out!r} at {_point(xs)} but "
                f"forward gives {f_out!r}"
            )
        for j, f in enumerate(f_ds):
            got = float(np.broadcast_to(np.asarray(ds[j], dtype=float), columns[0].shape)[k, 0])
            if not math.isclose(got, f, rel_tol=1e-9, abs_tol=1e-12):
                raise ValueError(
                    f"define_op({op.name!r}): numpy_derivative gives {got!r} at {_point(xs)} "
                    f"but derivative gives {f!r}"
                )


def _point(xs: Sequence[float]) -> str:
    if len(xs) == 1:
        return f"x = {xs[0]!r}"
    if len(xs) == 2:
        return f"(x, y) = ({xs[0]!r}, {xs[1]!r})"
    return f"({', '.join(repr(x) for x in xs)})"


def custom_ops() -> Mapping[str, Op]:
    """The ops defined with define_op in this session, by name."""
    with REGISTRY:
        return {name: op for name, op in OPS.items() if not op.builtin}

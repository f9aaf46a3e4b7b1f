"""The function transforms' API: keyword arguments, has_aux, pytrees of scalars, outputs that
are not scalars, hessian's argnums, Jacobians, hvp, vjp, stop_gradient, the argument checks
(issue 21 item 18) and forward mode's cost on Masha's network."""

from __future__ import annotations

import math
import warnings
from collections import OrderedDict, namedtuple
from typing import Any

import numpy as np
import pytest
from mirrored import check_grads

from microgradnet import (
    Constant,
    Value,
    define_op,
    grad,
    gradcheck,
    hessian,
    hvp,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    numerical_grad,
    stop_gradient,
    topological_order,
    undefine_op,
    value_and_grad,
    vjp,
)
from microgradnet.engine import tangents

Params = namedtuple("Params", ["w", "b"])


def _loss(p: Any, x: float, y: float) -> Any:
    return (p.w * x + p.b - y) ** 2


# -- keyword arguments and has_aux ---------------------------------------------------------------


def test_keyword_arguments_reach_f_unchanged() -> None:
    """Keywords pass through every transform to f, as given (never differentiated)."""
    seen: list[Any] = []

    def f(x: Any, *, scale: float, flag: bool = False) -> Any:
        seen.append((scale, flag))
        return x * x * scale

    assert grad(f)(3.0, scale=2.0, flag=True) == 12.0
    assert seen[-1] == (2.0, True) and type(seen[-1][0]) is float
    assert value_and_grad(f)(3.0, scale=2.0) == (18.0, 12.0)
    assert jacrev(f)(3.0, scale=2.0) == jacfwd(f)(3.0, scale=2.0) == 12.0
    assert hessian(f)(3.0, scale=2.0) == [[4.0]]
    assert hessian(f, argnums=0)(3.0, scale=2.0) == 4.0
    with pytest.raises(TypeError, match="unexpected keyword argument 'bogus'"):
        grad(f)(3.0, scale=1.0, bogus=1)  # f's own error: the keyword did reach it


def test_has_aux_everywhere() -> None:
    """has_aux=True: f returns (output, aux); aux comes back beside the result, its Values as
    numbers at the top level."""

    def f(x: Any, y: Any) -> Any:
        return x * y, {"x": x, "note": "kept"}

    assert grad(f, has_aux=True)(2.0, 3.0) == (3.0, {"note": "kept", "x": 2.0})
    assert value_and_grad(f, 1, has_aux=True)(2.0, 3.0) == ((6.0, {"note": "kept", "x": 2.0}), 2.0)
    assert jvp(f, (2.0, 3.0), (1.0, 0.0), has_aux=True) == (6.0, 3.0, {"note": "kept", "x": 2.0})
    out, pullback, aux = vjp(f, 2.0, 3.0, has_aux=True)
    assert (out, pullback(1.0), aux) == (6.0, (3.0, 2.0), {"note": "kept", "x": 2.0})
    assert jacrev(f, has_aux=True)(2.0, 3.0)[0] == jacfwd(f, has_aux=True)(2.0, 3.0)[0] == 3.0
    with pytest.raises(TypeError, match=r"has_aux=True, f must return a pair .* got a Value"):
        grad(lambda x: x, has_aux=True)(1.0)
    with pytest.raises(TypeError, match="has_aux must be True or False, got 1"):
        grad(f, has_aux=1)  # type: ignore[arg-type]


# -- pytrees of scalars ------------------------------------------------------------------------


def test_gradients_have_the_structure_of_the_arguments() -> None:
    """Tuples, lists, dicts, OrderedDicts and namedtuples, nested, in and out."""
    p = Params(w=3.0, b=1.0)
    g = grad(_loss)(p, 2.0, 4.0)
    assert isinstance(g, Params) and g == Params(w=12.0, b=6.0)
    tree = {"layer": [(1.0, 2.0), Params(0.5, -1.0)], "scale": OrderedDict(s=2.0)}

    def f(t: Any) -> Any:
        (a, b), q = t["layer"]
        return t["scale"]["s"] * (a * b + q.w * q.b)

    g = grad(f)(tree)
    assert g == {"layer": [(4.0, 2.0), Params(-2.0, 1.0)], "scale": OrderedDict(s=1.5)}
    assert type(g["layer"]) is list and type(g["scale"]) is OrderedDict
    with pytest.warns(UserWarning, match="returned the number 0"):  # sum([]) is the number 0
        assert grad(lambda xs: sum(xs), argnums=0)([]) == []


def test_pytree_leaves_are_labelled_by_their_path() -> None:
    labels: list[str] = []

    def f(params: Any) -> Any:
        labels.extend(v.label for v in (params["w"][0], params["w"][1], params["b"]))
        return params["w"][0] * params["w"][1] + params["b"]

    grad(f)({"w": (1.0, 2.0), "b": 3.0})
    assert labels == ["params['w'][0]", "params['w'][1]", "params['b']"]


def test_dict_keys_in_any_order_have_one_structure() -> None:
    """As JAX: keys are visited sorted, so tangents may list them in another order."""
    f = lambda d: d["a"] * d["b"]  # noqa: E731
    assert jvp(f, ({"a": 2.0, "b": 3.0},), ({"b": 0.0, "a": 1.0},)) == (6.0, 3.0)


def test_arrays_are_refused_with_a_pointer() -> None:
    with pytest.raises(TypeError, match=r"argument 0 \(x\) is a numpy array .* linear_batch"):
        grad(lambda x: x)(np.ones(3))
    with pytest.raises(TypeError, match=r"argument 0 \(x\[1\]\) is a numpy array"):
        grad(lambda x: x[0])((1.0, np.ones(2)))
    with pytest.raises(TypeError, match=r"output\[0\] is a numpy array of shape \(2,\)"):
        jacrev(lambda x: (np.ones(2), x))(1.0)
    with pytest.raises(TypeError, match=r"jvp: tangents\[0\] is a numpy array"):
        jvp(lambda x: x, (1.0,), (np.ones(1),))


def test_numpy_scalars_are_numbers() -> None:
    assert grad(lambda x, y: x * y, (0, 1))(np.float64(2.0), np.int64(3)) == (3.0, 2.0)
    assert type(grad(lambda x: x * x)(np.float32(1.5))) is float


def test_structures_that_contain_themselves_are_refused() -> None:
    loop: list[Any] = [1.0]
    loop.append(loop)
    with pytest.raises(ValueError, match=r"x\[1\] contains itself"):
        grad(lambda x: x[0])(loop)


def test_other_containers_are_refused_by_name() -> None:
    class MyList(list):  # type: ignore[type-arg]
        pass

    with pytest.raises(TypeError, match=r"is a MyList of 2 item.*tuple, list, dict"):
        grad(lambda x: x[0])(MyList([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"argument 0 \(x\['a'\]\) must be a real number, got str"):
        grad(lambda x: 1.0)({"a": "text"})


def test_non_differentiated_arguments_pass_through() -> None:
    data = [1.0, 2.0]
    seen: list[Any] = []

    def f(x: Any, xs: Any, c: Any) -> Any:
        seen.extend([xs, c])
        return x * sum(xs) * c

    assert grad(f)(3.0, data, 2.0) == 6.0
    assert seen[0] is data and isinstance(seen[1], Constant) and seen[1].label == "c"


# -- outputs ---------------------------------------------------------------------------------------


def test_a_constant_function_has_gradient_zero_with_a_warning() -> None:
    with pytest.warns(UserWarning, match=r"grad: <lambda> returned the number 2, .* gradient is 0"):
        g = grad(lambda p: 2, argnums=0)(Params(1.0, 2.0))
    assert g == Params(0.0, 0.0)
    with pytest.warns(UserWarning) as record:
        assert value_and_grad(lambda x: 7.5)(1.0) == (7.5, 0.0)
    assert record[0].filename == __file__  # the warning points at the caller's line


@pytest.mark.parametrize(
    ("result", "message"),
    [
        (None, "got None"),
        ("text", r"got a str \('text'\)"),
        ([1.0], r"got a list of 1 item\(s\); for several outputs use jacrev"),
        (1 + 2j, r"got a complex \(\(1\+2j\)\)"),
        (True, "got the bool True"),
    ],
)
def test_grad_says_what_f_returned(result: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        grad(lambda x: result)(1.0)


def test_jacobian_outputs_must_be_numbers_or_values() -> None:
    with pytest.raises(TypeError, match=r"output\['b'\] is a str"):
        jacrev(lambda x: {"a": x, "b": "no"})(1.0)
    assert jacrev(lambda x: (x * x, 3.0))(2.0) == (4.0, 0.0)  # a constant output: a zero row
    assert jacfwd(lambda x: (x * x, 3.0))(2.0) == (4.0, 0.0)


# -- Jacobians, Hessians, hvp, vjp -------------------------------------------------------------


def test_jacobian_is_jacrev_and_matches_jacfwd() -> None:
    assert jacobian is jacrev

    def f(x: Any, y: Any) -> Any:
        return {"sum": x + y, "prod": (x * y, (x * y).sin())}

    rev, fwd = jacrev(f, (0, 1))(0.5, 2.0), jacfwd(f, (0, 1))(0.5, 2.0)
    assert rev == fwd
    assert rev["prod"][1] == pytest.approx((2 * math.cos(1.0), 0.5 * math.cos(1.0)), rel=1e-15)


def test_hessian_default_and_argnums() -> None:
    """The default: every argument, a list of lists (this library's, kept); with argnums,
    JAX's structure."""

    def f(x: Any, y: Any) -> Any:
        return x * x * y + y.exp()

    x, y = 0.4, -0.8
    np.testing.assert_allclose(hessian(f)(x, y), [[2 * y, 2 * x], [2 * x, math.exp(y)]], rtol=1e-15)
    assert hessian(f, argnums=0)(x, y) == pytest.approx(2 * y, rel=1e-15)
    assert hessian(f, argnums=(1, 0))(x, y) == ((math.exp(y), 2 * x), (2 * x, 2 * y))
    h = hessian(lambda p: p.w**3 * p.b, argnums=0)(Params(2.0, 3.0))
    assert h == Params(Params(36.0, 12.0), Params(12.0, 0.0))
    with pytest.raises(TypeError, match=r"hessian: argument 0 .*pass argnums= for pytree"):
        hessian(lambda p: p[0])((1.0, 2.0))
    with pytest.raises(ValueError, match="at least one positional argument"):
        hessian(lambda: Value(1.0))()


def test_hvp_equals_hessian_times_vector() -> None:
    def f(x: Any, y: Any) -> Any:
        return (x * y).sin() + x**3

    x, y, v = 0.7, -1.1, (0.3, 2.0)
    H = np.array(hessian(f)(x, y))
    np.testing.assert_allclose(hvp(f, (x, y), v), H @ np.array(v), rtol=1e-13)
    assert hvp(lambda x: x**4, (2.0,), (1.0,)) == 48.0
    with pytest.raises(TypeError, match="hvp: primals must be a non-empty tuple"):
        hvp(f, 1.0, (1.0,))  # type: ignore[arg-type]


def test_vjp_of_several_outputs_in_one_backward_pass() -> None:
    def f(x: Any, y: Any) -> Any:
        return {"a": x * y, "b": (x + y, 2.0)}

    out, pullback = vjp(f, 2.0, 3.0)
    assert out == {"a": 6.0, "b": (5.0, 2.0)}
    assert pullback({"a": 1.0, "b": (0.0, 9.0)}) == (3.0, 2.0)
    assert pullback({"a": 0.0, "b": (1.0, 0.0)}) == (1.0, 1.0)  # callable again
    with pytest.raises(ValueError, match=r"structure of f's output, \{'a': \*, 'b': \(\*, \*\)\}"):
        pullback((1.0, 2.0))


def test_jvp_results_and_zero_tangent_of_constants() -> None:
    assert jvp(lambda x, y: (x * y, 4.0), (2.0, 3.0), (1.0, 1.0)) == ((6.0, 4.0), (5.0, 0.0))
    assert jvp(lambda x: x, (2.0,), (0.5,)) == (2.0, 0.5)


# -- stop_gradient -----------------------------------------------------------------------------


def test_stop_gradient() -> None:
    """As JAX's stop_gradient and PyTorch's detach: the value stays, no derivative flows."""
    assert grad(lambda x: stop_gradient(x) * x)(3.0) == 3.0
    assert grad(grad(lambda x: stop_gradient(x * x) * x))(3.0) == 0.0
    s = stop_gradient({"a": Value(2.0), "b": (1.5, Value(-1.0))})
    assert isinstance(s["a"], Constant) and s["a"].data == 2.0 and s["b"][0] == 1.5
    with pytest.raises(TypeError, match="stop_gradient: x must be a real number, got str"):
        stop_gradient("a")


# -- argument checks (issue 21, item 18) -------------------------------------------------------


@pytest.mark.parametrize("argnums", [(True,), True, (0, False), "0", 1.0, (), None, [0, "1"]])
def test_argnums_must_be_ints(argnums: Any) -> None:
    for transform in (grad, value_and_grad, jacrev, jacfwd):
        with pytest.raises(TypeError, match=r"argnums must be an int or a non-empty tuple"):
            transform(lambda x: x, argnums)


def test_argnums_out_of_range_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="argnums -3 is out of range for 2 positional"):
        grad(lambda x, y: x, argnums=(0, -3))(1.0, 2.0)
    assert grad(lambda x, y: x * y, argnums=np.int64(1))(2.0, 3.0) == 2.0


@pytest.mark.parametrize(
    ("eps", "error", "message"),
    [
        ("a", TypeError, "numerical_grad: eps must be a real number, got str"),
        (True, TypeError, "numerical_grad: eps must be a real number, got the bool True"),
        (math.inf, ValueError, "numerical_grad: eps must be a finite number > 0, got inf"),
        (math.nan, ValueError, "numerical_grad: eps must be a finite number > 0, got nan"),
        (-1e-6, ValueError, "numerical_grad: eps must be a finite number > 0, got -1e-06"),
    ],
)
def test_numerical_grad_eps(eps: Any, error: type[Exception], message: str) -> None:
    calls: list[Any] = []
    with pytest.raises(error, match=message):
        numerical_grad(lambda x: calls.append(x) or x, [1.0], eps=eps)
    assert calls == []  # refused before f runs


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"rtol": -1}, ValueError, "gradcheck: rtol must be a finite number >= 0, got -1"),
        ({"atol": math.nan}, ValueError, "gradcheck: atol must be a finite number >= 0, got nan"),
        ({"rtol": "a"}, TypeError, "gradcheck: rtol must be a real number, got str"),
        ({"eps": 0}, ValueError, "gradcheck: eps must be a finite number > 0, got 0"),
        ({"raise_exception": "no"}, TypeError, "raise_exception must be True or False"),
    ],
)
def test_gradcheck_arguments(kwargs: Any, error: type[Exception], message: str) -> None:
    calls: list[Any] = []
    with pytest.raises(error, match=message):
        gradcheck(lambda x: calls.append(x) or x * x, [1.0], **kwargs)
    assert calls == []


def test_check_grads_helper_catches_a_wrong_second_derivative() -> None:
    """The mirrored suites' check_grads can fail: an op whose Value rule gives the right first
    derivative (cos x) with a wrong derivative of its own (x − x.data adds 1 to it) is caught
    at order 2, not at order 1."""
    define_op(
        "wrong_second",
        math.sin,
        math.cos,
        value_derivative=lambda x: x.cos() + (x - x.data),
        check=False,
    )
    try:
        from microgradnet.ops import apply

        f = lambda x: apply("wrong_second", x)  # noqa: E731
        check_grads(f, 0.4, order=1)
        with pytest.raises(AssertionError, match="order 2"):
            check_grads(f, 0.4, order=2)
    finally:
        undefine_op("wrong_second")


# -- forward mode's cost, for notebook 02 --------------------------------------------------------


class Counted(float):
    """A tangent that counts the multiplications d·t made with it (and its descendants)."""

    count = 0

    def __rmul__(self, d: float) -> Counted:  # type: ignore[override]
        Counted.count += 1
        return Counted(d * float(self))

    def __add__(self, other: float) -> Counted:  # type: ignore[override]
        return Counted(float(self) + float(other))

    __radd__ = __add__


def _network(m: int) -> tuple[list[Value], Value]:
    """Masha's network generalized to depth m: h₁ = x·w₁, oₖ = σ(hₖ), h_{k+1} = oₖ·w_{k+1},
    ŷ = o_{m−1}·w_m, L = ½(y − ŷ)²."""
    ws = [Value(0.5 + 0.1 * k, f"w{k + 1}") for k in range(m)]
    o: Any = 0.7
    for w in ws[:-1]:
        o = (o * w).sigmoid()
    L = 0.5 * (0.3 - o * ws[-1]) ** 2
    return ws, L


def test_forward_mode_cost_on_mashas_network() -> None:
    """Forward mode takes one pass per weight (jvp along each basis vector gives one dL/dw);
    each pass does one multiplication per edge whose child depends on the seeded weight:
    2(m − k) + 4 for w_k, m² + 3m in all. Backprop: one pass, one per edge of the graph
    (3m + 5 here, the edges from constants included)."""
    for m in (1, 3, 8):
        ws, L = _network(m)
        L.backward()
        by_backprop = [w.grad for w in ws]
        data = [w.data for w in ws]

        def loss(*weights: Any, m: int = m) -> Any:
            o: Any = 0.7
            for w in weights[:-1]:
                o = (o * w).sigmoid()
            return 0.5 * (0.3 - o * weights[-1]) ** 2

        passes = [
            jvp(loss, tuple(data), tuple(float(i == k) for i in range(m)))[1] for k in range(m)
        ]
        assert passes == pytest.approx(by_backprop, rel=1e-14)
        Counted.count = 0
        per_weight = []
        for k, w in enumerate(ws):
            before = Counted.count
            (t,) = tangents([L], {w: Counted(1.0)})
            assert t == pytest.approx(by_backprop[k], rel=1e-14)
            per_weight.append(Counted.count - before)
        assert per_weight == [2 * (m - k) + 4 for k in range(1, m + 1)]
        assert sum(per_weight) == m * m + 3 * m
        edges = sum(len(v.children) for v in topological_order(L))
        assert edges == 3 * m + 5


def test_no_warnings_on_ordinary_use() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert grad(lambda x: x.tanh())(0.0) == 1.0


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
def test_transforms_agree_with_torch_func() -> None:
    """grad, jvp, vjp, jacfwd, jacrev, hessian and hvp against torch.func in float64."""
    torch = pytest.importorskip(
        "torch", reason="PyTorch is not installed (the optional `torch` extra)"
    )
    from torch import func as tf

    def ours(x: Any, y: Any) -> Any:
        return (x * y).sin() + x**3 * y.exp()

    def theirs(x: Any, y: Any) -> Any:
        return torch.sin(x * y) + x**3 * torch.exp(y)

    x, y = 0.7, -0.4
    tx, ty = torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
    t = (0.3, -1.2)
    tt = tuple(torch.tensor(v, dtype=torch.float64) for v in t)

    def same(a: Any, b: Any) -> None:
        np.testing.assert_allclose(np.array(a, dtype=float), np.array(b, dtype=float), rtol=1e-12)

    same(grad(ours, (0, 1))(x, y), [g.item() for g in tf.grad(theirs, (0, 1))(tx, ty)])
    same(jvp(ours, (x, y), t)[1], tf.jvp(theirs, (tx, ty), tt)[1].item())
    _, pullback = tf.vjp(theirs, tx, ty)
    same(
        vjp(ours, x, y)[1](2.0),
        [g.item() for g in pullback(torch.tensor(2.0, dtype=torch.float64))],
    )
    same(jacfwd(ours, (0, 1))(x, y), [g.item() for g in tf.jacfwd(theirs, (0, 1))(tx, ty)])
    same(jacrev(ours, (0, 1))(x, y), [g.item() for g in tf.jacrev(theirs, (0, 1))(tx, ty)])
    H = tf.hessian(theirs, (0, 1))(tx, ty)
    same(hessian(ours)(x, y), [[H[i][j].item() for j in range(2)] for i in range(2)])
    hv = torch.autograd.functional.hvp(theirs, (tx, ty), tt)[1]
    same(hvp(ours, (x, y), t), [v.item() for v in hv])

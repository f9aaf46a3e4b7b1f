"""Hostile input through the Python API: weight files, training data and operand types.

Each test is a hypothesis property with a bounded budget (max_examples below, no deadline), so
the file runs in about half a minute; MICROGRADNET_FUZZ_SCALE=20 multiplies the budgets for a
deeper search. The promises checked:

- load: a mutated weight file either loads (and the model then holds the file's numbers) or
  raises the one ValueError load documents, naming the file, with the model unchanged.
- fit / evaluate / predict: any shape, dtype (int, float, bool, object, strings, complex),
  NaN / inf and label set gives a correct run or a TypeError / ValueError raised by
  microgradnet (not from inside numpy) whose message names the argument at fault.
- operators: Value mixed with int, float, bool, numpy scalars and arrays, Fraction and Decimal
  gives the float result of the same arithmetic, or a TypeError (bools, arrays, Decimal).
"""

from __future__ import annotations

import json
import math
import operator
import os
import re
import tempfile
import traceback
import warnings
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from microgradnet.engine import Constant, Value
from microgradnet.nn import MLP, BatchNorm1d, Layer, Sequential
from microgradnet.train import LOSSES, evaluate, fit, predict

SCALE = int(os.environ.get("MICROGRADNET_FUZZ_SCALE", "1"))  # more examples for a deeper search
FILE_EXAMPLES = 200 * SCALE
DATA_EXAMPLES = 150 * SCALE
OPERATOR_EXAMPLES = 300 * SCALE
BUDGET = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- weight files: random mutations of a valid saved model through load ------------------------


def _model() -> Sequential:
    """Two layers and a batch norm: parameters and buffers, one of them >= 0 (running_var)."""
    return Sequential(Layer(2, 2, seed=0), BatchNorm1d(2), Layer(2, 1, seed=1))


def _saved_document() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.json"
        _model().save(path)
        document: dict[str, Any] = json.loads(path.read_text())
    return document


SAVED = _saved_document()
KEYS = sorted(SAVED["state"])

# Raw JSON text that json.dumps would not write: non-finite numbers, very long numbers, nesting.
RAW = st.one_of(
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "-0.0", "1E-400"]),
    st.integers(300, 6000).map(lambda k: "9" * k),
    st.integers(300, 6000).map(lambda k: "1" + "0" * k + ".5"),
    st.integers(1, 3000).map(lambda k: "[" * k + "]" * k),
    st.integers(1, 3000).map(lambda k: '{"a": ' * k + "1" + "}" * k),
)
JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=20),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    RAW.map(lambda raw: ("raw", raw)),
)
PLACES = st.sampled_from(["format", "version", "model", "state", *[f"state.{k}" for k in KEYS]])

MUTATIONS = st.one_of(
    st.tuples(st.just("set"), PLACES, JSON_VALUES),
    st.tuples(st.just("set"), st.sampled_from([f"state.{k}" for k in KEYS]), st.floats()),
    st.tuples(st.just("drop"), PLACES),
    st.tuples(st.just("extra"), st.sampled_from(["", "state."]), st.text(max_size=8), JSON_VALUES),
    st.tuples(st.just("wrap"), st.integers(1, 3000)),
    st.tuples(st.just("truncate"), st.floats(0, 1)),
    st.tuples(st.just("insert"), st.floats(0, 1), st.binary(min_size=1, max_size=8)),
)


def _mutated(mutations: list[tuple[Any, ...]]) -> bytes:
    """The saved document with the mutations applied, as the bytes of a file."""
    document = json.loads(json.dumps(SAVED))
    raws: list[str] = []

    def value(v: Any) -> Any:
        if isinstance(v, tuple):  # ("raw", text): a placeholder replaced after json.dumps
            raws.append(v[1])
            return f"\x00RAW{len(raws) - 1}\x00"
        return v

    text_edits = []
    for m in mutations:
        kind = m[0]
        if kind in ("set", "drop", "extra"):
            place = m[1] if kind != "extra" else m[1] + m[2]
            parent: Any = document
            *path, last = place.split(".", 1) if place.startswith("state.") else [place]
            for key in path:
                parent = parent.get(key) if isinstance(parent, dict) else None
            if not isinstance(parent, dict):
                continue
            if kind == "drop":
                parent.pop(last, None)
            else:
                parent[last] = value(m[2] if kind == "set" else m[3])
        elif kind == "wrap":
            document = value(("raw", "[" * m[1] + "\x00DOC\x00" + "]" * m[1]))
        else:
            text_edits.append(m)
    text = json.dumps(document, indent=1, allow_nan=True)
    doc_text = json.dumps(json.loads(json.dumps(SAVED)))
    for i, raw in enumerate(raws):
        text = text.replace(json.dumps(f"\x00RAW{i}\x00"), raw.replace("\x00DOC\x00", doc_text))
    data = text.encode("utf-8")
    for edit in text_edits:
        cut = int(edit[1] * len(data))
        data = data[:cut] if edit[0] == "truncate" else data[:cut] + edit[2] + data[cut:]
    return data


@settings(BUDGET, max_examples=FILE_EXAMPLES)
@given(st.lists(MUTATIONS, max_size=3), st.booleans())
def test_a_mutated_weight_file_loads_or_is_refused_leaving_the_model_unchanged(
    mutations: list[tuple[Any, ...]], strict: bool
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.json"
        path.write_bytes(_mutated(mutations))
        model = _model()
        before = model.state_dict()
        try:
            result = model.load(path, strict=strict)
        except ValueError as e:
            event("refused")
            message = str(e)
            assert message.startswith(f"load: {str(path)!r}"), message
            assert len(message) < 2000 and "\n" not in message
            assert model.state_dict() == before
            return
        state = json.loads(path.read_text(encoding="utf-8"))["state"]  # it loaded: it is JSON
    event("loaded")
    expected = {k: float(state[k]) if k in state else v for k, v in before.items()}
    assert model.state_dict() == expected
    assert sorted(result.missing_keys) == sorted(before.keys() - state.keys())
    assert sorted(result.unexpected_keys) == sorted(state.keys() - before.keys())
    assert not strict or not (result.missing_keys or result.unexpected_keys)


def test_the_mutations_reach_both_outcomes() -> None:
    """The generator is not vacuous: an untouched file loads, a cut one is refused."""
    for data, loads in [(_mutated([]), True), (_mutated([("truncate", 0.5)]), False)]:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "m.json"
            path.write_bytes(data)
            if loads:
                _model().load(path)
            else:
                with pytest.raises(ValueError, match="is not a JSON state file"):
                    _model().load(path)


# -- fit / evaluate / predict: shapes, dtypes, NaN / inf, label sets ----------------------------

NUMBERS = st.sampled_from([0.0, 1.0, -1.0, 0.5, 2.0, 3.0, -2.5, 1e300, math.nan, math.inf])
FINITE = st.sampled_from([0.0, 1.0, -1.0, 0.5, 2.0, -2.5])
LABELS = st.sampled_from(
    [[0.0, 1.0], [-1.0, 1.0], [0.0, 1.0, 2.0], [0.5, -3.0, 7.25], [-1.0, 5.0], [1e300, 0.0]]
)
LABELS_OF = {"bce": [0, 1], "bce_with_logits": [0, 1], "hinge": [-1, 1], "cross_entropy": [0, 2]}
ODD = st.sampled_from([None, "1", "a", b"1", Fraction(1, 2), Decimal("0.5"), 1j, [1.0], 10**400])
DTYPES = ["float64", "float32", "int64", "uint8", "bool", "object", "str", "complex", "list"]
CLEAN_DTYPES = ["float64", "float32", "int64", "bool", "list", "object"]


@st.composite
def arrays(
    draw: st.DrawFn, n: int, width: int, values: st.SearchStrategy[float], clean: bool
) -> Any:
    """An array (or nested list) of about shape (n, width), in a random dtype and shape;
    clean: exactly shape (n, width) (or (n,) for width 1), a numeric dtype, the given values."""
    shapes = [(n, width), (n,)] if clean and width == 1 else [(n, width)]
    if not clean:
        shapes += [(n, width), (n,), (n, width, 1), (), (n, 0)]
    shape = draw(st.sampled_from(shapes))
    size = int(np.prod(shape))
    data = np.array(draw(st.lists(values, min_size=size, max_size=size))).reshape(shape)
    dtype = draw(st.sampled_from(CLEAN_DTYPES if clean else DTYPES))
    if dtype in ("int64", "uint8"):
        return np.nan_to_num(data, posinf=7, neginf=-7).clip(-100, 100).astype(dtype)
    if dtype == "object":
        out = data.astype(object)
        if out.size and not clean and draw(st.booleans()):
            out.flat[draw(st.integers(0, out.size - 1))] = draw(ODD)
        return out
    if dtype == "list":
        return data.tolist()
    with np.errstate(over="ignore"):  # 1e300 as float32 is inf, as intended
        return data.astype(dtype)


NAMES_THE_ARGUMENT = re.compile(r"\b(X|y|targets?|labels?|inputs?|predictions|class ind\w+)\b")


def _raised_in_microgradnet(error: BaseException) -> bool:
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and "microgradnet" in Path(frames[-1].filename).parts


def _as_rows(X: Any) -> list[list[float]]:
    array = np.asarray(X, dtype=float)
    rows: list[list[float]] = (array.reshape(-1, 1) if array.ndim == 1 else array).tolist()
    return rows


@settings(BUDGET, max_examples=DATA_EXAMPLES)
@given(
    st.sampled_from(["fit", "evaluate", "predict"]),
    st.sampled_from(sorted(LOSSES)),
    st.sampled_from([1, 3]),
    st.integers(0, 5),
    st.integers(-1, 1),
    st.data(),
)
def test_training_data_gives_a_correct_run_or_a_clear_error(
    call: str, loss: str, outputs: int, n: int, dn: int, data: st.DataObject
) -> None:
    clean = data.draw(st.booleans(), label="clean")  # half the cases should run
    if clean:
        n, dn = max(n, 1), 0
        outputs = 3 if loss == "cross_entropy" else outputs
        low, high = LABELS_OF.get(loss, [-3, 3])
        labels = st.integers(low, high).map(float) if loss in LABELS_OF else FINITE
        X = data.draw(arrays(n, 2, FINITE, clean=True), label="X")
        y_width = 1 if loss == "cross_entropy" else outputs
        y = data.draw(arrays(n, y_width, labels, clean=True), label="y")
    else:
        X = data.draw(arrays(n, 2, NUMBERS, clean=False), label="X")
        y = data.draw(
            arrays(
                max(n + dn, 0), outputs, st.one_of(NUMBERS, LABELS.map(lambda s: s[0])), clean=False
            ),
            label="y",
        )
        if data.draw(st.booleans(), label="labels from a set"):
            labels_from = data.draw(LABELS)
            y = np.array([data.draw(st.sampled_from(labels_from)) for _ in range(max(n + dn, 0))])
    model = MLP(2, [2, outputs], seed=0)
    before = model.state_dict()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if call == "fit":
                compiled = data.draw(st.booleans(), label="compile")  # the numpy replay too
                result: Any = fit(
                    model, X, y, loss=loss, epochs=1, progress=False, compile=compiled
                )
            elif call == "evaluate":
                result = evaluate(model, X, y, loss=loss)
            else:
                result = predict(model, X)
        except (TypeError, ValueError) as e:
            event(f"{call}: {type(e).__name__}")
            assert _raised_in_microgradnet(e), traceback.format_exception(e)
            assert NAMES_THE_ARGUMENT.search(str(e)), str(e)
            assert model.state_dict() == before
            return
    event(f"{call}: ran")
    numpy_warnings = [w for w in caught if not str(w.message).startswith("fit stopped")]
    assert numpy_warnings == [], [str(w.message) for w in numpy_warnings]
    rows = _as_rows(X)
    if call == "predict":
        expected = np.array([[v.data for v in model.forward(row)] for row in rows])
        wanted = expected[:, 0] if outputs == 1 else expected  # the replay may round otherwise
        np.testing.assert_allclose(result, wanted, rtol=1e-12, atol=1e-15)
    elif call == "evaluate":
        out = model.forward_batch(rows)
        targets = np.asarray(y, dtype=float)
        predictions = [r[0] for r in out] if outputs == 1 else out
        value = LOSSES[loss](
            predictions, targets.astype(int) if loss == "cross_entropy" else targets
        )
        assert math.isclose(result[0], value.data, rel_tol=1e-12) or math.isnan(result[0])
    else:
        assert result.epochs == 1 or result.stop_reason


# -- operators: Value with every kind of number, numpy scalars and arrays -----------------------

OPERANDS = st.one_of(
    st.floats().map(lambda x: ("value", Value(x))),
    st.floats().map(lambda x: ("float", x)),
    st.integers(-(10**6), 10**6).map(lambda x: ("int", x)),
    st.integers(10**309, 10**310).map(lambda x: ("big int", x)),
    st.booleans().map(lambda x: ("bool", x)),
    st.booleans().map(lambda x: ("numpy bool", np.bool_(x))),
    st.floats().map(lambda x: ("numpy float", np.float64(x))),
    st.floats(width=32).map(lambda x: ("numpy float", np.float32(x))),
    st.integers(-(2**31), 2**31).map(lambda x: ("numpy int", np.int64(x))),
    st.fractions(max_denominator=1000).map(lambda x: ("fraction", x)),
    st.decimals(allow_nan=False).map(lambda x: ("decimal", x)),
    st.lists(st.floats(), min_size=0, max_size=3).map(lambda x: ("array", np.array(x))),
    st.floats().map(lambda x: ("array", np.array(x))),
)
OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}


def _fits_a_float(operand: tuple[str, Any]) -> bool:
    if operand[0] in ("value", "array", "decimal"):
        return True
    try:
        float(operand[1])
    except OverflowError:  # such as Fraction(10**400, 3)
        return False
    return True


def _same(x: float, y: float) -> bool:
    return x == y or (math.isnan(x) and math.isnan(y))


def _float_result(op: str, x: float, y: float) -> float | type[BaseException]:
    """What Python's float arithmetic gives, or the error the engine raises instead."""
    if op == "**" and x < 0 and not y.is_integer():
        return ValueError  # a negative base with a fractional exponent: checked first
    if op == "**" and x == 0 and y < 0:
        return ZeroDivisionError  # 0 to any negative power, -inf included (Python gives inf)
    try:
        r = OPERATORS[op](x, y)
    except ZeroDivisionError:
        return ZeroDivisionError
    except OverflowError:
        return math.inf  # the engine's convention: an overflowing ** gives inf
    return float(r)


@settings(BUDGET, max_examples=OPERATOR_EXAMPLES)
@given(OPERANDS, OPERANDS, st.sampled_from(sorted(OPERATORS)))
@example(("value", Value(0.0)), ("value", Value(-math.inf)), "**")  # 0 ** -inf: a pole
def test_operator_mixes_give_the_float_result_or_a_type_error(
    a: tuple[str, Any], b: tuple[str, Any], op: str
) -> None:
    if "value" not in (a[0], b[0]):
        a = ("value", Value(0.5))
    kinds = {a[0], b[0]}
    compute = OPERATORS[op]
    if kinds & {"bool", "numpy bool", "array", "decimal"}:
        with pytest.raises(TypeError) as error:
            compute(a[1], b[1])
        if kinds & {"bool", "numpy bool"}:
            assert "float()" in str(error.value)
        elif "array" in kinds:
            assert "batch" in str(error.value)
        return
    if "big int" in kinds or not (_fits_a_float(a) and _fits_a_float(b)):  # beyond any float
        with pytest.raises(OverflowError, match=rf"^{re.escape(op)}: the operand: an? \w+"):
            compute(a[1], b[1])
        return
    x, y = (float(v.data if isinstance(v, Value) else v) for v in (a[1], b[1]))
    expected = _float_result(op, x, y)
    if isinstance(expected, type):
        with pytest.raises((expected, ArithmeticError, ValueError)):
            compute(a[1], b[1])
        return
    try:
        result = compute(a[1], b[1])
    except ValueError as e:  # a negative base needs a number exponent: d/dy = x**y·ln x
        assert op == "**" and x < 0 and b[0] == "value", str(e)
        return
    assert isinstance(result, Value) and not isinstance(result, Constant)
    if math.isinf(expected) and op == "**":
        assert math.isinf(result.data) or math.isclose(result.data, expected)
    else:
        assert _same(result.data, expected)
    operands = result.children
    for (kind, given_operand), child in zip((a, b), operands):
        if kind == "value":
            assert child is given_operand
        else:
            assert type(child) is Constant and _same(child.data, float(given_operand))

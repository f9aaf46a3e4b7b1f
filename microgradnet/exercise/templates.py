"""The lecture notes' exercises as templates: the model, the question in the notes' words, the
blanks, and the ranges the numbers are drawn from.

    chain        L = (x·w + b)², u = x·w + b: the notes' computational graph
    chain-1d     f = (3x + 2)², u = 3x + 2: the notes' first chain-rule example (3 and 2 drawn)
    masha        Masha's network ŷ = σ(σ(x·w₁)·w₂)·w₃, L = ½(y − ŷ)²: every ∂L/∂wᵢ
    sigmoid-bce  one neuron, sigmoid, binary cross-entropy: the output error δ = ŷ − y (m = 1)
    tanh-mse     one neuron, tanh, squared error: δ = (ŷ − y)(1 − ŷ²)
    l2           one hidden layer without bias, J = L + (λ/2)(‖W⁽¹⁾‖² + ‖W⁽²⁾‖²):
                 ∂J/∂W⁽²⁾ = δhᵀ + λW⁽²⁾
    softmax-ce   softmax with cross-entropy over three classes: δ = p − y (one sample)
    custom       any formula (or, from Python, any model) with the ranges of its variables

Each template's ``build`` turns the drawn numbers into a Setup: the Program, the question (one
string per paragraph, Unicode), and the blanks with the key's formulas.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..engine import Value, dot, vsum
from .blanks import Blank
from .numbers import Range, number_text, plain
from .program import Build, Name, Program, Step

Numbers = Mapping[str, float]


@dataclass(frozen=True, eq=False)
class Setup:
    """A template at drawn numbers: the model, the question, the blanks."""

    program: Program
    point: dict[str, float]  # the variables' and the data's values
    question: tuple[str, ...]
    blanks: tuple[Blank, ...]


@dataclass(frozen=True, eq=False)
class Template:
    """A template: its name, title, one-line summary, the ranges it draws and its build."""

    name: str
    title: str
    summary: str
    ranges: dict[str, Range]
    build: Callable[[Numbers], Setup]
    rankdir: str | None = None  # the figures' direction; None lets the drawing choose


def _n(x: float) -> str:
    return number_text(x)


def _names(*pairs: str) -> tuple[Name, ...]:
    """Names from "alias shown" words ("w1 w₁"); one word is both."""
    out = []
    for pair in pairs:
        alias, _, shown = pair.partition(" ")
        out.append(Name(alias, shown or alias))
    return tuple(out)


def _steps(*rows: tuple[str, str | Build]) -> tuple[Step, ...]:
    return tuple(Step(_names(name)[0], formula) for name, formula in rows)


def _dot(weights: str, inputs: str, bias: str = "") -> Build:
    """Σ wᵢ·xᵢ (+ b) as one node (engine.dot): the aliases as space-separated words."""

    def build(n: Mapping[str, Value]) -> Value:
        b = n[bias] if bias else None
        return dot([n[w] for w in weights.split()], [n[x] for x in inputs.split()], b)

    return build


def _squares(aliases: str) -> Build:
    """Σ w² over the aliases as one node (engine.vsum)."""
    return lambda n: vsum([n[a] ** 2 for a in aliases.split()])


def _point(numbers: Numbers, names: tuple[Name, ...]) -> dict[str, float]:
    return {n.alias: float(numbers[n.alias]) for n in names}


def _grad(root: str, name: Name, asked: str = "") -> Blank:
    """The number ∂root/∂name."""
    return Blank(f"d{root}_d{name.alias}", "grad", name.alias, asked or f"∂{root}/∂{name.shown}")


def _values(program: Program, *aliases: str) -> tuple[Blank, ...]:
    names = program.names()
    return tuple(Blank(a, "value", a, names[a].shown) for a in aliases)


# -- the chain rule -----------------------------------------------------------------------------


def _chain(numbers: Numbers) -> Setup:
    x, w, b = _names("x", "w", "b")
    program = Program((x, w, b), steps=_steps(("u", "x*w + b"), ("L", "u**2")))
    point = _point(numbers, program.variables)
    question = (
        "The computational graph of the lecture notes: L = (x·w + b)², written with u = x·w + b "
        f"as L = u². Take x = {_n(point['x'])}, w = {_n(point['w'])}, b = {_n(point['b'])}.",
        "(a) The forward pass: compute u and L. (b) The backward pass: compute ∂L/∂u, then by "
        "the chain rule ∂L/∂x, ∂L/∂w and ∂L/∂b. (c) Write ∂L/∂w as a formula in x, w and b (you "
        "may use u).",
    )
    blanks = (
        *_values(program, "u", "L"),
        Blank("dL_du", "grad", "u", "∂L/∂u"),
        _grad("L", x),
        _grad("L", w),
        _grad("L", b),
        Blank(
            "dL_dw_formula", "formula", "w", "∂L/∂w as a formula", "2*u*x", "2·u·x = 2·(x·w + b)·x"
        ),
    )
    return Setup(program, point, question, blanks)


def _affine(a: float, c: float) -> tuple[str, str]:
    """(a·x + c as the notes write it, as a formula)."""
    if c == 0:
        return f"{_n(a)}x", f"{plain(a)}*x"
    sign = "−" if c < 0 else "+"
    return f"{_n(a)}x {sign} {_n(abs(c))}", f"{plain(a)}*x + {plain(c)}"


def _chain_1d(numbers: Numbers) -> Setup:
    a, c = numbers["a"], numbers["c"]
    shown, formula = _affine(a, c)
    program = Program(_names("x"), steps=_steps(("u", formula), ("f", "u**2")))
    point = _point(numbers, program.variables)
    question = (
        "The lecture notes' first example of the chain rule, with other numbers: "
        f"f(x) = ({shown})² as the composition u = {shown}, f = u², so df/dx = df/du · du/dx. "
        f"Take x = {_n(point['x'])}.",
        "(a) Compute u and f. (b) Compute df/du and df/dx. (c) Write df/dx as a formula in x "
        "(you may use u).",
    )
    key = f"{plain(2 * a)}*({formula})"
    blanks = (
        *_values(program, "u", "f"),
        Blank("df_du", "grad", "u", "df/du"),
        Blank("df_dx", "grad", "x", "df/dx"),
        Blank(
            "df_dx_formula",
            "formula",
            "x",
            "df/dx as a formula",
            key,
            f"2u·{_n(a)} = {_n(2 * a)}·({shown})",
        ),
    )
    return Setup(program, point, question, blanks)


# -- Masha's network ----------------------------------------------------------------------------


def _masha(numbers: Numbers) -> Setup:
    x, w1, w2, w3, y = _names("x", "w1 w₁", "w2 w₂", "w3 w₃", "y")
    program = Program(
        (x, w1, w2, w3),
        (y,),
        _steps(
            ("h1 h₁", "x*w1"),
            ("o1 o₁", "sigmoid(h1)"),
            ("h2 h₂", "o1*w2"),
            ("o2 o₂", "sigmoid(h2)"),
            ("y_hat ŷ", "o2*w3"),
            ("L", "0.5*(y - y_hat)**2"),
        ),
    )
    p = _point(numbers, (*program.variables, *program.data))
    question = (
        "Masha's network from the lecture notes (“Придумываем бэкпроп”): one input x, three "
        "layers with the weights w₁, w₂, w₃ and the activation f = σ, the sigmoid: "
        "ŷ = f(f(x·w₁)·w₂)·w₃. With the notes' names h₁ = x·w₁, o₁ = σ(h₁), h₂ = o₁·w₂, "
        "o₂ = σ(h₂), ŷ = o₂·w₃, one observation and the loss L = ½·(y − ŷ)².",
        f"Take x = {_n(p['x'])}, y = {_n(p['y'])}, w₁ = {_n(p['w1'])}, w₂ = {_n(p['w2'])}, "
        f"w₃ = {_n(p['w3'])}.",
        "(a) The forward pass: o₁, o₂, ŷ and L. (b) The derivative of L with respect to every "
        "weight, ∂L/∂w₃, ∂L/∂w₂ and ∂L/∂w₁, as numbers. (c) The same three as formulas in x, y, "
        "the weights and the named values (σ′(h) = o·(1 − o) for o = σ(h)).",
    )
    d = "(y_hat - y)*w3*o2*(1 - o2)"
    blanks = (
        *_values(program, "o1", "o2", "y_hat", "L"),
        _grad("L", w3),
        _grad("L", w2),
        _grad("L", w1),
        Blank(
            "dL_dw3_formula", "formula", "w3", "∂L/∂w₃ as a formula", "(y_hat - y)*o2", "(ŷ − y)·o₂"
        ),
        Blank(
            "dL_dw2_formula",
            "formula",
            "w2",
            "∂L/∂w₂ as a formula",
            f"{d}*o1",
            "(ŷ − y)·w₃·o₂·(1 − o₂)·o₁",
        ),
        Blank(
            "dL_dw1_formula",
            "formula",
            "w1",
            "∂L/∂w₁ as a formula",
            f"{d}*w2*o1*(1 - o1)*x",
            "(ŷ − y)·w₃·o₂·(1 − o₂)·w₂·o₁·(1 − o₁)·x",
        ),
    )
    return Setup(program, p, question, blanks)


# -- one neuron ---------------------------------------------------------------------------------

_NEURON = _names("x1 x₁", "x2 x₂", "w1 w₁", "w2 w₂", "b")


def _neuron(numbers: Numbers, activation: str) -> Setup:
    """One neuron z = w₁x₁ + w₂x₂ + b, ŷ = σ(z) with BCE, or tanh(z) with squared error."""
    y = Name("y")
    sigmoid = activation == "sigmoid"
    loss = "-y*log(y_hat) - (1 - y)*log(1 - y_hat)" if sigmoid else "0.5*(y_hat - y)**2"
    program = Program(
        _NEURON,
        (y,),
        _steps(("z", _dot("w1 w2", "x1 x2", "b")), ("y_hat ŷ", f"{activation}(z)"), ("L", loss)),
    )
    p = _point(numbers, (*program.variables, *program.data))
    if sigmoid:
        what = (
            "the sigmoid and binary cross-entropy: ŷ = a = σ(z), "
            "L = −[y·log ŷ + (1 − y)·log(1 − ŷ)]"
        )
        delta, shown = "y_hat - y", "ŷ − y"
    else:
        what = "tanh and the squared error: ŷ = a = tanh(z), L = ½·(ŷ − y)²"
        delta, shown = "(y_hat - y)*(1 - y_hat**2)", "(ŷ − y)·(1 − ŷ²)"
    question = (
        f"One neuron with {what}, for one sample (m = 1), in the notes' notation: "
        "z = w₁x₁ + w₂x₂ + b.",
        f"Take x₁ = {_n(p['x1'])}, x₂ = {_n(p['x2'])}, w₁ = {_n(p['w1'])}, w₂ = {_n(p['w2'])}, "
        f"b = {_n(p['b'])} and the target y = {_n(p['y'])}.",
        "(a) The forward pass: z, ŷ and L. (b) The output error δ = ∂L/∂z as a number, and as a "
        "formula in ŷ and y (you may use z). (c) ∂L/∂w₁, ∂L/∂w₂ and ∂L/∂b.",
    )
    w1, w2, b = _NEURON[2:]
    blanks = (
        *_values(program, "z", "y_hat", "L"),
        Blank("dL_dz", "grad", "z", "δ = ∂L/∂z"),
        Blank("delta_formula", "formula", "z", "δ = ∂L/∂z as a formula", delta, shown),
        _grad("L", w1),
        _grad("L", w2),
        _grad("L", b),
    )
    return Setup(program, p, question, blanks)


# -- one hidden layer with L2 -------------------------------------------------------------------


def _l2(numbers: Numbers) -> Setup:
    x1, x2 = _names("x1 x₁", "x2 x₂")
    w1 = _names("W1_11 W⁽¹⁾₁₁", "W1_12 W⁽¹⁾₁₂", "W1_21 W⁽¹⁾₂₁", "W1_22 W⁽¹⁾₂₂")
    w2 = _names("W2_1 W⁽²⁾₁", "W2_2 W⁽²⁾₂")
    program = Program(
        (x1, x2, *w1, *w2),
        _names("y", "lam λ"),
        _steps(
            ("z1 z₁", _dot("W1_11 W1_12", "x1 x2")),
            ("z2 z₂", _dot("W1_21 W1_22", "x1 x2")),
            ("h1 h₁", "tanh(z1)"),
            ("h2 h₂", "tanh(z2)"),
            ("o", _dot("W2_1 W2_2", "h1 h2")),
            ("L", "0.5*(o - y)**2"),
            ("q1 ‖W⁽¹⁾‖²", _squares("W1_11 W1_12 W1_21 W1_22")),
            ("q2 ‖W⁽²⁾‖²", _squares("W2_1 W2_2")),
            ("s", "lam/2*(q1 + q2)"),
            ("J", "L + s"),
        ),
        extras=_steps(("delta δ", "o - y")),
    )
    p = _point(numbers, (*program.variables, *program.data))
    m1 = f"({_n(p['W1_11'])}, {_n(p['W1_12'])}; {_n(p['W1_21'])}, {_n(p['W1_22'])})"
    question = (
        "The notes' network with one hidden layer and no bias, trained with an L2 penalty, for "
        "one sample: z = W⁽¹⁾x, h = φ(z), o = W⁽²⁾h, L = l(o, y), "
        "s = (λ/2)·(‖W⁽¹⁾‖²_F + ‖W⁽²⁾‖²_F), J = L + s. Here x has two entries, there are two "
        "hidden units with φ = tanh, one output o, and l(o, y) = ½·(o − y)².",
        f"Take x = ({_n(p['x1'])}, {_n(p['x2'])}), W⁽¹⁾ = {m1} (rows; W⁽¹⁾ⱼₖ joins input k to "
        f"unit j), W⁽²⁾ = ({_n(p['W2_1'])}, {_n(p['W2_2'])}), y = {_n(p['y'])}, "
        f"λ = {_n(p['lam'])}.",
        "(a) The forward pass: o, L, s and J. (b) δ = ∂J/∂o, then ∂J/∂W⁽²⁾ = δhᵀ + λW⁽²⁾ entry "
        "by entry, and ∂J/∂W⁽¹⁾₁₁. (c) ∂J/∂W⁽²⁾₁ as a formula (write δ as delta, λ as lam, "
        "W⁽²⁾₁ as W2_1, h₁ as h1).",
    )
    blanks = (
        *_values(program, "o", "L", "s", "J"),
        Blank("dJ_do", "grad", "o", "δ = ∂J/∂o"),
        _grad("J", w2[0]),
        _grad("J", w2[1]),
        _grad("J", w1[0]),
        Blank(
            "dJ_dW2_1_formula",
            "formula",
            "W2_1",
            "∂J/∂W⁽²⁾₁ as a formula",
            "delta*h1 + lam*W2_1",
            "δ·h₁ + λ·W⁽²⁾₁ = (o − y)·h₁ + λ·W⁽²⁾₁",
        ),
    )
    return Setup(program, p, question, blanks)


# -- softmax with cross-entropy -----------------------------------------------------------------


def _softmax(numbers: Numbers) -> Setup:
    k = int(numbers["k"])
    z = _names("z1 z₁", "z2 z₂", "z3 z₃")
    y = _names("y1 y₁", "y2 y₂", "y3 y₃")
    program = Program(
        z,
        y,
        _steps(
            ("e1 e₁", "exp(z1)"),
            ("e2 e₂", "exp(z2)"),
            ("e3 e₃", "exp(z3)"),
            ("S", lambda n: vsum([n["e1"], n["e2"], n["e3"]])),
            ("p1 p₁", "e1/S"),
            ("p2 p₂", "e2/S"),
            ("p3 p₃", "e3/S"),
            ("L", _cross_entropy),
        ),
    )
    p = _point(numbers, z)
    p.update({n.alias: float(j == k) for j, n in enumerate(y, 1)})
    question = (
        "A softmax output with the cross-entropy loss, for one sample: the logits z = (z₁, z₂, "
        "z₃), eⱼ = exp(zⱼ), S = e₁ + e₂ + e₃, pⱼ = eⱼ/S, and L = −Σⱼ yⱼ·log pⱼ with the one-hot "
        "target y.",
        f"Take z = ({_n(p['z1'])}, {_n(p['z2'])}, {_n(p['z3'])}) and the class {k}: "
        f"y = ({', '.join(_n(p[n.alias]) for n in y)}).",
        "(a) The forward pass: p₁, p₂, p₃ and L. (b) δⱼ = ∂L/∂zⱼ for j = 1, 2, 3. (c) δ₁ as a "
        "formula in p₁ and y₁ (the notes: δ = p − y).",
    )
    blanks = (
        *_values(program, "p1", "p2", "p3", "L"),
        *(_grad("L", n, f"δ{n.shown[1:]} = ∂L/∂{n.shown}") for n in z),
        Blank("delta1_formula", "formula", "z1", "δ₁ = ∂L/∂z₁ as a formula", "p1 - y1", "p₁ − y₁"),
    )
    return Setup(program, p, question, blanks)


def _cross_entropy(n: Mapping[str, Value]) -> Value:
    """L = −Σⱼ yⱼ·log pⱼ, the sum as one node."""
    logs = {f"l{j}": n[f"p{j}"].log() for j in (1, 2, 3)}
    total = _dot("y1 y2 y3", "l1 l2 l3")({**n, **logs})
    total.label = "Σ yⱼ·log pⱼ"
    return -total


def _decimals(lo: float, hi: float) -> Range:
    return Range(lo, hi, 0.1)


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        Template(
            "chain",
            "The chain rule on L = (x·w + b)²",
            "the notes' graph L = (x·w + b)²: u, L, ∂L/∂u, ∂L/∂x, ∂L/∂w, ∂L/∂b, ∂L/∂w as a formula",
            {"x": Range(-3, 3), "w": Range(-3, 3), "b": Range(-3, 3)},
            _chain,
        ),
        Template(
            "chain-1d",
            "The chain rule on f = (3x + 2)²",
            "the notes' first example (a·x + c)², a and c drawn: u, f, df/du, df/dx, the formula",
            {"a": Range(2, 5), "c": Range(-4, 4), "x": _decimals(-2, 2)},
            _chain_1d,
        ),
        Template(
            "masha",
            "Masha's network: every ∂L/∂wᵢ",
            "one input, sigmoids, squared error: o₁, o₂, ŷ, L and ∂L/∂wᵢ as numbers and formulas",
            {
                "x": _decimals(0.5, 2),
                "y": _decimals(-1, 1),
                "w1": _decimals(-2, 2),
                "w2": _decimals(-2, 2),
                "w3": _decimals(-2, 2),
            },
            _masha,
        ),
        Template(
            "sigmoid-bce",
            "One neuron, sigmoid and binary cross-entropy: the output error",
            "z, ŷ, L, the output error δ = ŷ − y (m = 1), ∂L/∂w₁, ∂L/∂w₂, ∂L/∂b",
            {
                "x1": _decimals(-2, 2),
                "x2": _decimals(-2, 2),
                "w1": _decimals(-1.5, 1.5),
                "w2": _decimals(-1.5, 1.5),
                "b": _decimals(-1, 1),
                "y": Range(0, 1),
            },
            lambda numbers: _neuron(numbers, "sigmoid"),
        ),
        Template(
            "tanh-mse",
            "One neuron, tanh and squared error: the output error",
            "z, ŷ, L, the output error δ = (ŷ − y)(1 − ŷ²), ∂L/∂w₁, ∂L/∂w₂, ∂L/∂b",
            {
                "x1": _decimals(-1, 1),
                "x2": _decimals(-1, 1),
                "w1": _decimals(-1, 1),
                "w2": _decimals(-1, 1),
                "b": _decimals(-0.5, 0.5),
                "y": _decimals(-0.9, 0.9),
            },
            lambda numbers: _neuron(numbers, "tanh"),
        ),
        Template(
            "l2",
            "One hidden layer with L2: ∂J/∂W = δhᵀ + λW",
            "a 2-2-1 tanh network without bias, J = L + s: o, L, s, J, δ, ∂J/∂W⁽²⁾, ∂J/∂W⁽¹⁾₁₁",
            {
                "x1": _decimals(-1, 1),
                "x2": _decimals(-1, 1),
                **{f"W1_{jk}": _decimals(-1, 1) for jk in ("11", "12", "21", "22")},
                "W2_1": _decimals(-1.5, 1.5),
                "W2_2": _decimals(-1.5, 1.5),
                "y": _decimals(-1, 1),
                "lam": _decimals(0.1, 0.5),
            },
            _l2,
            rankdir="TB",
        ),
        Template(
            "softmax-ce",
            "Softmax with cross-entropy: δ = p − y",
            "three logits, one-hot target: p, L, δⱼ = ∂L/∂zⱼ, δ₁ as a formula",
            {
                "z1": _decimals(-2, 2),
                "z2": _decimals(-2, 2),
                "z3": _decimals(-2, 2),
                "k": Range(1, 3),
            },
            _softmax,
        ),
    )
}

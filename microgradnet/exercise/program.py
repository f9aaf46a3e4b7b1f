"""An exercise's model: named quantities and the steps that compute them, as a Value graph.

    Name("y_hat", "ŷ")          a quantity: its ASCII alias (formulas, blank ids) and how the
                                notes write it (figures and text)
    Program(variables, data, steps)
                                the model as formulas over earlier names (parsed by
                                microgradnet.expr, never run), or a function of the variables
    program.graph(point)        the graph at a point, backward done: every named node by alias
    program.derivative(wrt, point)
                                the root as a function for check_derivative, cut at wrt when
                                wrt is a step (δ = ∂L/∂z takes z as its variable), and the names
                                an answer for it may use

Variables are what the derivatives are taken with respect to (inputs, weights, logits); data is
held fixed (a target y, λ): Values in the drawing, Constants in the checked function.
"""

from __future__ import annotations

import inspect
import keyword
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..engine import Constant, Value, topological_order
from ..expr import FUNCTIONS, normalize_name, parse_expression

Model = Callable[..., Value]  # a user's model: a function of the variables' Values


class ExerciseError(ValueError):
    """A refused exercise or answer file: the message says what is wrong and what is accepted."""


@dataclass(frozen=True)
class Name:
    """A quantity: ``alias`` as formulas and blank ids write it, ``shown`` as the notes do."""

    alias: str
    shown: str = ""

    def __post_init__(self) -> None:
        if not self.shown:
            object.__setattr__(self, "shown", self.alias)


Build = Callable[[Mapping[str, Value]], Value]  # a step as code: the named nodes -> its node


@dataclass(frozen=True)
class Step:
    """A named quantity and its formula over earlier aliases, or code (the templates' one-node
    sums: ``dot`` for z = w₁x₁ + w₂x₂ + b, ``vsum`` for Σ)."""

    name: Name
    formula: str | Build


@dataclass(frozen=True, eq=False)
class Graph:
    """The graph at one point after backward: its root and every named node by alias."""

    root: Value
    nodes: dict[str, Value]


@dataclass(frozen=True, eq=False)
class Derivative:
    """What check_derivative needs for ∂root/∂wrt: f over ``variables`` (aliases, wrt among
    them), the point ``at``, and the answer's names built from the variables' Values."""

    f: Callable[..., Value]
    variables: tuple[str, ...]
    at: dict[str, float]
    names: Callable[[dict[str, Value]], dict[str, Value]]
    allowed: tuple[str, ...]  # the aliases an answer may use, for messages


@dataclass(frozen=True, eq=False)
class Program:
    """The model: variables, data, and steps (the last computes the root), or ``model``, a
    function of the variables' Values whose labelled nodes are its named quantities.
    ``extras`` are names an answer may use that the figure does not draw (δ = o − y)."""

    variables: tuple[Name, ...]
    data: tuple[Name, ...] = ()
    steps: tuple[Step, ...] = ()
    extras: tuple[Step, ...] = ()
    model: Model | None = None

    @property
    def root(self) -> Name:
        return self.steps[-1].name if self.steps else Name("f")

    def names(self) -> dict[str, Name]:
        """Every declared name by alias: variables, data, steps."""
        every = [*self.variables, *self.data, *(s.name for s in self.steps)]
        return {n.alias: n for n in every}

    def evaluate(self, leaves: Mapping[str, Value], *, extras: bool = False) -> dict[str, Value]:
        """Every named node, from the leaves (variables, data, and a cut step) given."""
        nodes = dict(leaves)
        if self.model is not None:
            args = [nodes[n.alias] for n in self.variables]
            root = self.model(*args)
            if not isinstance(root, Value):
                raise TypeError(
                    f"exercise: the model must return a Value, got {type(root).__name__}"
                )
            nodes.update(labelled(root, nodes))
            nodes[self.root.alias] = root
        for step in (*self.steps, *(self.extras if extras else ())):
            if step.name.alias in nodes:
                continue  # given as a leaf: the graph is cut here
            formula = step.formula
            node = parse_expression(formula, nodes) if isinstance(formula, str) else formula(nodes)
            node.label = step.name.shown
            nodes[step.name.alias] = node
        return nodes

    def leaves(self, point: Mapping[str, float], constant: bool) -> dict[str, Value]:
        """The variables as Values and the data as Values (drawn) or Constants (checked)."""
        out = {n.alias: Value(point[n.alias], label=n.shown) for n in self.variables}
        kind = Constant if constant else Value
        out.update((n.alias, kind(point[n.alias], label=n.shown)) for n in self.data)
        return out

    def graph(self, point: Mapping[str, float]) -> Graph:
        """The graph at point, with backward done."""
        nodes = self.evaluate(self.leaves(point, constant=False))
        root = nodes[self.root.alias]
        root.backward()
        return Graph(root, nodes)

    def derivative(self, wrt: str, point: Mapping[str, float]) -> Derivative:
        """∂root/∂wrt as check_derivative takes it: over every variable when wrt is one, else
        over wrt and the variables that still reach the root once the graph is cut at wrt."""
        cut = wrt not in {n.alias for n in self.variables}
        full = self.evaluate(self.leaves(point, constant=True), extras=True)
        at = {wrt: full[wrt].data} if cut else {}
        at.update((n.alias, point[n.alias]) for n in self.variables)
        trial = self.leaves(point, constant=False)
        if cut:
            trial[wrt] = Value(at[wrt], label=self.names()[wrt].shown)
        reached = {id(v) for v in topological_order(self.evaluate(trial)[self.root.alias])}
        variables = tuple(a for a in at if id(trial[a]) in reached)
        allowed = (
            self._allowed(variables, {**point, **at}) if cut else tuple(self.answer_names(full))
        )
        program, root = self, self.root.alias

        def leaves_of(values: dict[str, Value]) -> dict[str, Value]:
            return {**program.leaves(point, constant=True), **values}

        def f(*xs: Value) -> Value:
            return program.evaluate(leaves_of(dict(zip(variables, xs))))[root]

        def answer_names(values: dict[str, Value]) -> dict[str, Value]:
            every = program.answer_names(program.evaluate(leaves_of(values), extras=True))
            return {k: v for k, v in every.items() if k in allowed}

        return Derivative(
            signed(f, variables), variables, {a: at[a] for a in variables}, answer_names, allowed
        )

    def answer_names(self, nodes: Mapping[str, Value]) -> dict[str, Value]:
        """The names an answer may use: every alias, and the notes' spelling where it is a
        name a formula can hold (ŷ, λ; w₁ reads as w1 anyway)."""
        out = dict(nodes)
        shown = {n.alias: n.shown for n in (*self.names().values(), *(s.name for s in self.extras))}
        for alias, node in nodes.items():
            spelled = normalize_name(shown.get(alias, alias))
            if spelled not in out and is_name(spelled):
                out[spelled] = node
        return out

    def _allowed(self, variables: tuple[str, ...], point: Mapping[str, float]) -> tuple[str, ...]:
        """For a cut at a step: the variables, the data, and the steps that depend on them."""
        values = {a: Value(point[a], label=a) for a in variables}
        nodes = self.evaluate({**self.leaves(point, constant=True), **values}, extras=True)
        marks = {id(values[a]) for a in variables}
        keep = [*variables, *(n.alias for n in self.data)]
        for alias, node in nodes.items():
            if alias not in keep and marks & {id(v) for v in topological_order(node)}:
                keep.append(alias)
        return tuple(self.answer_names({a: nodes[a] for a in keep}))


def labelled(root: Value, known: Mapping[str, Value]) -> dict[str, Value]:
    """A model's labelled nodes by their label as a formula name (NFKC), first label wins."""
    out: dict[str, Value] = {}
    taken = {id(v) for v in known.values()}
    for node in topological_order(root):
        name = normalize_name(node.label)
        if node.label and id(node) not in taken and is_name(name) and name not in known:
            out.setdefault(name, node)
    return out


def is_name(text: str) -> bool:
    """True if text can be a name in a formula: an identifier, not a keyword or a function."""
    return text.isidentifier() and not keyword.iskeyword(text) and text not in FUNCTIONS


class _Signed:
    """A function with the named parameters check_derivative reads its variables from."""

    def __init__(self, fn: Callable[..., Value], names: tuple[str, ...]) -> None:
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        self.__signature__ = inspect.Signature([inspect.Parameter(n, kind) for n in names])
        self.fn = fn

    def __call__(self, *xs: Value) -> Value:
        return self.fn(*xs)


def signed(fn: Callable[..., Value], names: tuple[str, ...]) -> Callable[..., Value]:
    """fn with parameters named names (inspect.signature reads them)."""
    return _Signed(fn, names)

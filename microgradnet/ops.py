"""The op table, its readers and custom ops: the public face of the ops (``microgradnet.ops``).

Every operation of the engine is one ``Op`` record in ``OPS`` (declared in
``microgradnet.optable``): its forward on floats and arrays, one derivative rule serving floats,
Values and numpy arrays (written with ``fn``), its domain, parameters and conventions, the Value
methods that build its nodes, and how it is written and drawn. Readers of a graph use
``glyph``, ``text_form``, ``derivative_text``, ``constant_operands``, ``parameters``
(``microgradnet.notation``); users add ops with ``define_op`` (``microgradnet.custom``).

Conventions at kinks (the value chosen where the derivative does not exist) are each record's
``kink`` (``OPS["relu"].kink == "relu'(0) = 0"``), all listed in the README. Derivative rules
take IEEE limits (±inf) where they divide by zero.

References: PyTorch's derivatives.yaml and torch.autograd.Function, JAX's defjvp and
custom_jvp, HIPS autograd's defvjp.
"""

from __future__ import annotations

from .custom import CHECK_POINTS, CustomOp, apply, custom_ops, define_op, undefine_op
from .engine import op_of
from .notation import (
    cli_functions,
    constant_operands,
    derivative_text,
    glyph,
    latex_name,
    parameters,
    precedence,
    text_form,
)
from .optable import (
    ATOM,
    BUILTIN_NAMES,
    NARY,
    ONE,
    OPS,
    POWER,
    PREFIX,
    PRODUCT,
    SUM,
    NodeFacts,
    Op,
    Param,
    fn,
)

__all__ = [
    "ATOM",
    "BUILTIN_NAMES",
    "CHECK_POINTS",
    "NARY",
    "ONE",
    "OPS",
    "POWER",
    "PREFIX",
    "PRODUCT",
    "SUM",
    "CustomOp",
    "NodeFacts",
    "Op",
    "Param",
    "apply",
    "cli_functions",
    "constant_operands",
    "custom_ops",
    "define_op",
    "derivative_text",
    "fn",
    "glyph",
    "latex_name",
    "op_of",
    "parameters",
    "precedence",
    "text_form",
    "undefine_op",
]

"""Deprecated alias of ``microgradnet.replay`` (the batched replay), kept for one release.

``Tape`` lives in ``microgradnet.replay``; fit's ``CompiledStep`` and ``check_replayable`` in
``microgradnet.train``; the numpy losses (``NUMPY_LOSSES``, ``numpy_loss``) in
``microgradnet.losses``; the numpy rules of the ops in the op table (``microgradnet.ops``).
"""

from __future__ import annotations

from .losses import NUMPY_LOSSES, numpy_loss
from .replay import DOMAINS, NUMPY_RULES, ONE, Tape
from .train import CompiledStep, check_replayable

__all__ = [
    "DOMAINS",
    "NUMPY_LOSSES",
    "NUMPY_RULES",
    "ONE",
    "CompiledStep",
    "Tape",
    "check_replayable",
    "numpy_loss",
]

"""Deprecated alias of ``microgradnet.replay`` (the batched replay), kept through 0.1.0.

``Tape`` lives in ``microgradnet.replay``; fit's ``CompiledStep`` and ``check_replayable`` in
``microgradnet.train``; the numpy losses (``NUMPY_LOSSES``, ``numpy_loss``) in
``microgradnet.losses``; the numpy rules of the ops in the op table (``microgradnet.ops``).
Importing a name from here works and warns.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

_HOMES = {
    "Tape": "replay",
    "ONE": "replay",
    "NUMPY_RULES": "replay",
    "DOMAINS": "replay",
    "CompiledStep": "train",
    "check_replayable": "train",
    "NUMPY_LOSSES": "losses",
    "numpy_loss": "losses",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'microgradnet.compile' has no attribute {name!r}")
    warnings.warn(
        f"microgradnet.compile is deprecated: import {name} from microgradnet.{home}",
        DeprecationWarning,
        stacklevel=2,
    )
    with warnings.catch_warnings():  # one warning, for the old name used
        warnings.simplefilter("ignore", DeprecationWarning)
        return getattr(importlib.import_module(f"microgradnet.{home}"), name)

"""Deprecated: the old home of the transforms and of explain, kept through the 0.1.0 release.

``grad``, ``value_and_grad``, ``hessian``, ``numerical_grad``, ``gradcheck`` live in
``microgradnet.transforms``; ``explain``, ``Explanation``, ``ChainPath`` in
``microgradnet.explain``. Importing a name from here works and warns.
"""

from __future__ import annotations

import warnings
from typing import Any

from . import chain_rule as _chain_rule
from . import transforms as _transforms

_MOVED = {
    **{n: _transforms for n in ("grad", "value_and_grad", "hessian", "second_derivatives")},
    **{n: _transforms for n in ("numerical_grad", "gradcheck", "GradcheckError")},
    **{n: _chain_rule for n in ("explain", "Explanation", "ChainPath", "Path")},
    **{n: _chain_rule for n in ("expression_names", "ShortNames", "wrap_name")},
}


def __getattr__(name: str) -> Any:
    home = _MOVED.get(name)
    if home is None:
        raise AttributeError(f"module 'microgradnet.autodiff' has no attribute {name!r}")
    warnings.warn(
        f"microgradnet.autodiff is deprecated: import {name} from {home.__name__}",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(home, name)

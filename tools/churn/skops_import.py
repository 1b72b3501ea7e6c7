"""Import ``skops.io`` without the 1.6 s torch import its type registry triggers.

At import, skops lists every scikit-learn estimator with ``sklearn.utils.all_estimators``, which
walks all of sklearn's subpackages with ``pkgutil.walk_packages``, and walking imports each
package, ``sklearn.externals.array_api_compat.torch`` among them, which imports torch. The crawl
keeps no class from ``externals``, so while skops is first imported, that one package is replaced
by an empty placeholder: the trusted-type list is the same, and the placeholder is removed after.
"""

from __future__ import annotations

import sys
import types
from typing import Any

_TORCH_COMPAT = "sklearn.externals.array_api_compat.torch"


def import_skops() -> Any:
    """The ``skops.io`` module, imported without importing torch when torch is not loaded yet."""
    if "skops.io" in sys.modules or "torch" in sys.modules or _TORCH_COMPAT in sys.modules:
        import skops.io

        return skops.io
    placeholder = types.ModuleType(_TORCH_COMPAT, "placeholder: skops' estimator crawl skips externals")
    sys.modules[_TORCH_COMPAT] = placeholder
    try:
        import skops.io

        return skops.io
    finally:
        if sys.modules.get(_TORCH_COMPAT) is placeholder:
            del sys.modules[_TORCH_COMPAT]
        parent = sys.modules.get(_TORCH_COMPAT.rpartition(".")[0])
        if parent is not None and getattr(parent, "torch", None) is placeholder:
            delattr(parent, "torch")

"""Names a package imports only when a program first asks for them (PEP 562's module
``__getattr__`` and ``__dir__``), so that ``import tinygrad_bn`` does not load what most
programs never touch (``distributions``, ``fft``, ``Muon``, ...). Imports nothing of the
package: any ``__init__`` may use it."""

from __future__ import annotations

import importlib


def imported_on_first_use(package: str, namespace: dict, modules=(), names=None):
    """The ``__getattr__`` and ``__dir__`` of the package named ``package`` whose globals are
    ``namespace``: each submodule in ``modules`` is imported when first asked for
    (``tg.distributions``), and so is each name of ``names`` (``{name: the submodule, relative
    to the package, that defines it}``), which is then kept in ``namespace`` so that the next
    look-up does not come back here. A submodule named in ``names`` without a dot is an
    attribute of the package too (``optim.muon``), as it is once imported."""
    names = dict(names or {})
    modules = set(modules) | {module for module in names.values() if "." not in module}

    def __getattr__(name):
        if name in names:
            value = getattr(importlib.import_module(f".{names[name]}", package), name)
            namespace[name] = value
            return value
        if name in modules:
            return importlib.import_module(f".{name}", package)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(set(namespace) | modules | set(names))

    return __getattr__, __dir__

"""The API reference: every public function, class and method has a docstring, and pdoc builds
the reference from them with no warning (pdoc warns about names it cannot import or resolve).

Build it yourself with ``python -m pdoc tinygrad_bn -o docs/api`` (``pip install pdoc``), or
browse it live with ``python -m pdoc tinygrad_bn``."""

import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import tinygrad_bn
import tinygrad_bn.utils.data

# The public surface: each module's __all__ if it has one, otherwise its names without a
# leading underscore that are functions or classes defined in tinygrad_bn.
PUBLIC_MODULES = (
    tinygrad_bn, tinygrad_bn.autograd, tinygrad_bn.nn, tinygrad_bn.nn.functional,
    tinygrad_bn.nn.init, tinygrad_bn.nn.utils, tinygrad_bn.optim, tinygrad_bn.optim.lr_scheduler,
    tinygrad_bn.data, tinygrad_bn.utils.data, tinygrad_bn.viz, tinygrad_bn.linalg,
    tinygrad_bn.distributions, tinygrad_bn.distributions.constraints,
)


def public_callables():
    """``{qualified name: object}`` for every public function and class, and every public
    method and property of those classes (``Tensor.reshape``, ``Module.parameters``, ...)."""
    found = {}
    for module in PUBLIC_MODULES:
        names = getattr(module, "__all__", None) or [n for n in vars(module)
                                                      if not n.startswith("_")]
        for name in names:
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            if not getattr(obj, "__module__", "").startswith("tinygrad_bn"):
                continue
            found.setdefault(f"{obj.__module__}.{obj.__qualname__}", obj)
            if inspect.isclass(obj):
                for attribute, value in vars(obj).items():
                    if attribute.startswith("_"):
                        continue
                    if isinstance(value, (staticmethod, classmethod)):
                        value = value.__func__
                    if isinstance(value, property) or inspect.isfunction(value):
                        found.setdefault(f"{obj.__module__}.{obj.__qualname__}.{attribute}",
                                         (obj, attribute))
    return found


def docstring(entry):
    """The docstring that help() and pdoc show: a method without its own inherits its base
    class's (a subclass's ``forward`` documents itself through ``Module.forward``)."""
    if isinstance(entry, tuple):
        cls, attribute = entry
        value = inspect.getattr_static(cls, attribute)
        if isinstance(value, property):
            return inspect.getdoc(value)
        return inspect.getdoc(getattr(cls, attribute))
    return inspect.getdoc(entry)


def test_the_public_surface_is_found():
    names = public_callables()
    assert len(names) > 400
    for expected in ("tinygrad_bn.tensor.Tensor.reshape", "tinygrad_bn.nn.module.Module.parameters",
                     "tinygrad_bn.nn.normalization.BatchNorm1d", "tinygrad_bn.optim.adam.Adam.step",
                     "tinygrad_bn.viz.draw_graph", "tinygrad_bn.creation.zeros"):
        assert expected in names


def test_every_public_callable_has_a_docstring():
    missing = sorted(name for name, entry in public_callables().items()
                     if not (docstring(entry) or "").strip())
    assert not missing, f"{len(missing)} public names have no docstring: {missing}"


def test_py_typed_marker_is_in_the_package():
    assert (Path(tinygrad_bn.__file__).parent / "py.typed").is_file()


def test_api_reference_builds_without_warnings(tmp_path):
    pytest.importorskip("pdoc")
    result = subprocess.run(
        [sys.executable, "-W", "always", "-m", "pdoc", "tinygrad_bn", "-o", str(tmp_path)],
        check=False, capture_output=True, text=True, timeout=300)
    printed = result.stdout + result.stderr
    assert result.returncode == 0, printed
    assert "warn" not in printed.lower(), f"pdoc printed warnings:\n{printed}"
    for page in ("tinygrad_bn.html", "tinygrad_bn/tensor.html", "tinygrad_bn/nn.html",
                 "tinygrad_bn/optim.html", "tinygrad_bn/viz.html"):
        assert (tmp_path / page).stat().st_size > 1_000, page
    tensor_page = (tmp_path / "tinygrad_bn/tensor.html").read_text(encoding="utf-8")
    assert "one dimension may be -1 and is then inferred" in tensor_page  # Tensor.reshape's


def test_the_nn_reference_is_in_pytorchs_order_layers_before_losses():
    """pdoc lists a module's members in ``__all__`` order; PyTorch's torch.nn reference puts
    containers first, then layers, then losses, then utilities."""
    order = tinygrad_bn.nn.__all__
    assert order.index("Module") < order.index("Linear") < order.index("CrossEntropyLoss")
    assert order.index("BatchNorm1d") < order.index("MSELoss")
    losses = [i for i, name in enumerate(order) if name.endswith("Loss")]
    layers = [order.index(name) for name in ("Linear", "ReLU", "BatchNorm1d", "Embedding")]
    assert max(layers) < min(losses)

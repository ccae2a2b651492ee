"""``Optimizer``: parameter groups, per-parameter state, ``zero_grad`` and ``state_dict``, shared
by ``SGD``, ``Adam`` and ``AdamW``."""

from __future__ import annotations

import copy
import functools
import weakref
from collections.abc import Iterable
from typing import Any, Union

import numpy as np

from ..autograd import graph
from ..autograd.graph import replayable
from ..dtypes import get_default_dtype
from ..nn.module import clear_grads
from ..shapes import broadcast_error
from ..tensor import Tensor

# What optimizers take: tensors, or parameter groups (dicts with "params" and options).
Params = Union[Iterable[Tensor], Iterable[dict[str, Any]]]


_ARGUMENT_WORDS = {"lr": "learning rate", "eps": "epsilon value"}

_ERRSTATE_DECORATOR_PER_CALL = int(np.__version__.split(".")[0]) >= 2


def check_non_negative(**hyperparameters: float) -> None:
    """Raise PyTorch's ``ValueError("Invalid <name> value: <value>")`` for the first negative
    one, checked in the order given (``lr`` is "learning rate", ``eps`` "epsilon value")."""
    for name, value in hyperparameters.items():
        if value < 0:
            raise ValueError(f"Invalid {_ARGUMENT_WORDS.get(name, name + ' value')}: {value}")


def silent_on_nonfinite(step):
    """Run an optimizer's ``step`` under ``np.errstate`` that ignores inf and nan arithmetic: an
    inf or nan gradient makes inf or nan weights, as in PyTorch, without NumPy's
    RuntimeWarnings (silenced here at the arithmetic, never by a warnings filter, so it holds
    under pytest's warning capture too).

    From NumPy 2 on, ``np.errstate`` used as a decorator sets the state afresh in each call
    (a context variable: safe in threads and nested calls) and costs 0.6 us a step against
    1.5 for a ``with`` block; NumPy 1's decorator keeps the saved state on the one instance,
    so there the ``with`` block is used."""
    if _ERRSTATE_DECORATOR_PER_CALL:
        return np.errstate(invalid="ignore", divide="ignore", over="ignore")(step)

    @functools.wraps(step)
    def quiet_step(self, *args, **kwargs):
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            return step(self, *args, **kwargs)
    return quiet_step


def scalar_state(value: float) -> np.ndarray:
    """A per-parameter scalar kept in state (NAdam's ``mu_product``, ASGD's ``eta`` and ``mu``)
    as PyTorch keeps it: a 0-d array of float64 when that is the default dtype, else of
    float32, so that it is rounded as PyTorch rounds it at every step."""
    dtype = np.float64 if get_default_dtype() == np.float64 else np.float32
    return np.array(value, dtype)


def check_fused_foreach(fused, foreach, differentiable) -> None:
    """PyTorch's checks of the implementation flags, in its order: ``fused`` excludes
    ``differentiable`` and ``foreach``. (Every flag picks one of PyTorch's implementations of
    one update rule; tinygrad_bn has one, PyTorch's single-tensor CPU loop, which its CPU
    ``foreach`` path matches and its CPU ``fused`` kernels match to rounding.)"""
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def check_step_flags(group: dict[str, Any], state_names: str = "params and state_steps",
                     xla: bool = True) -> None:
    """What PyTorch's step does on the CPU with the flags it cannot honour there:
    ``capturable=True`` fails its device check (an ``AssertionError`` naming the state
    ``state_names`` it checks), and ``differentiable=True`` makes its in-place update of a leaf
    that requires grad fail (every parameter is a leaf here: tinygrad_bn's optimizers do not
    record their step in the graph, so they refuse non-leaf parameters even then)."""
    if group.get("capturable"):
        devices = ["cuda", "xpu", "hpu", "privateuseone"] + (["xla"] if xla else [])
        raise AssertionError(f"If capturable=True, {state_names} must be on supported devices: "
                             f"{devices}.")
    if group.get("differentiable"):
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")


def scalar_value(value) -> float:
    """A hyperparameter given as a 1-element Tensor (``lr=torch.tensor(0.01)``) as the Python
    float PyTorch's single-tensor step reads from it (``lr.item()``); a number as it is."""
    return value.item() if isinstance(value, Tensor) else value


def step_tensor(step) -> Tensor:
    """A state's ``step`` as PyTorch keeps it and saves it: a 0-d tensor of float64 when that
    is the default dtype, else of float32 (tinygrad_bn counts in a Python int, which
    ``state_dict`` converts and ``load_state_dict`` converts back)."""
    return Tensor(scalar_state(float(step)))


def check_state_shape(p: Tensor, moment: np.ndarray) -> None:
    """A parameter whose ``.data`` was replaced by one of another shape no longer matches the
    state kept for it: PyTorch's broadcasting error (state first, parameter second), not
    NumPy's."""
    if moment.shape != p._array.shape:
        raise RuntimeError(broadcast_error(moment.shape, p._array.shape, name_shapes=False))


class ParamGroup(dict):
    """One parameter group: a dict of ``"params"`` and the hyperparameters, as in PyTorch. Its
    own class only so that a jit capture can watch it (``watch_param_groups``)."""

    __slots__ = ()


class _WatchedParamGroup(ParamGroup):
    """What a ``ParamGroup`` is while a jit capture runs: a read of a setting is reported, so
    that a replay reads the same setting afresh (``lr`` changes under a scheduler), and an
    assignment refuses the capture, since a replay would not make it."""

    __slots__ = ()

    def __getitem__(self, key):
        return graph.live_read((self, key), dict.__getitem__(self, key))

    def get(self, key, default=None):
        return self[key] if key in self else default

    def __setitem__(self, key, value):
        graph.untraceable(f"a parameter group's {key!r} is assigned inside the function, which "
                          "a replay would not do (change it between calls)")
        dict.__setitem__(self, key, value)


_optimizers = weakref.WeakSet()


def watch_param_groups(on: bool) -> None:
    """Make every optimizer's parameter groups report reads to jit captures (``on``), or stop
    (the class of each group is switched, so that the optimizers pay nothing otherwise)."""
    for optimizer in list(_optimizers):
        for group in optimizer.param_groups:
            if isinstance(group, ParamGroup):
                group.__class__ = _WatchedParamGroup if on else ParamGroup


class Optimizer:
    """Base class: holds ``param_groups`` (dicts with ``"params"`` and the hyperparameters,
    missing ones filled from ``defaults``) and ``state`` (a dict per parameter, keyed by the
    parameter). Subclasses implement ``step()``.

    ``params`` is an iterable of tensors, or of dicts that each define a group with its own
    options (``[{"params": model.fc1.parameters(), "lr": 0.1}, ...]``).
    """

    def __init_subclass__(cls, **kwargs):
        """Each subclass's own ``step`` is ``replayable``: a jit capture records the call whole
        and replays run it again, with the hyperparameters of the moment."""
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = replayable(cls.__dict__["step"])

    def __getstate__(self) -> dict[str, Any]:
        """A copy (``copy.deepcopy``, pickle) leaves the flat state (``FlatState``) out: copied,
        the per-parameter states would no longer view it (a copy of a view is an array of its
        own), so the copy would update arrays nothing reads. It rebuilds it from its own
        states at its first step."""
        state = self.__dict__.copy()
        state["_flat"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """A copy (``copy.deepcopy``, pickle) is an optimizer like one made by ``__init__``:
        registered, so that a jit capture watches its parameter groups (unregistered, a
        replay would keep a learning rate it read at capture after a scheduler changed it)."""
        self.__dict__.update(state)
        self._flat = {}  # (a copy pickled before optimizers kept one has none)
        _optimizers.add(self)

    def __init__(self, params: Params, defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, "
                "but got a Tensor"
            )
        self.defaults = defaults
        self.param_groups = []
        self.state = {}
        self._flat = {}  # group index -> its FlatState, for the optimizers that keep one
        _optimizers.add(self)
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a parameter group: a dict with ``"params"`` (a tensor or an iterable of leaf
        tensors) and any hyperparameters, the missing ones taken from the optimizer's defaults. A
        parameter already in another group raises ``ValueError``."""
        group = ParamGroup(group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in existing for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self.param_groups.append(group)

    @replayable
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient: to None (default), or to zeros in place."""
        for group in self.param_groups:
            clear_grads(group["params"], set_to_none)

    def step(self) -> None:
        """Update every parameter that has a gradient by one step of this algorithm (the subclass's
        docstring gives the formula), without recording anything in the graph; parameters whose
        ``.grad`` is None are skipped, as in PyTorch."""
        raise NotImplementedError(f"{type(self).__name__} does not define step")

    def state_dict(self) -> dict[str, Any]:
        """PyTorch's layout: ``{"state": {index: {...}}, "param_groups": [{..., "params":
        [indices]}]}``, parameters numbered in group order. State arrays are copies."""
        index = {}
        groups = []
        for group in self.param_groups:
            entry = {k: v for k, v in group.items() if k != "params"}
            entry["params"] = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                entry["params"].append(index[id(p)])
            groups.append(entry)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    state[index[id(p)]] = {
                        k: (Tensor(v) if isinstance(v, (Tensor, np.ndarray))
                            else step_tensor(v) if k == "step" and isinstance(v, (int, float))
                            else v)
                        for k, v in self.state[p].items()
                    }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and state saved by ``state_dict`` (possibly through
        ``tinygrad_bn.save``/``load``). The group structure and parameter shapes must match;
        nothing changes unless everything fits."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        params_by_index = {}
        for saved, group in zip(groups, self.param_groups):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size of "
                    "optimizer's group"
                )
            for i, p in zip(saved["params"], group["params"]):
                params_by_index[int(i)] = p
        new_state = {}
        for key, values in state_dict["state"].items():
            p = params_by_index.get(int(key))
            if p is None:
                raise ValueError(f"loaded state dict has state for parameter {key}, which no group "
                                 "holds")
            restored = {}
            for name, value in values.items():
                if name == "step" and isinstance(value, (Tensor, np.ndarray)) and not np.ndim(
                        value._array if isinstance(value, Tensor) else value):
                    step = float(value._array if isinstance(value, Tensor) else value)
                    restored[name] = int(step) if step.is_integer() else step
                elif isinstance(value, (Tensor, np.ndarray)):
                    array = np.array(value._array if isinstance(value, Tensor) else value)
                    if array.ndim and array.shape != p.shape:
                        raise ValueError(
                            f"loaded state '{name}' of parameter {key} has shape {array.shape}, "
                            f"the parameter has shape {tuple(p.shape)}"
                        )
                    restored[name] = array.astype(p.dtype) if array.ndim else array
                else:
                    restored[name] = value
            new_state[p] = restored
        for saved, group in zip(groups, self.param_groups):
            for name, value in saved.items():
                if name != "params":
                    group[name] = copy.deepcopy(_as_python(value, group.get(name)))
        self.state = new_state

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for name in sorted(k for k in group if k != "params"):
                lines.append(f"    {name}: {group[name]}")
        return "\n".join(lines) + "\n)"


def _as_python(value, like):
    """Hyperparameters come back from a checkpoint as arrays or lists; give them the type the
    group had (a tuple for ``betas``, a float for ``lr``)."""
    if isinstance(value, (Tensor, np.ndarray)):
        value = np.asarray(value._array if isinstance(value, Tensor) else value).tolist()
    if isinstance(like, tuple) and isinstance(value, list):
        return tuple(value)
    return value

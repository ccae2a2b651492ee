"""``DistributedDataParallel`` (PyTorch's ``nn.parallel.DistributedDataParallel``) over this
package's process groups: every process holds a replica of the module, trains it on its own
share of the data, and after each backward pass the gradients are averaged across processes,
so every replica takes the same optimiser step.

How PyTorch's reducer is followed: at construction rank 0's parameters and buffers are
broadcast to all; before a forward pass (when buffers are synchronised) rank 0's buffers are
broadcast; after backward, each gradient is multiplied by ``1 / world_size`` and the products
are summed across ranks with one ``all_reduce`` per dtype (PyTorch's buckets: how the
gradients are grouped does not change an elementwise sum). The reduction is triggered by
``register_post_accumulate_grad_hook`` on every parameter, once all the parameters expected
to receive a gradient have received it.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from ..nn.module import Module
from .collectives import _read, _write
from .process_group import ReduceOp, _default_group, _reduce

_UNFINISHED = (
    "Expected to have finished reduction in the prior iteration before starting a new one. "
    "This error indicates that your module has parameters that were not used in producing "
    "loss. You can enable unused parameter detection by passing the keyword argument "
    "`find_unused_parameters=True` to `torch.nn.parallel.DistributedDataParallel`, and by \n"
    "making sure all `forward` function outputs participate in calculating loss. \n"
    "If you already have done the above, then the distributed data parallel module wasn't "
    "able to locate the output tensors in the return value of your module's `forward` "
    "function. Please include the loss function and the structure of the return value of "
    "`forward` of your module when reporting this issue (e.g. list, dict, iterable).\n"
    "Parameter indices which did not receive grad for rank {rank}: {indices}\n In addition, "
    "you can set the environment variable TORCH_DISTRIBUTED_DEBUG to either INFO or DETAIL to "
    "print out information about which particular parameters did not receive gradient on this "
    "rank as part of this error")


def _broadcast_arrays(process_group, tensors, source: int = 0) -> None:
    """Overwrite every rank's ``tensors`` with rank ``source``'s, in one exchange."""
    def body(prefix):
        if process_group.rank() == source:
            if process_group.size() > 1:
                process_group._put(prefix, [_read(tensor) for tensor in tensors])
            return
        for tensor, array in zip(tensors, process_group._take(prefix, process_group.size() - 1)):
            _write(tensor, array)
    process_group._submit(body, async_op=False)


def _tensors_in(value, found: list) -> list:
    from ..tensor import Tensor
    if isinstance(value, Tensor):
        found.append(value)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _tensors_in(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _tensors_in(item, found)
    return found


def _reachable_leaves(outputs) -> set[int]:
    """ids of the leaves the autograd graph of ``outputs`` reaches (PyTorch's search for
    unused parameters)."""
    leaves, seen = set(), set()  # leaf ids; op nodes
    stack = []
    for tensor in _tensors_in(outputs, []):
        if tensor.grad_fn is not None:
            stack.append(tensor.grad_fn)
        elif tensor.requires_grad:
            leaves.add(id(tensor))
    while stack:
        node = stack.pop()
        variable = getattr(node, "variable", None)
        if variable is not None:  # an AccumulateGrad: made anew at each look, so its id
            leaves.add(id(variable))  # may be a freed one's; the leaf's is what counts
            continue
        if node in seen:  # op nodes are kept alive by the graph: the set holds them too
            continue
        seen.add(node)
        for next_node, _ in node.next_functions:
            if next_node is not None:
                stack.append(next_node)
    return leaves


class DistributedDataParallel(Module):
    """PyTorch's ``DistributedDataParallel(module, device_ids=None, output_device=None, dim=0,
    broadcast_buffers=True, init_sync=True, process_group=None, bucket_cap_mb=None,
    find_unused_parameters=False, ...)`` on the CPU.

    ``module`` is kept as ``.module`` (so ``state_dict`` keys start ``module.``). Construction
    broadcasts rank 0's parameters and buffers (``init_sync``); with ``broadcast_buffers``, a
    forward pass first broadcasts rank 0's buffers (as PyTorch, not after a forward under
    ``no_sync`` or ``no_grad``). After each backward pass that follows a forward with grad
    enabled outside ``no_sync()``, every parameter's ``.grad`` becomes the mean of the ranks'
    gradients. Without ``find_unused_parameters`` every parameter that requires grad must get
    a gradient (else the next forward raises PyTorch's error); with it, the parameters the
    output does not reach are found at each forward: a parameter no rank used keeps its
    ``.grad``, one used by some rank gets the mean with zeros for the others.
    ``device_ids``/``output_device`` must be None (CPU); bucketing options are accepted and
    change nothing (the sum is elementwise)."""

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool = True, init_sync: bool = True, process_group=None,
                 bucket_cap_mb=None, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False,
                 static_graph: bool = False, delay_all_reduce_named_params=None,
                 param_to_hook_all_reduce=None, mixed_precision=None, device_mesh=None,
                 skip_all_reduce_unused_params: bool = False) -> None:
        super().__init__()
        if process_group is not None and device_mesh is not None:
            raise RuntimeError("Cannot specify both process_group and device_mesh arguments.")
        self.process_group = _default_group() if process_group is None else process_group
        parameters = [p for p in module.parameters() if p.requires_grad]
        if not parameters:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't "
                               "have any parameter that requires a gradient.")
        if device_ids is not None and len(device_ids) > 0:
            devices = "{" + ", ".join(sorted({repr(p.device) for p in parameters})) + "}"
            raise ValueError(f"DistributedDataParallel device_ids and output_device arguments "
                             f"only work with single-device/multiple-device GPU modules or CPU "
                             f"modules, but got device_ids {device_ids}, output_device "
                             f"{output_device}, and module parameters {devices}.")
        self.module = module
        self.device_ids, self.output_device, self.dim = None, None, dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view, self.static_graph = gradient_as_bucket_view, static_graph
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self._parameters_to_reduce = parameters
        self._expected: set[int] = set()
        self._ready: set[int] = set()
        self._armed = False
        self._verify_same_model()
        if init_sync:
            _broadcast_arrays(self.process_group,
                              [*module.parameters(), *module.buffers()])
        self._register_hooks()

    def _register_hooks(self) -> None:
        self._gradient_hooks = [p.register_post_accumulate_grad_hook(self._gradient_ready)
                                for p in self._parameters_to_reduce]

    def _verify_same_model(self) -> None:
        shapes = [tuple(p.shape) for p in self._parameters_to_reduce]
        group = self.process_group

        def body(prefix):
            return group._exchange(prefix, shapes)
        everyone = group._submit_result(body)
        for rank, theirs in enumerate(everyone):
            if len(theirs) != len(shapes):
                raise RuntimeError(f"DDP expects same model across all ranks, but Rank "
                                   f"{group.rank()} has {len(shapes)} params, while rank {rank} "
                                   f"has inconsistent {len(theirs)} params.")
            for index, (mine, other) in enumerate(zip(shapes, theirs)):
                if mine != other:
                    raise RuntimeError(f"DDP expects same model across all ranks, but rank "
                                       f"{group.rank()}'s parameter {index} has size "
                                       f"{list(mine)} and rank {rank}'s has {list(other)}.")

    # -- forward -----------------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        from ..autograd.grad_mode import is_grad_enabled
        if self._armed and self._ready and len(self._ready) < len(self._expected):
            missing = [index for index, p in enumerate(self._parameters_to_reduce)
                       if id(p) in self._expected and id(p) not in self._ready]
            raise RuntimeError(_UNFINISHED.format(rank=self.process_group.rank(),
                                                  indices=" ".join(map(str, missing))))
        buffers = list(self.module.buffers())
        if self.require_forward_param_sync and self.broadcast_buffers and buffers:
            _broadcast_arrays(self.process_group, buffers)
        output = self.module(*inputs, **kwargs)
        syncing = is_grad_enabled() and self.require_backward_grad_sync
        self.require_forward_param_sync = syncing
        self._ready = set()
        self._armed = syncing
        if syncing:
            if self.find_unused_parameters:
                reached = _reachable_leaves(output)
                self._locally_used = {id(p) for p in self._parameters_to_reduce
                                      if id(p) in reached}
                self._expected = set(self._locally_used)
                if not self._expected:
                    self._reduce()  # nothing will call back: reduce now, as PyTorch does
            else:
                self._expected = {id(p) for p in self._parameters_to_reduce}
        return output

    @contextmanager
    def no_sync(self):
        """Within it, forward/backward accumulate local gradients without averaging them; the
        first synchronised backward after it averages the accumulated gradients."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    # -- backward ----------------------------------------------------------------------
    def _gradient_ready(self, parameter) -> None:
        if not self._armed or id(parameter) not in self._expected:
            return
        self._ready.add(id(parameter))
        if len(self._ready) == len(self._expected):
            self._reduce()

    def _reduce(self) -> None:
        """Average the gradients across ranks: ``grad * (1 / world_size)`` summed over ranks,
        one ``all_reduce`` per dtype of the flattened gradients."""
        self._armed = False
        group = self.process_group
        size = group.size()
        parameters = self._parameters_to_reduce
        if self.find_unused_parameters:
            used = np.array([id(p) in self._locally_used for p in parameters], dtype=np.int64)
            used_anywhere = group._submit_result(
                lambda prefix: _reduce(group._exchange(prefix, used), ReduceOp.MAX, size))
        else:
            used = used_anywhere = np.ones(len(parameters), dtype=np.int64)
        by_dtype: dict = {}
        for index, parameter in enumerate(parameters):
            if used_anywhere[index]:
                by_dtype.setdefault(np.dtype(_read(parameter).dtype), []).append(index)
        for dtype, indices in by_dtype.items():
            scale = dtype.type(1.0 / size)
            pieces = []
            for index in indices:
                grad = parameters[index].grad
                if used[index] and grad is not None:
                    pieces.append((_read(grad) * scale).astype(dtype, copy=False).ravel())
                else:
                    pieces.append(np.zeros(parameters[index].numel(), dtype=dtype))
            flat = np.concatenate(pieces)
            total = group._submit_result(
                lambda prefix, flat=flat: _reduce(group._exchange(prefix, flat), ReduceOp.SUM,
                                                  size))
            start = 0
            for index in indices:
                parameter = parameters[index]
                count = parameter.numel()
                values = total[start:start + count].reshape(tuple(parameter.shape))
                start += count
                if parameter.grad is None:
                    from .. import from_numpy
                    parameter.grad = from_numpy(values.copy())
                else:
                    _write(parameter.grad, values)

    def __getstate__(self):
        """Pickled without its process group and hooks, as PyTorch's (which needs the
        default group to exist)."""
        _default_group()
        state = dict(self.__dict__)
        for name in ("process_group", "_gradient_hooks"):
            state.pop(name, None)
        return state

    def __setstate__(self, state) -> None:
        """Unpickled onto the default process group, its gradient hooks registered again."""
        self.__dict__.update(state)
        self.process_group = _default_group()
        self._register_hooks()

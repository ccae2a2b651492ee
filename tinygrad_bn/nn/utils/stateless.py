"""``torch.nn.utils.stateless.functional_call``: call a module with some of its parameters and
buffers replaced by given tensors (PyTorch 2.0 deprecated it for ``torch.func.
functional_call``, which calls the same ``_functional_call``)."""

import contextlib
import warnings

from ...autograd import graph

__all__ = ["functional_call"]


def _untie_named_tensors_map(module, parameters_and_buffers):
    """With tied weights (one tensor under several names), a value given for one of the names
    is used for all of them; different values for two tied names are refused (PyTorch's)."""
    tied = {}
    for name, tensor in list(module.named_parameters(remove_duplicate=False)) + \
            list(module.named_buffers(remove_duplicate=False)):
        tied.setdefault(id(tensor), set()).add(name)
    tied_names_map = {name: names for names in tied.values() if len(names) > 1 for name in names}
    given = {name for name in parameters_and_buffers if name in tied_names_map}
    for name in given:
        names = tied_names_map[name]
        if len(names & given) > 1 and \
                len({id(parameters_and_buffers[n]) for n in names if n in given}) != 1:
            raise ValueError(
                f"functional_call got multiple values for keys {sorted(names)}, which are tied. "
                "Consider using tie_weights=False"
            )
    untied = dict(parameters_and_buffers)
    for name in given:
        for tied_name in tied_names_map[name]:
            untied[tied_name] = parameters_and_buffers[name]
    return untied


def _swap(module, name, value):
    """Put ``value`` at the dotted ``name`` of ``module``; return what was there (a missing
    attribute gives ``_MISSING``, and deleting is how it is put back)."""
    *path, attribute = name.split(".")
    owner = module
    for part in path:
        owner = getattr(owner, part)
    previous = owner.__dict__.get(attribute, _MISSING)
    graph._Structure.count += 1  # as a module's own assignment: jit plans capture again
    if value is _MISSING:
        del owner.__dict__[attribute]
    else:
        owner.__dict__[attribute] = value  # a plain Tensor where a Parameter was: no check
    return previous


_MISSING = object()


@contextlib.contextmanager
def _reparametrize_module(module, parameters_and_buffers, tie_weights=False, strict=False):
    untied = (_untie_named_tensors_map(module, parameters_and_buffers) if tie_weights
              else parameters_and_buffers)
    if strict:
        valid = {name for name, _ in module.named_parameters(remove_duplicate=False)} | \
            {name for name, _ in module.named_buffers(remove_duplicate=False)}
        missing, unexpected = sorted(valid - set(untied)), sorted(set(untied) - valid)
        messages = []
        if unexpected:
            messages.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            messages.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if messages:
            raise RuntimeError("Error(s) in reparametrizing for {}:\n\t{}".format(
                type(module).__name__, "\n\t".join(messages)))
    originals = {}
    try:
        for name, value in untied.items():
            originals[name] = _swap(module, name, value)
        yield
    finally:
        for name, value in originals.items():
            _swap(module, name, value)


def _functional_call(module, parameters_and_buffers, args=None, kwargs=None, *,
                     tie_weights=True, strict=False):
    """``module(*args, **kwargs)`` with the tensors at the dotted names of
    ``parameters_and_buffers`` in place of its own, which are put back afterwards."""
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize_module(module, parameters_and_buffers, tie_weights=tie_weights,
                               strict=strict):
        return module(*args, **kwargs)


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    """Deprecated (as in PyTorch, with its FutureWarning): ``tinygrad_bn.func.functional_call``
    is the same call."""
    warnings.warn(
        "`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and will be "
        "removed in a future version of PyTorch. Please use `torch.func.functional_call` "
        "instead which is a drop-in replacement.", FutureWarning, stacklevel=2)
    return _functional_call(module, parameters_and_buffers, args, kwargs,
                            tie_weights=tie_weights, strict=strict)

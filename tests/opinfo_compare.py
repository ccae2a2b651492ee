"""What tests/test_opinfo.py and tests/test_module_db.py share: turning PyTorch's sample inputs
into tinygrad_bn's, comparing results with ``torch.testing.assert_close``'s default tolerances
per dtype, and sorting a disagreement into "silent" (a different value, dtype, shape,
requires_grad or gradient without an error) or "error" (tinygrad_bn raised where PyTorch did
not).

Imported only by those two files, after they have checked that PyTorch is installed."""

import dataclasses
import types

import numpy as np
import torch

import tinygrad_bn as tg


def restore_torch_flags():
    """Undoes what importing PyTorch's test helpers does to the process: common_utils calls
    ``torch.backends.disable_global_flags()``, after which setting
    ``torch.backends.cudnn.deterministic`` raises, and other test files here set it."""
    torch.backends.flags_frozen.__globals__["__allow_nonbracketed_mutation_flag"] = True


# PyTorch's dtypes that tinygrad_bn has, and back.
DTYPES = {
    torch.float16: tg.float16, torch.float32: tg.float32, torch.float64: tg.float64,
    torch.uint8: tg.uint8, torch.int8: tg.int8, torch.int16: tg.int16, torch.int32: tg.int32,
    torch.int64: tg.int64, torch.bool: tg.bool,
}
TORCH_DTYPES = {str(ours): theirs for theirs, ours in DTYPES.items()}
# Complex results (torch.complex, torch.polar, view_as_complex, torch.fft of real samples) are
# compared too; complex inputs stay out of scope (DTYPES draws no complex samples).
TORCH_DTYPES.update({"complex64": torch.complex64, "complex128": torch.complex128})


class OutOfScope(Exception):
    """A sample uses something tinygrad_bn does not model (complex numbers, bfloat16, sparse
    layouts, memory formats, generators); the message is the category counted in the summary."""


class Converter:
    """Turns a sample's PyTorch objects into tinygrad_bn's, keeping aliasing (the same torch
    tensor twice becomes the same tinygrad_bn tensor twice) and remembering which leaves
    require grad, in order, so that gradients can be compared pair by pair."""

    def __init__(self, keep_memory=False):
        self.tensors = {}
        self.leaves = []  # (torch leaf, tinygrad_bn leaf)
        # keep_memory: tensors that share memory in PyTorch (an expand, a slice of another
        # argument) share it here too, as NumPy views of one copy of each storage, so that
        # error inputs about overlapping memory (an ``out=`` that is an expand or a view of an
        # input) reach tinygrad_bn as they reach PyTorch. Off for the other samples, whose
        # inputs are separate tensors to tinygrad_bn's autograd (no shared version counter).
        self.keep_memory = keep_memory
        self.storages = {}  # storage address -> (storage, NumPy copy of it, 1-D)

    def __call__(self, x):
        if isinstance(x, torch.Tensor):
            return self.tensor(x)
        if isinstance(x, torch.dtype):
            if x not in DTYPES:
                raise OutOfScope(f"dtype {x}")
            return DTYPES[x]
        if isinstance(x, torch.Size):
            return tuple(x)
        if isinstance(x, torch.device):
            return str(x)
        if isinstance(x, torch.memory_format):  # torch.channels_last: tg.channels_last
            return getattr(tg, str(x).rpartition(".")[2])
        if isinstance(x, torch.layout):
            raise OutOfScope("layouts")
        if isinstance(x, torch.Generator):
            raise OutOfScope("torch.Generator arguments")
        if isinstance(x, complex):
            raise OutOfScope("complex numbers")
        if isinstance(x, torch.nn.Module):
            return self.module(x)
        if callable(x) and x is getattr(torch.nn.functional, getattr(x, "__name__", ""), None):
            # a function argument (TransformerEncoderLayer's activation=F.gelu): ours by name
            if not hasattr(tg.nn.functional, x.__name__):
                raise OutOfScope("torch.nn.functional arguments tinygrad_bn does not provide")
            return getattr(tg.nn.functional, x.__name__)
        if (dataclasses.is_dataclass(x) and not isinstance(x, type)
                and hasattr(tg.nn, type(x).__name__)):
            # an options object (LinearCrossEntropyOptions): ours, field by field
            return getattr(tg.nn, type(x).__name__)(
                **{field.name: self(getattr(x, field.name)) for field in dataclasses.fields(x)})
        if isinstance(x, tuple) and hasattr(x, "_fields"):
            return type(x)(*map(self, x))
        if isinstance(x, (list, tuple)):
            return type(x)(map(self, x))
        if isinstance(x, dict):
            return {k: self(v) for k, v in x.items()}
        return x

    def module(self, x):
        """A PyTorch layer passed to a constructor (TransformerEncoder's encoder_layer) as the
        same tinygrad_bn layer: rebuilt from its hyperparameters, for the classes in
        MODULE_ARGUMENTS, with its state_dict copied in."""
        rebuild = MODULE_ARGUMENTS.get(type(x).__name__)
        if rebuild is None:
            raise OutOfScope(f"{type(x).__name__} objects as arguments")
        ours = rebuild(x, self)
        ours.load_state_dict({name: tg.tensor(value.detach().numpy().copy())
                              for name, value in x.state_dict().items()})
        return ours.to(DTYPES[next(x.parameters()).dtype]).train(x.training)

    def tensor(self, x):
        if id(x) in self.tensors:
            return self.tensors[id(x)][1]
        if x.layout != torch.strided:
            raise OutOfScope("sparse layouts")
        if x.dtype not in DTYPES:
            raise OutOfScope("complex numbers" if x.is_complex() else f"dtype {x.dtype}")
        if x.dim() > 64:
            raise OutOfScope("more than 64 dimensions (NumPy's limit)")
        if x.is_meta:
            raise OutOfScope("meta tensors (no data)")
        if self.keep_memory:
            ours = tg.from_numpy(self._view_of_storage(x.detach()))
        else:
            ours = tg.tensor(x.detach().cpu().numpy().copy(), dtype=DTYPES[x.dtype])
        if x.requires_grad:
            ours.requires_grad_(True)
            if x.is_leaf:
                self.leaves.append((x, ours))
        self.tensors[id(x)] = (x, ours)  # keep x alive so that its id stays unique
        return ours


    def _view_of_storage(self, x):
        """``x``'s elements as a NumPy view (same sizes, strides and offset) of a copy of its
        whole storage, one copy per storage."""
        storage = x.untyped_storage()
        key = storage.data_ptr()
        if key not in self.storages:
            whole = torch.empty(0, dtype=x.dtype).set_(storage, 0,
                                                       (storage.nbytes() // x.element_size(),))
            self.storages[key] = (storage, whole.numpy().copy())
        base = self.storages[key][1]
        item = base.itemsize
        return np.lib.stride_tricks.as_strided(
            base[x.storage_offset():], shape=tuple(x.shape),
            strides=tuple(stride * item for stride in x.stride()))


def _encoder_layer(layer, convert):
    attention = layer.self_attn
    return tg.nn.TransformerEncoderLayer(
        attention.embed_dim, attention.num_heads, layer.linear1.out_features, layer.dropout.p,
        convert(layer.activation), layer.norm1.eps, attention.batch_first, layer.norm_first,
        layer.linear1.bias is not None)


# PyTorch layers that module_db passes to other layers' constructors, rebuilt as ours.
MODULE_ARGUMENTS = {"TransformerEncoderLayer": _encoder_layer}


def to_numpy(x):
    """tinygrad_bn's result as NumPy/Python values, with its dtype kept."""
    if isinstance(x, tg.Tensor):
        return x.detach().numpy()
    return x


class Mismatch(AssertionError):
    """A silent difference; ``kind`` is value, dtype, shape, requires_grad, type or grad."""

    def __init__(self, kind, message):
        super().__init__(f"silent {kind} difference: {message}")
        self.kind = kind


def compare(ours, theirs, where="output", values=True, loose=False):
    """Raises Mismatch unless ``ours`` (tinygrad_bn) equals ``theirs`` (PyTorch) in structure,
    shape, dtype, requires_grad and (when ``values``) value within assert_close's defaults
    (``loose``: within 100 times them)."""
    if isinstance(theirs, torch.Tensor):
        if not isinstance(ours, tg.Tensor):
            raise Mismatch("type", f"{where}: a {type(ours).__name__}, PyTorch gives a Tensor")
        if tuple(ours.shape) != tuple(theirs.shape):
            raise Mismatch("shape", f"{where}: shape {tuple(ours.shape)}, PyTorch "
                                    f"{tuple(theirs.shape)}")
        if TORCH_DTYPES.get(str(ours.dtype)) != theirs.dtype:
            raise Mismatch("dtype", f"{where}: dtype {ours.dtype}, PyTorch {theirs.dtype}")
        if ours.requires_grad != theirs.requires_grad:
            raise Mismatch("requires_grad", f"{where}: requires_grad={ours.requires_grad}, "
                                            f"PyTorch {theirs.requires_grad}")
        if theirs.layout == torch.sparse_coo:  # a sparse result (to_sparse): its dense form
            if not ours.is_sparse:
                raise Mismatch("type", f"{where}: a strided tensor, PyTorch a sparse one")
            ours, theirs = ours.detach().to_dense(), theirs.detach().to_dense()
        if values:
            _close(torch.from_numpy(np.array(ours.detach().numpy(), copy=True)),
                   theirs.detach(), where, loose)
        return
    if isinstance(theirs, (tuple, list)):
        if not isinstance(ours, (tuple, list)) or len(ours) != len(theirs):
            raise Mismatch("type", f"{where}: {type(ours).__name__} of "
                                   f"{len(ours) if isinstance(ours, (tuple, list)) else '-'}, "
                                   f"PyTorch {type(theirs).__name__} of {len(theirs)}")
        for i, (a, b) in enumerate(zip(ours, theirs)):
            compare(a, b, f"{where}[{i}]", values, loose)
        return
    if isinstance(ours, tg.Tensor):
        raise Mismatch("type", f"{where}: a Tensor, PyTorch gives {type(theirs).__name__}")
    if isinstance(theirs, torch.dtype):
        if ours != DTYPES.get(theirs):
            raise Mismatch("value", f"{where}: {ours}, PyTorch {theirs}")
        return
    if type(ours) is not type(theirs) and not (isinstance(ours, (int, float, bool, np.generic))
                                               and isinstance(theirs, (int, float, bool))):
        raise Mismatch("type", f"{where}: {type(ours).__name__}, PyTorch "
                               f"{type(theirs).__name__}")
    if values:
        if isinstance(ours, np.generic):
            ours = ours.item()
        if type(ours) is not type(theirs) and isinstance(theirs, (int, float, bool)):
            raise Mismatch("type", f"{where}: {type(ours).__name__}, PyTorch "
                                   f"{type(theirs).__name__}")
        if isinstance(theirs, (int, float, bool)):
            _close(ours, theirs, where, loose)
        elif ours != theirs:
            raise Mismatch("value", f"{where}: {ours!r}, PyTorch {theirs!r}")


# assert_close's default (rtol, atol) per floating dtype; exact for the others.
TOLERANCES = {torch.float16: (1e-3, 1e-5), torch.float32: (1.3e-6, 1e-5),
              torch.float64: (1e-7, 1e-7)}


def _close(actual, expected, where, loose=False):
    tolerance = {}
    if loose and isinstance(expected, torch.Tensor) and expected.dtype in TOLERANCES:
        rtol, atol = TOLERANCES[expected.dtype]
        tolerance = {"rtol": 100 * rtol, "atol": 100 * atol}
    try:
        torch.testing.assert_close(actual, expected, equal_nan=True, check_device=False,
                                   check_layout=False, check_stride=False, **tolerance)
    except AssertionError as error:
        raise Mismatch("value", f"{where}: {error}") from None


def grad_outputs(outputs):
    """The tensors of an output structure that carry gradients, in order."""
    if isinstance(outputs, (torch.Tensor, tg.Tensor)):
        floating = (outputs.dtype.is_floating_point or outputs.dtype.is_complex
                    if isinstance(outputs, torch.Tensor) else outputs.dtype.kind in "fc")
        return [outputs] if outputs.requires_grad and floating else []
    if isinstance(outputs, (tuple, list)):
        return [t for o in outputs for t in grad_outputs(o)]
    return []


def seeded_grad(shape, dtype):
    """A fixed, non-constant grad_output: -1 .. 1 evenly over the elements (for a complex
    output, ``dtype`` complex128: imaginary parts 1 .. -1)."""
    n = int(np.prod(shape))
    ramp = np.linspace(-1.0, 1.0, n).reshape(tuple(shape))
    if np.dtype(dtype).kind == "c":
        return np.asarray(ramp - 1j * ramp.reshape(-1)[::-1].reshape(tuple(shape)), dtype)
    return ramp.astype(dtype)


def compare_gradients(their_outs, our_outs, leaves, leaf_name, loose=False, values=True):
    """Backpropagate the same seeded gradients (``seeded_grad``, float64) from both libraries'
    outputs to each ``(their_leaf, our_leaf)`` pair of ``leaves`` and compare the gradients
    (a missing one counts as zeros; their values only when ``values``); a difference is a
    ``Mismatch("grad", ...)`` naming ``leaf_name`` and the leaf's index."""
    seeds = [seeded_grad(t.shape, np.complex128 if t.is_complex() else np.float64)
             for t in their_outs]
    their_grads = torch.autograd.grad(their_outs, [t for t, _ in leaves],
                                      [torch.from_numpy(s) for s in seeds], allow_unused=True)
    our_grads = tg.autograd.grad(our_outs, [o for _, o in leaves],
                                 [tg.tensor(s) for s in seeds], allow_unused=True)
    for i, ((their_leaf, our_leaf), a, b) in enumerate(zip(leaves, our_grads, their_grads)):
        a = tg.zeros_like(our_leaf) if a is None else a
        b = torch.zeros_like(their_leaf) if b is None else b
        try:
            compare(a.detach(), b.detach(), f"gradient of {leaf_name} {i}", values=values,
                    loose=loose)
        except Mismatch as error:
            raise Mismatch("grad", str(error)) from None


def shim_function(fn, namespace):
    """``fn`` (a lambda in PyTorch's OpInfo table, such as ``lambda x, c, y: torch.where(c, x,
    y)``) with its global ``torch`` replaced by ``namespace``, so that it calls tinygrad_bn."""
    if not isinstance(fn, types.FunctionType) or "torch" not in fn.__code__.co_names:
        return None
    globals_ = dict(fn.__globals__, torch=namespace)
    return types.FunctionType(fn.__code__, globals_, fn.__name__, fn.__defaults__,
                              fn.__closure__)


class TorchNames:
    """``torch.X`` spelled against tinygrad_bn: tg.X, tg.nn.functional.X, tg.linalg.X; a name
    tinygrad_bn lacks raises AttributeError naming it (the sample then counts as an error)."""

    def __getattr__(self, name):
        return getattr(tg, name)


def register_scope_summary(request, name, headline, not_provided, scope):
    """Have pytest print, once at the end of the run, a suite's ``headline()`` (called then),
    how many of PyTorch's entries tinygrad_bn does not provide (``not_provided``: a sentence
    with the count) and every out-of-scope count in ``scope`` (a Counter): nothing skipped goes
    unsaid. ``name`` keys the plugin, so a module's tests register it once."""

    class Summary:
        def pytest_terminal_summary(self, terminalreporter):
            write = terminalreporter.write_line
            write(headline())
            write(f"  {not_provided}")
            write("  devices other than the CPU (tinygrad_bn has only the CPU)")
            for reason, count in sorted(scope.items()):
                write(f"  {count} {reason}")

    if not request.config.pluginmanager.has_plugin(name):
        request.config.pluginmanager.register(Summary(), name)


"""``out=`` on the module-level functions (tinygrad_bn/tensor/out_argument.py), against PyTorch:
the values written, ``out`` itself returned (a tuple of the outs for values and indices), its
version bumped, its dtype kept; PyTorch's errors (dtype rules per op, autograd, overlap) with
their messages; the resize and its warning."""

import re
import warnings

import numpy as np
import pytest

import tinygrad_bn as tg

A = np.array([[1.5, -2.0, 3.25], [0.5, 4.0, -1.0]], dtype=np.float32)
B = np.array([[2.0, 0.5, -1.5], [1.0, -3.0, 2.5]], dtype=np.float32)
P = np.array([0.25, 1.0, 4.0, 9.0], dtype=np.float32)


def _run(m, call):
    """``call(m)`` with its warnings: (result or exception, [warning texts])."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = call(m)
        except Exception as error:  # noqa: BLE001 - compared with PyTorch's below
            result = error
    # PyTorch appends where in its C++ sources the warning was raised
    texts = [re.sub(r" \(Triggered internally at .*\)$", "", str(w.message), flags=re.S)
             for w in caught if issubclass(w.category, UserWarning)]
    return result, texts


def _values(x):
    if isinstance(x, tuple):
        return tuple(_values(v) for v in x)
    return np.asarray(x.detach().numpy() if hasattr(x, "detach") else x)


def _same(call, values=True):
    """Runs ``call`` with torch and tinygrad_bn; same error and message, or same out."""
    torch = pytest.importorskip("torch")
    theirs, their_warnings = _run(torch, call)
    ours, our_warnings = _run(tg, call)
    if isinstance(theirs, Exception):
        assert type(ours) is type(theirs), f"we gave {ours!r}, PyTorch {theirs!r}"
        assert str(ours) == str(theirs)
        return ours
    assert not isinstance(ours, Exception), f"we raised {ours!r}, PyTorch {theirs!r}"
    assert our_warnings == their_warnings
    their_parts = tuple(theirs) if isinstance(theirs, tuple) else (theirs,)
    our_parts = tuple(ours) if isinstance(ours, tuple) else (ours,)
    assert len(our_parts) == len(their_parts)
    for mine, other in zip(our_parts, their_parts):
        assert str(mine.dtype) == str(other.dtype).replace("torch.", "")
        assert tuple(mine.shape) == tuple(other.shape)
        if values:
            np.testing.assert_allclose(_values(mine), _values(other), rtol=1e-6)
    return ours


def _t(m, array, **kwargs):
    return m.tensor(array, **kwargs)


# (id, call): each call passes an out of the right shape and dtype.
WRITES = [
    ("add", lambda m: m.add(_t(m, A), _t(m, B), alpha=2, out=m.empty(2, 3))),
    ("add-into-float64", lambda m: m.add(_t(m, A), _t(m, B), out=m.empty(2, 3, dtype=m.float64))),
    ("add-int-into-float", lambda m: m.add(_t(m, [1, 2]), _t(m, [3, 4]), out=m.empty(2))),
    ("sub", lambda m: m.sub(_t(m, A), _t(m, B), out=m.empty(2, 3))),
    ("mul-scalar", lambda m: m.mul(_t(m, A), 3, out=m.empty(2, 3))),
    ("div", lambda m: m.div(_t(m, A), _t(m, B), out=m.empty(2, 3))),
    ("div-floor", lambda m: m.div(_t(m, A), _t(m, B), rounding_mode="floor", out=m.empty(2, 3))),
    ("exp", lambda m: m.exp(_t(m, A), out=m.empty(2, 3))),
    ("exp-int-into-float64", lambda m: m.exp(_t(m, [1, 2]), out=m.empty(2, dtype=m.float64))),
    ("log", lambda m: m.log(_t(m, P), out=m.empty(4))),
    ("sqrt", lambda m: m.sqrt(_t(m, P), out=m.empty(4, dtype=m.float64))),
    ("abs", lambda m: m.abs(_t(m, A), out=m.empty(2, 3))),
    ("clamp", lambda m: m.clamp(_t(m, A), -1, 2, out=m.empty(2, 3))),
    ("where", lambda m: m.where(_t(m, A) > 0, _t(m, A), _t(m, B), out=m.empty(2, 3))),
    ("matmul", lambda m: m.matmul(_t(m, A), _t(m, B).T, out=m.empty(2, 2))),
    ("mm", lambda m: m.mm(_t(m, A), _t(m, B).T, out=m.empty(2, 2))),
    ("bmm", lambda m: m.bmm(_t(m, A)[None], _t(m, B).T[None], out=m.empty(1, 2, 2))),
    ("sum", lambda m: m.sum(_t(m, A), 1, out=m.empty(2))),
    ("sum-keepdim", lambda m: m.sum(_t(m, A), 0, keepdim=True, out=m.empty(1, 3))),
    ("sum-into-int64", lambda m: m.sum(_t(m, A), 0, out=m.empty(3, dtype=m.int64))),
    ("mean", lambda m: m.mean(_t(m, A), 0, out=m.empty(3))),
    ("mean-into-float64", lambda m: m.mean(_t(m, A), 1, out=m.empty(2, dtype=m.float64))),
    ("cat", lambda m: m.cat([_t(m, A), _t(m, B)], 1, out=m.empty(2, 6))),
    ("cat-into-float64", lambda m: m.cat([_t(m, A), _t(m, B)], out=m.empty(4, 3, dtype=m.float64))),
    ("stack", lambda m: m.stack([_t(m, A), _t(m, B)], out=m.empty(2, 2, 3))),
    ("max", lambda m: m.max(_t(m, A), 1, out=(m.empty(2), m.empty(2, dtype=m.int64)))),
    ("min-keepdim", lambda m: m.min(_t(m, A), 0, keepdim=True,
                                   out=[m.empty(1, 3), m.empty(1, 3, dtype=m.int64)])),
    ("max-all", lambda m: m.max(_t(m, A), out=m.empty((), dtype=m.float64))),
    ("max-binary", lambda m: m.max(_t(m, A), _t(m, B), out=m.empty(2, 3))),
    ("sort", lambda m: m.sort(_t(m, A), 1, descending=True,
                              out=(m.empty(2, 3), m.empty(2, 3, dtype=m.int64)))),
    ("topk", lambda m: m.topk(_t(m, A), 2, out=(m.empty(2, 2), m.empty(2, 2, dtype=m.int64)))),
    ("amax", lambda m: m.amax(_t(m, A), 0, out=m.empty(3))),
    ("amin", lambda m: m.amin(_t(m, A), 1, out=m.empty(2))),
    ("aminmax", lambda m: m.aminmax(_t(m, A), dim=0, out=(m.empty(3), m.empty(3)))),
    ("gather", lambda m: m.gather(_t(m, A), 1, _t(m, [[2, 0], [1, 1]]), out=m.empty(2, 2))),
    ("index_select", lambda m: m.index_select(_t(m, A), 1, _t(m, [2, 0]), out=m.empty(2, 2))),
    ("masked_select", lambda m: m.masked_select(_t(m, A), _t(m, A) > 0, out=m.empty(4))),
    ("kthvalue", lambda m: m.kthvalue(_t(m, A), 2, out=(m.empty(2), m.empty(2, dtype=m.int64)))),
    ("arange", lambda m: m.arange(1, 7, 2, out=m.empty(3, dtype=m.float64))),
    ("arange-int32", lambda m: m.arange(5, out=m.empty(5, dtype=m.int32))),
    ("bernoulli", lambda m: m.bernoulli(_t(m, [0.0, 1.0, 1.0, 0.0]), out=m.empty(4))),
    ("bernoulli-into-bool", lambda m: m.bernoulli(_t(m, [0.0, 1.0]),
                                                  out=m.empty(2, dtype=m.bool))),
    ("multinomial", lambda m: m.multinomial(_t(m, [[0.0, 1.0, 0.0]]), 1,
                                            out=m.empty(1, 1, dtype=m.int64))),
]


@pytest.mark.parametrize("call", [c for _, c in WRITES], ids=[i for i, _ in WRITES])
def test_out_is_written_and_returned_as_pytorch(call):
    _same(call)


@pytest.mark.parametrize("call", [c for _, c in WRITES], ids=[i for i, _ in WRITES])
def test_out_itself_is_returned_and_its_version_bumped(call):
    outs = []

    class Recording:  # tinygrad_bn, with each out= recorded
        def __getattr__(self, name):
            function = getattr(tg, name)
            if not callable(function) or name in ("tensor", "empty"):
                return function

            def recording(*args, **kwargs):
                if "out" in kwargs:
                    given = kwargs["out"]
                    outs.append((given, [o._version for o in
                                         (given if isinstance(given, (list, tuple)) else [given])]))
                return function(*args, **kwargs)
            return recording

    result = call(Recording())
    (given, versions), = outs
    if isinstance(given, (list, tuple)):
        assert isinstance(result, tuple) and len(result) == len(given)
        assert all(r is g for r, g in zip(result, given))
        assert [g._version for g in given] == [v + 1 for v in versions]
        assert hasattr(result, "_fields")  # values, indices by name as well
    else:
        assert result is given
        assert given._version == versions[0] + 1


ERRORS = [
    # CAST: PyTorch's can_cast
    ("add-float-into-int", lambda m: m.add(_t(m, A), _t(m, B), out=m.empty(2, 3, dtype=m.int64))),
    ("mul-float-into-bool", lambda m: m.mul(_t(m, A), 2, out=m.empty(2, 3, dtype=m.bool))),
    ("div-int-into-int", lambda m: m.div(_t(m, [1, 2]), _t(m, [3, 4]),
                                         out=m.empty(2, dtype=m.int64))),
    ("exp-into-int", lambda m: m.exp(_t(m, A), out=m.empty(2, 3, dtype=m.int64))),
    ("mean-into-int", lambda m: m.mean(_t(m, A), 0, out=m.empty(3, dtype=m.int64))),
    ("max-binary-into-int", lambda m: m.max(_t(m, A), _t(m, B), out=m.empty(2, 3, dtype=m.int32))),
    # the same dtype exactly, each op in its words
    ("mm-float64", lambda m: m.mm(_t(m, A), _t(m, B).T, out=m.empty(2, 2, dtype=m.float64))),
    ("matmul-float64", lambda m: m.matmul(_t(m, A), _t(m, B).T,
                                          out=m.empty(2, 2, dtype=m.float64))),
    ("bmm-float16", lambda m: m.bmm(_t(m, A)[None], _t(m, B).T[None],
                                    out=m.empty(1, 2, 2, dtype=m.float16))),
    ("abs-float64", lambda m: m.abs(_t(m, A), out=m.empty(2, 3, dtype=m.float64))),
    ("clamp-int", lambda m: m.clamp(_t(m, A), 0, 1, out=m.empty(2, 3, dtype=m.int64))),
    ("where-float64", lambda m: m.where(_t(m, A) > 0, _t(m, A), _t(m, B),
                                        out=m.empty(2, 3, dtype=m.float64))),
    ("max-dim-values", lambda m: m.max(_t(m, A), 1, out=(m.empty(2, dtype=m.float64),
                                                          m.empty(2, dtype=m.int64)))),
    ("max-dim-indices", lambda m: m.max(_t(m, A), 1, out=(m.empty(2), m.empty(2, dtype=m.int32)))),
    ("sort-values", lambda m: m.sort(_t(m, A), out=(m.empty(2, 3, dtype=m.float64),
                                                     m.empty(2, 3, dtype=m.int64)))),
    ("topk-indices", lambda m: m.topk(_t(m, A), 2, out=(m.empty(2, 2),
                                                         m.empty(2, 2, dtype=m.int32)))),
    ("amax-int", lambda m: m.amax(_t(m, A), 0, out=m.empty(3, dtype=m.int32))),
    ("amin-float64", lambda m: m.amin(_t(m, A), 0, out=m.empty(3, dtype=m.float64))),
    ("aminmax-max", lambda m: m.aminmax(_t(m, A), dim=0, out=(m.empty(3),
                                                              m.empty(3, dtype=m.float64)))),
    ("gather-float64", lambda m: m.gather(_t(m, A), 1, _t(m, [[0], [1]]),
                                          out=m.empty(2, 1, dtype=m.float64))),
    ("index_select-float64", lambda m: m.index_select(_t(m, A), 1, _t(m, [0]),
                                                      out=m.empty(2, 1, dtype=m.float64))),
    ("masked_select-float64", lambda m: m.masked_select(_t(m, A), _t(m, A) > 0,
                                                        out=m.empty(4, dtype=m.float64))),
    ("kthvalue-values", lambda m: m.kthvalue(_t(m, A), 1, out=(m.empty(2, dtype=m.float64),
                                                               m.empty(2, dtype=m.int64)))),
    ("kthvalue-indices", lambda m: m.kthvalue(_t(m, A), 1, out=(m.empty(2),
                                                                m.empty(2, dtype=m.int32)))),
    ("multinomial-int32", lambda m: m.multinomial(_t(m, [[0.0, 0.0]]), 1,
                                                  out=m.empty(1, 1, dtype=m.int32))),
    ("cat-into-int", lambda m: m.cat([_t(m, A), _t(m, B)], out=m.empty(4, 3, dtype=m.int64))),
    ("stack-into-int", lambda m: m.stack([_t(m, A), _t(m, B)],
                                         out=m.empty(2, 2, 3, dtype=m.int64))),
    ("arange-dtype", lambda m: m.arange(5, dtype=m.float32, out=m.empty(5, dtype=m.float64))),
    ("arange-step", lambda m: m.arange(0, 64, 0.5, out=m.empty(0, dtype=m.int64))),
    # a dtype= given with out= must be out's dtype
    ("sum-dtype-float64", lambda m: m.sum(_t(m, A), 0, dtype=m.float64, out=m.empty(3))),
    ("sum-dtype-int64", lambda m: m.sum(_t(m, A), 0, dtype=m.int64, out=m.empty(3))),
    ("mean-dtype", lambda m: m.mean(_t(m, A), 0, dtype=m.float64, out=m.empty(3))),
    ("cumsum-dtype", lambda m: m.cumsum(_t(m, A), 1, dtype=m.float64, out=m.empty(2, 3))),
    ("prod-dtype", lambda m: m.prod(_t(m, A), 1, dtype=m.float64, out=m.empty(2))),
    # out of the wrong kind
    ("out-list", lambda m: m.add(_t(m, A), _t(m, B), out=[m.empty(2, 3)])),
    ("out-short-tuple", lambda m: m.max(_t(m, A), 1, out=(m.empty(2),))),
    # the function's own errors come before out's
    ("cat-tensor", lambda m: m.cat(_t(m, A), out=m.empty(2, 3, dtype=m.float64))),
]


@pytest.mark.parametrize("call", [c for _, c in ERRORS], ids=[i for i, _ in ERRORS])
def test_refused_as_pytorch(call):
    error = _same(call)
    assert isinstance(error, Exception)


def _grad_input(m):
    return m.tensor(A, requires_grad=True)


AUTOGRAD = [
    ("add", lambda m: m.add(_grad_input(m), _t(m, B), out=m.empty(2, 3))),
    ("sum", lambda m: m.sum(_grad_input(m), 0, out=m.empty(3))),
    ("mm", lambda m: m.mm(_t(m, A), _grad_input(m).T, out=m.empty(2, 2))),
    ("cat", lambda m: m.cat([_t(m, A), _grad_input(m)], out=m.empty(4, 3))),
    ("max", lambda m: m.max(_grad_input(m), 1, out=(m.empty(2), m.empty(2, dtype=m.int64)))),
    ("out-requires-grad", lambda m: m.exp(_t(m, A), out=m.empty(2, 3, requires_grad=True))),
]


@pytest.mark.parametrize("call", [c for _, c in AUTOGRAD], ids=[i for i, _ in AUTOGRAD])
def test_autograd_refused_as_pytorch(call):
    error = _same(call)
    assert isinstance(error, RuntimeError)
    assert "functions with out=... arguments don't support automatic differentiation" in str(error)


def test_without_grad_mode_out_is_written_and_does_not_require_grad():
    x = tg.tensor(A, requires_grad=True)
    out = tg.empty(3)
    with tg.no_grad():
        result = tg.sum(x, 0, out=out)
    assert result is out and not out.requires_grad and out.grad_fn is None
    np.testing.assert_allclose(out.numpy(), A.sum(0))


OVERLAPS = [
    ("exp-same-tensor", lambda m: (lambda x: m.exp(x, out=x))(_t(m, A))),
    ("exp-partial", lambda m: (lambda x: m.exp(x[:, :2], out=x[:, 1:]))(_t(m, A))),
    ("add-transposed", lambda m: (lambda x: m.add(x, 1, out=x.T))(_t(m, A[:, :2].copy()))),
    ("cat-into-input", lambda m: (lambda x: m.cat([x, x], out=x))(_t(m, A))),
    ("stack-into-input", lambda m: (lambda x: m.stack([x, x], out=x))(_t(m, A))),
    ("gather-into-input", lambda m: (lambda x: m.gather(x, 0, _t(m, [1, 0, 2]), out=x))(
        _t(m, P[:3].copy()))),
    ("kthvalue-into-input", lambda m: (lambda x: m.kthvalue(
        x, 2, out=(x, m.empty((), dtype=m.int64))))(_t(m, P))),
    ("add-shifted", lambda m: (lambda x: m.add(x[:2], 1, out=x[1:3]))(_t(m, P))),
    ("exp-other-row", lambda m: (lambda x: (m.exp(x[0], out=x[1]), x)[1])(_t(m, A))),
    ("cat-disjoint", lambda m: (lambda x: (m.cat([x[:2]], out=x[2:]), x)[1])(_t(m, P))),
    ("expanded-one-element-out", lambda m: m.exp(_t(m, [0.5]), out=m.ones(1).expand(1))),
    ("expanded-out", lambda m: m.exp(_t(m, A), out=m.ones(1, 3).expand(2, 3))),
    ("into-view", lambda m: (lambda base: (m.add(_t(m, A), 1, out=base[:, 1:]), base)[1])(
        m.zeros(2, 4))),
    # an expanded out of another shape: refused before any resize, except by reductions
    ("exp-expanded-other-shape", lambda m: m.exp(_t(m, P[:2]), out=m.zeros(1).expand(5))),
    ("index_select-expanded-other-shape", lambda m: m.index_select(
        _t(m, A), 1, _t(m, [0, 1]), out=m.zeros(1, 1).expand(3, 2))),
    ("masked_select-expanded", lambda m: m.masked_select(_t(m, A), _t(m, A) > 0,
                                                         out=m.zeros(1).expand(3))),
    ("bernoulli-expanded", lambda m: m.bernoulli(_t(m, P[:3] / 9), out=m.zeros(1).expand(3))),
    ("sum-expanded-other-shape", lambda m: m.sum(_t(m, A), 1, out=m.zeros(1).expand(5))),
]


@pytest.mark.parametrize("call", [c for _, c in OVERLAPS], ids=[i for i, _ in OVERLAPS])
def test_overlap_as_pytorch(call):
    _same(call)


RESIZES = [
    ("add-nonempty", lambda m: m.add(_t(m, A), _t(m, B), out=m.empty(4))),
    ("add-empty", lambda m: m.add(_t(m, A), _t(m, B), out=m.empty(0))),
    ("sum", lambda m: m.sum(_t(m, A), 1, out=m.empty(2, 2))),
    ("max", lambda m: m.max(_t(m, A), 1, out=(m.empty(0), m.empty(5, dtype=m.int64)))),
    ("masked_select", lambda m: m.masked_select(_t(m, A), _t(m, A) > 0, out=m.empty(6))),
    ("arange", lambda m: m.arange(5, out=m.empty(3, dtype=m.float64))),
    ("arange-empty", lambda m: m.arange(5, out=m.empty(0, dtype=m.float64))),
]


@pytest.mark.parametrize("call", [c for _, c in RESIZES], ids=[i for i, _ in RESIZES])
def test_resize_and_its_warning_as_pytorch(call):
    _same(call)


def test_resize_without_torch():
    out = tg.empty(4)
    with pytest.warns(UserWarning, match=re.escape(
            "An output with one or more elements was resized since it had shape [4], which "
            "does not match the required output shape [2, 3].")):
        result = tg.add(tg.tensor(A), tg.tensor(B), out=out)
    assert result is out and out.shape == (2, 3)
    np.testing.assert_allclose(out.numpy(), A + B)


def test_errors_without_torch():
    a, b = tg.tensor(A), tg.tensor(B)
    with pytest.raises(RuntimeError, match="^result type Float can't be cast to the desired "
                                           "output type Long$"):
        tg.add(a, b, out=tg.empty(2, 3, dtype=tg.int64))
    with pytest.raises(RuntimeError, match="^Expected out tensor to have dtype float, but got "
                                           "double instead$"):
        tg.mm(a, b.T, out=tg.empty(2, 2, dtype=tg.float64))
    with pytest.raises(RuntimeError, match=re.escape(
            "add(): functions with out=... arguments don't support automatic differentiation, "
            "but one of the arguments requires grad.")):
        tg.add(a.requires_grad_(), b, out=tg.empty(2, 3))
    with pytest.raises(RuntimeError, match="^unsupported operation: some elements of the input "
                                           "tensor and the written-to tensor refer to a single"):
        tg.cat([b, b], out=b)
    with pytest.raises(TypeError, match=r"^add\(\): argument 'out' must be Tensor, not int$"):
        tg.add(b, b, out=3)


def test_method_forms_take_no_out():
    """PyTorch's Tensor methods have no out=; only the module-level functions do."""
    with pytest.raises(TypeError):
        tg.tensor(A).add(tg.tensor(B), out=tg.empty(2, 3))


UNARY = ["exp", "log", "sqrt", "abs", "neg", "sin", "cos", "tanh", "sigmoid", "log2", "log1p",
         "expm1", "rsqrt", "erf", "square", "floor", "ceil", "round", "sign", "trunc",
         "logical_not"]
BINARY = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "remainder", "fmod",
          "floor_divide", "atan2", "eq", "ne", "lt", "le", "gt", "ge", "logical_and",
          "logical_or", "logical_xor"]
OUT_DTYPES = ["float32", "float64", "int64", "bool"]


@pytest.mark.parametrize("out_dtype", OUT_DTYPES)
@pytest.mark.parametrize("name", UNARY)
def test_unary_functions_as_pytorch(name, out_dtype):
    """Each elementwise function's dtype rule (can_cast, or the same dtype exactly) and values."""
    _same(lambda m: getattr(m, name)(_t(m, np.abs(A) + 0.25),
                                     out=m.empty(2, 3, dtype=getattr(m, out_dtype))))


@pytest.mark.parametrize("out_dtype", OUT_DTYPES)
@pytest.mark.parametrize("name", BINARY)
def test_binary_functions_as_pytorch(name, out_dtype):
    _same(lambda m: getattr(m, name)(_t(m, A), _t(m, B),
                                     out=m.empty(2, 3, dtype=getattr(m, out_dtype))))


@pytest.mark.parametrize("out_dtype", ["float32", "float64", "int32", "int64"])
@pytest.mark.parametrize("name", ["cumsum", "prod", "argmax", "argmin", "sum", "mean"])
def test_reductions_as_pytorch(name, out_dtype):
    _same(lambda m: getattr(m, name)(_t(m, A), 1, out=m.empty(0, dtype=getattr(m, out_dtype))))

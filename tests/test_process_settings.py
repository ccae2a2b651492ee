"""What scripts set and read about the process and the dtypes before they train: ``finfo`` /
``iinfo``, ``set_num_threads``, ``set_float32_matmul_precision``, the deterministic mode,
``fork_rng``, the ``bfloat16`` name, and a real tensor's complex-number surface; each as
PyTorch 2.13 behaves (compared with it when it is installed)."""

import pickle
import warnings

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import process_settings

FLOATS = ["float16", "float32", "float64"]
INTEGERS = ["uint8", "int8", "int16", "int32", "int64"]


# ---------------------------------------------------------------------------- finfo and iinfo

def test_finfo_gives_the_ieee_limits_of_each_float_dtype():
    assert tg.finfo(tg.float32).eps == 2.0 ** -23
    assert tg.finfo(tg.float64).eps == 2.0 ** -52
    assert tg.finfo(tg.float16).max == 65504.0 and tg.finfo(tg.float16).min == -65504.0
    assert tg.finfo(tg.float16).tiny == tg.finfo(tg.float16).smallest_normal == 2.0 ** -14
    assert tg.finfo(tg.float32).resolution == 1e-06 and tg.finfo(tg.float16).resolution == 0.001
    assert tg.finfo(tg.float64).bits == 64 and tg.finfo(tg.float64).dtype == "float64"
    assert tg.finfo() == tg.finfo(tg.get_default_dtype())


def test_iinfo_gives_the_limits_of_each_integer_dtype():
    assert (tg.iinfo(tg.int8).min, tg.iinfo(tg.int8).max) == (-128, 127)
    assert (tg.iinfo(tg.uint8).min, tg.iinfo(tg.uint8).max) == (0, 255)
    assert tg.iinfo(tg.int64).max == 2 ** 63 - 1 and tg.iinfo(tg.int64).bits == 64
    assert repr(tg.iinfo(tg.int8)) == "iinfo(min=-128, max=127, dtype=int8)"


@pytest.mark.parametrize("name", FLOATS)
def test_finfo_equals_pytorchs_field_by_field_and_in_its_repr(name):
    torch = pytest.importorskip("torch")
    ours, theirs = tg.finfo(getattr(tg, name)), torch.finfo(getattr(torch, name))
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, field) == getattr(theirs, field), field
        assert type(getattr(ours, field)) is type(getattr(theirs, field)), field
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("name", INTEGERS)
def test_iinfo_equals_pytorchs_field_by_field_and_in_its_repr(name):
    torch = pytest.importorskip("torch")
    ours, theirs = tg.iinfo(getattr(tg, name)), torch.iinfo(getattr(torch, name))
    assert (ours.bits, ours.min, ours.max, ours.dtype) == \
        (theirs.bits, theirs.min, theirs.max, theirs.dtype)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("call, message", [
    (lambda: tg.finfo(tg.int32), "torch.finfo() requires a floating point input type. Use "
                                 "torch.iinfo to handle 'torch.finfo'"),
    (lambda: tg.iinfo(tg.float32), "torch.iinfo() requires an integer input type. Use "
                                   "torch.finfo to handle 'torch.iinfo'"),
    (lambda: tg.iinfo(tg.bool), "torch.bool is not supported by torch.iinfo"),
    (lambda: tg.finfo("float32"), "finfo(): argument 'type' (position 1) must be torch.dtype, "
                                  "not str"),
    (lambda: tg.finfo(tg.bfloat16), "unsupported dtype bfloat16"),
])
def test_finfo_and_iinfo_refuse_the_wrong_kind_of_dtype_with_pytorchs_message(call, message):
    with pytest.raises(TypeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()


def test_finfo_is_equal_by_dtype_and_unhashable_as_pytorchs():
    assert tg.finfo(tg.float32) == tg.finfo(tg.float32) != tg.finfo(tg.float64)
    with pytest.raises(TypeError, match="unhashable"):
        hash(tg.finfo(tg.float32))


# ---------------------------------------------------------------------------- threads

def test_set_num_threads_sets_the_blas_pool_that_get_num_threads_reads():
    before = tg.get_num_threads()
    try:
        tg.set_num_threads(1)
        assert tg.get_num_threads() == 1
        blas = process_settings._blas()
        assert blas is not None, "NumPy's wheel links OpenBLAS, whose threads must be found"
        assert blas[1]() == 1  # the library's own count, not a remembered number
        tg.set_num_threads(2)
        assert tg.get_num_threads() == 2
    finally:
        tg.set_num_threads(before)


@pytest.mark.parametrize("value, message", [
    (0, "set_num_threads expects a positive integer"),
    (-1, "set_num_threads expects a positive integer"),
    (1.5, "set_num_threads expects an int, but got float"),
    ("2", "set_num_threads expects an int, but got str"),
    (True, "set_num_threads expects an int, but got bool"),
])
def test_set_num_threads_refuses_what_pytorch_refuses(value, message):
    with pytest.raises(RuntimeError, match=message):
        tg.set_num_threads(value)


def test_set_num_threads_warns_when_no_blas_library_can_be_set(monkeypatch):
    monkeypatch.setattr(process_settings, "_blas_threads", [None])
    monkeypatch.setattr(process_settings, "_requested_threads", [4])
    with pytest.warns(RuntimeWarning, match="set_num_threads has no effect"):
        tg.set_num_threads(3)
    assert tg.get_num_threads() == 3


# ---------------------------------------------------------------------------- matmul precision

def test_float32_matmul_precision_is_kept_and_an_unknown_name_warns_and_changes_nothing():
    assert tg.get_float32_matmul_precision() == "highest"
    try:
        tg.set_float32_matmul_precision("high")
        assert tg.get_float32_matmul_precision() == "high"
        with pytest.warns(UserWarning, match="low is not one of 'highest', 'high', or 'medium'; "
                                             "the currentsetFloat32MatmulPrecision call has no "
                                             "effect."):
            tg.set_float32_matmul_precision("low")
        assert tg.get_float32_matmul_precision() == "high"
        with pytest.raises(RuntimeError, match="set_float32_matmul_precision expects a str, "
                                               "but got int"):
            tg.set_float32_matmul_precision(3)
    finally:
        tg.set_float32_matmul_precision("highest")


def test_float32_matmul_precision_does_not_change_a_product():
    a, b = tg.randn(8, 8), tg.randn(8, 8)
    highest = (a @ b).numpy().copy()
    try:
        tg.set_float32_matmul_precision("medium")
        np.testing.assert_array_equal((a @ b).numpy(), highest)
    finally:
        tg.set_float32_matmul_precision("highest")


# ---------------------------------------------------------------------------- determinism

def test_deterministic_mode_flags_and_debug_mode_move_together_as_pytorchs():
    try:
        assert not tg.are_deterministic_algorithms_enabled()
        tg.use_deterministic_algorithms(True, warn_only=True)
        assert tg.are_deterministic_algorithms_enabled()
        assert tg.is_deterministic_algorithms_warn_only_enabled()
        assert tg.get_deterministic_debug_mode() == 1
        tg.set_deterministic_debug_mode("error")
        assert tg.get_deterministic_debug_mode() == 2
        assert not tg.is_deterministic_algorithms_warn_only_enabled()
        tg.use_deterministic_algorithms(False, warn_only=True)
        assert tg.get_deterministic_debug_mode() == 0
        assert tg.is_deterministic_algorithms_warn_only_enabled()
    finally:
        tg.use_deterministic_algorithms(False)


@pytest.mark.parametrize("call, error, message", [
    (lambda: tg.use_deterministic_algorithms("yes"), TypeError,
     "_set_deterministic_algorithms(): argument 'mode' (position 1) must be bool, not str"),
    (lambda: tg.use_deterministic_algorithms(1), TypeError,
     "_set_deterministic_algorithms(): argument 'mode' (position 1) must be bool, not int"),
    (lambda: tg.set_deterministic_debug_mode("x"), RuntimeError,
     "invalid value of debug_mode, expected one of `default`, `warn`, `error`, but got x"),
    (lambda: tg.set_deterministic_debug_mode(3), RuntimeError,
     "invalid value of debug_mode, expected 0, 1, or 2, but got 3"),
    (lambda: tg.set_deterministic_debug_mode(1.0), TypeError,
     "debug_mode must be str or int, but got <class 'float'>"),
])
def test_deterministic_mode_refuses_bad_values_with_pytorchs_messages(call, error, message):
    with pytest.raises(error) as raised:
        call()
    assert str(raised.value) == message
    assert not tg.are_deterministic_algorithms_enabled()


# ---------------------------------------------------------------------------- fork_rng

def test_fork_rng_restores_the_default_generator_after_the_block():
    tg.manual_seed(3)
    with tg.random.fork_rng():
        inside = tg.rand(4).tolist()
    after = tg.rand(4).tolist()
    assert inside == after
    with pytest.raises(ValueError):
        with tg.random.fork_rng():
            tg.rand(4)
            raise ValueError
    assert tg.rand(4).tolist() != after
    tg.manual_seed(3)
    with tg.random.fork_rng(enabled=False):
        tg.rand(4)
    assert tg.rand(4).tolist() != inside


# ---------------------------------------------------------------------------- bfloat16

def test_bfloat16_exists_as_a_name_and_pickles_to_itself():
    table = {"float16": tg.float16, "bfloat16": tg.bfloat16}  # nanoGPT's dtype table
    assert repr(table["bfloat16"]) == "bfloat16"
    assert pickle.loads(pickle.dumps(tg.bfloat16)) is tg.bfloat16
    assert tg.float32 != tg.bfloat16 and tg.bfloat16.is_floating_point


@pytest.mark.parametrize("call", [
    lambda: tg.zeros(2, dtype=tg.bfloat16), lambda: tg.tensor([1.0], dtype=tg.bfloat16),
    lambda: tg.ones(2).to(tg.bfloat16), lambda: tg.ones(2).bfloat16(),
    lambda: tg.ones(2).to(dtype=tg.bfloat16),
])
def test_any_use_of_bfloat16_raises_an_error_naming_it(call):
    with pytest.raises(TypeError, match=r"unsupported dtype bfloat16: tinygrad_bn tensors hold "
                                        r".*\(NumPy has no bfloat16\)"):
        call()


# ---------------------------------------------------------------------------- dtypes in to()

def test_to_accepts_numpy_scalar_types_as_dtypes():
    assert tg.ones(2).to(np.float64).dtype == tg.float64
    assert tg.ones(2).to(np.int32).dtype == tg.int32
    other = tg.zeros(1, dtype=tg.float16)
    assert tg.ones(2).to(other).dtype == tg.float16


# ---------------------------------------------------------------------------- real tensors' complex surface

def test_a_real_tensor_is_its_own_conjugate_and_real_part_as_in_pytorch():
    x = tg.tensor([[-1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert x.conj() is x and x.real is x and x.resolve_conj() is x and x.conj_physical() is x
    assert tg.conj(x) is x and tg.real(x) is x
    assert not x.is_complex() and not tg.is_complex(x) and not x.is_conj()
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with "
                                           "non-complex dtypes."):
        x.imag
    with pytest.raises(RuntimeError, match="imag is not implemented"):
        tg.imag(x)


def test_H_and_adjoint_transpose_a_matrix_as_views_and_refuse_other_ranks():
    x = tg.arange(6.0).reshape(2, 3)
    assert x.H.shape == (3, 2) and x.adjoint().shape == (3, 2)
    assert np.shares_memory(x.H.numpy(), x.numpy())
    assert tg.ones(4, 2, 3).adjoint().shape == (4, 3, 2)
    with pytest.raises(RuntimeError) as raised:
        tg.ones(2, 2, 2).H
    assert str(raised.value) == ("tensor.H is only supported on matrices (2-D tensors). Got 3-D "
                                 "tensor. For batches of matrices, consider using tensor.mH")
    with pytest.raises(RuntimeError) as raised:
        tg.ones(3).H
    assert str(raised.value) == "tensor.H is only supported on matrices (2-D tensors). Got 1-D tensor."
    with pytest.raises(RuntimeError, match=r"tensor.adjoint\(\) is only supported on matrices or "
                                           r"batches of matrices. Got 1-D tensor."):
        tg.ones(3).adjoint()


def test_H_gradient_flows_back_transposed():
    x = tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=tg.float64, requires_grad=True)
    weights = tg.arange(6.0, dtype=tg.float64).reshape(3, 2)
    (x.H * weights).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), weights.numpy().T)


def test_pin_memory_is_refused_without_an_accelerator_as_pytorch_refuses():
    x = tg.ones(2)
    assert not x.is_pinned()
    with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is "
                                           "available."):
        x.pin_memory()


def test_gpu_flags_scripts_set_exist_with_pytorchs_defaults():
    assert tg.backends.cuda.matmul.allow_tf32 is False
    assert tg.backends.cudnn.allow_tf32 is True
    tg.backends.cuda.matmul.allow_tf32 = True  # what nanoGPT's train.py does
    tg.backends.cuda.matmul.allow_tf32 = False
    assert tg.cuda.is_bf16_supported() is False


@pytest.mark.parametrize("name", ["allow_tf32", "allow_fp16_reduced_precision_reduction",
                                  "allow_bf16_reduced_precision_reduction"])
def test_gpu_matmul_flag_defaults_equal_pytorchs(name):
    torch = pytest.importorskip("torch")
    assert getattr(tg.backends.cuda.matmul, name) == getattr(torch.backends.cuda.matmul, name)


def test_no_warning_from_the_settings_a_script_makes_at_its_top():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        threads = tg.get_num_threads()
        tg.set_num_threads(threads)
        tg.set_float32_matmul_precision("highest")
        tg.use_deterministic_algorithms(False)


# ---------------------------------------------------------------------------- frombuffer

def test_frombuffer_shares_the_buffers_memory():
    buffer = bytearray(b"\x00\x00\x80\x3f\x00\x00\x00\x40")
    t = tg.frombuffer(buffer, dtype=tg.float32)
    assert t.tolist() == [1.0, 2.0] and t.is_leaf
    buffer[3] = 0x40
    assert t.tolist() == [4.0, 2.0]
    t[1] = 0.0
    assert bytes(buffer[4:]) == b"\x00\x00\x00\x00"
    part = tg.frombuffer(bytearray(16), dtype=tg.int32, count=2, offset=4)
    assert part.tolist() == [0, 0]
    assert tg.frombuffer(bytearray(8), dtype=tg.float32, requires_grad=True).requires_grad


def test_frombuffer_of_read_only_bytes_warns_and_refuses_writes():
    from tinygrad_bn import creation

    creation._READ_ONLY_BUFFER_WARNED[0] = False
    with pytest.warns(UserWarning, match="The given buffer is not writable"):
        t = tg.frombuffer(b"abcd", dtype=tg.uint8)
    assert t.tolist() == [97, 98, 99, 100]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per program, as PyTorch's
        tg.frombuffer(b"efgh", dtype=tg.uint8)
    with pytest.raises(RuntimeError, match="the tensor's memory is read-only"):
        t.add_(1)


@pytest.mark.parametrize("arguments, message", [
    (dict(count=5), r"requested buffer length \(5 \* 4 bytes\) after offset \(0 bytes\) must "
                    r"not be greater than actual buffer length \(16 bytes\)"),
    (dict(offset=16), r"offset \(16 bytes\) must be non-negative and no greater than buffer "
                      r"length \(16 bytes\) minus 1"),
    (dict(offset=-1), r"offset \(-1 bytes\) must be non-negative"),
    (dict(count=0), r"both buffer length \(16\) and count \(0\) must not be 0"),
])
def test_frombuffer_refuses_bad_counts_and_offsets_with_pytorchs_messages(arguments, message):
    with pytest.raises(ValueError, match=message):
        tg.frombuffer(bytearray(16), dtype=tg.int32, **arguments)


def test_frombuffer_refuses_a_length_that_is_not_whole_elements_and_a_non_buffer():
    with pytest.raises(ValueError, match=r"buffer length \(6 bytes\) after offset \(0 bytes\) "
                                         r"must be a multiple of element size \(4\)"):
        tg.frombuffer(bytearray(6), dtype=tg.int32)
    with pytest.raises(ValueError, match="object does not implement Python buffer protocol."):
        tg.frombuffer([1, 2], dtype=tg.float32)


def test_writing_a_read_only_numpy_array_names_the_cause_and_an_expanded_view_its_own():
    array = np.ones(3)
    array.flags.writeable = False
    with pytest.raises(RuntimeError, match="the tensor's memory is read-only"):
        tg.from_numpy(array).add_(1)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor "
                                           "refers to a single memory location"):
        tg.ones(1).expand(3).add_(1)


# ---------------------------------------------------------------------------- legacy type names

def test_typename_as_pytorchs():
    assert tg.typename(tg.ones(2)) == "torch.FloatTensor"
    assert tg.typename(tg.ones(2, dtype=tg.bool)) == "torch.BoolTensor"
    assert tg.typename(tg.nn.Parameter(tg.ones(1))) == "torch.FloatTensor"
    assert tg.typename(np.ones(2)) == "numpy.ndarray"
    assert tg.typename(3) == "int"
    assert tg.typename(tg.nn.Linear(1, 1)) == "tinygrad_bn.nn.linear.Linear"


def test_set_default_tensor_type_sets_the_default_float_dtype_with_pytorchs_warning():
    try:
        with pytest.warns(UserWarning, match=r"torch.set_default_tensor_type\(\) is deprecated "
                                             r"as of PyTorch 2.1"):
            tg.set_default_tensor_type("torch.DoubleTensor")
        assert tg.get_default_dtype() == tg.float64 and tg.tensor([1.0]).dtype == tg.float64
        with pytest.warns(UserWarning):
            tg.set_default_tensor_type(tg.FloatTensor)
        assert tg.get_default_dtype() == tg.float32
        with pytest.warns(UserWarning), pytest.raises(
                TypeError, match="only floating-point types are supported as the default type"):
            tg.set_default_tensor_type("torch.LongTensor")
        with pytest.warns(UserWarning), pytest.raises(
                TypeError, match="type torch.cuda.FloatTensor not available. Torch not compiled "
                                 "with CUDA enabled."):
            tg.set_default_tensor_type("torch.cuda.FloatTensor")
    finally:
        tg.set_default_dtype(tg.float32)


def test_set_flush_denormal_says_it_cannot_and_subnormals_keep_their_values():
    assert tg.set_flush_denormal(True) is False
    tiny = tg.tensor([1e-310], dtype=tg.float64)
    assert (tiny * 1.0).item() == 1e-310
    with pytest.raises(TypeError, match="must be bool, not int"):
        tg.set_flush_denormal(1)

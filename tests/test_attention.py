"""``F.scaled_dot_product_attention``: values and float64 gradients against PyTorch (when
installed), finite differences in float64 (always), PyTorch's behaviour for masks, causal
masking, rows with nothing to attend to, grouped-query attention and dropout, and every error
path's message."""

import math

import numpy as np
import pytest

import tinygrad_bn as tg
import tinygrad_bn.nn.functional as F

from pytorch_errors import error_tests
from torch_comparison import assert_matches_torch

BOOL_MASK = np.array([[1, 1, 0, 1, 1], [0, 0, 0, 0, 0], [0, 0, 1, 1, 1]], dtype=bool)
FLOAT_MASK = np.where(BOOL_MASK, 0.25, -np.inf)

# (query, key, value shapes, keywords, mask or None)
CASES = [
    ((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4), {}, None),
    ((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 6), {}, BOOL_MASK),
    ((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4), {}, FLOAT_MASK),
    ((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4), {"is_causal": True}, None),
    ((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4), {"is_causal": True}, BOOL_MASK),  # both: 4-D
    ((2, 5, 4), (2, 5, 4), (2, 5, 4), {"is_causal": True, "scale": 0.3}, None),
    ((4, 3, 8), (4, 4, 6, 8), (4, 4, 6, 8), {"is_causal": True}, None),  # batch dims broadcast
    ((2, 6, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4), {"enable_gqa": True}, None),
    ((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4), {}, np.ones((2, 1, 3, 5), dtype=bool)),
    ((3, 4), (5, 4), (5, 4), {}, BOOL_MASK),
    ((2, 2, 0, 4), (2, 2, 5, 4), (2, 2, 5, 4), {}, None),
    ((2, 2, 3, 4), (2, 2, 0, 4), (2, 2, 0, 4), {"is_causal": True}, None),
]


def _inputs(shapes, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype) for shape in shapes]


@pytest.mark.parametrize("case", range(len(CASES)))
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_values_and_gradients_match_pytorch(case, dtype):
    torch = pytest.importorskip("torch")
    *shapes, keywords, mask = CASES[case]
    arrays = _inputs(shapes, dtype)
    grad = dtype == np.float64
    theirs = [torch.tensor(a, requires_grad=grad) for a in arrays]
    ours = [tg.tensor(a, requires_grad=grad) for a in arrays]
    their_mask = our_mask = None
    if mask is not None:
        mask = mask if mask.dtype == bool else mask.astype(dtype)
        their_mask, our_mask = torch.tensor(mask), tg.tensor(mask)
    expected = torch.nn.functional.scaled_dot_product_attention(*theirs, attn_mask=their_mask,
                                                                **keywords)
    out = F.scaled_dot_product_attention(*ours, attn_mask=our_mask, **keywords)
    assert_matches_torch(out, expected, ours, theirs, dtype, grad)


@pytest.mark.parametrize("case", [0, 1, 2, 3, 5, 6, 7])
def test_gradients_match_finite_differences(case):
    *shapes, keywords, mask = CASES[case]
    inputs = [tg.tensor(a, requires_grad=True) for a in _inputs(shapes, np.float64)]
    mask = None if mask is None else tg.tensor(mask)
    assert tg.gradcheck(lambda q, k, v: F.scaled_dot_product_attention(
        q, k, v, attn_mask=mask, **keywords), tuple(inputs))


def test_a_row_with_nothing_to_attend_to_gives_zeros_and_zero_gradients():
    query, key, value = (tg.tensor(a, requires_grad=True)
                         for a in _inputs([(3, 4), (5, 4), (5, 4)], np.float64))
    for mask in (tg.tensor(BOOL_MASK), tg.tensor(FLOAT_MASK)):
        out = F.scaled_dot_product_attention(query, key, value, attn_mask=mask)
        out.sum().backward()
        assert np.all(out.detach().numpy()[1] == 0) and np.all(query.grad.numpy()[1] == 0)
        assert np.isfinite(key.grad.numpy()).all() and np.isfinite(value.grad.numpy()).all()
        query.grad = key.grad = value.grad = None


def test_causal_equals_a_lower_triangular_bool_mask():
    query, key, value = (tg.tensor(a) for a in _inputs([(2, 3, 4), (2, 5, 4), (2, 5, 4)],
                                                       np.float64))
    causal = F.scaled_dot_product_attention(query, key, value, is_causal=True)
    masked = F.scaled_dot_product_attention(query, key, value,
                                            attn_mask=tg.ones(3, 5, dtype=tg.bool).tril())
    np.testing.assert_array_equal(causal.numpy(), masked.numpy())


def test_dropout_draws_from_tinygrad_bns_generator():
    query, key, value = (tg.tensor(a) for a in _inputs([(2, 3, 4), (2, 5, 4), (2, 5, 4)],
                                                       np.float64))
    tg.manual_seed(3)
    first = F.scaled_dot_product_attention(query, key, value, dropout_p=0.5).numpy()
    tg.manual_seed(3)
    again = F.scaled_dot_product_attention(query, key, value, dropout_p=0.5).numpy()
    undropped = F.scaled_dot_product_attention(query, key, value).numpy()
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, undropped)
    everything = F.scaled_dot_product_attention(query, key, value, dropout_p=1.0).numpy()
    assert np.all(everything == 0)


def test_dropout_scales_the_kept_weights():
    """With values one-hot per key, the output rows are the (dropped, rescaled) weights."""
    rng = np.random.default_rng(0)
    query, key = tg.tensor(rng.standard_normal((64, 4))), tg.tensor(rng.standard_normal((5, 4)))
    weights = F.scaled_dot_product_attention(query, key, tg.eye(5, dtype=tg.float64)).numpy()
    dropped = F.scaled_dot_product_attention(query, key, tg.eye(5, dtype=tg.float64),
                                             dropout_p=0.25).numpy()
    kept = dropped != 0
    np.testing.assert_allclose(dropped[kept], weights[kept] / 0.75)
    assert 0.6 < kept.mean() < 0.9


def _qkv(m, *shapes, dtype=None):
    return [m.ones(*shape, dtype=dtype or m.float64) for shape in shapes]


SDPA = "nn.functional.scaled_dot_product_attention"
Q4 = ((1, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 4))

ERRORS = [
    ("causal_with_mask_and_dropout", lambda m: m.nn.functional.scaled_dot_product_attention(
        *_qkv(m, *Q4), attn_mask=m.ones(3, 5, dtype=m.bool), is_causal=True, dropout_p=0.3),
     RuntimeError, "_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                   "is_causal=True"),
    ("causal_with_mask_3d", lambda m: m.nn.functional.scaled_dot_product_attention(
        *_qkv(m, (2, 3, 4), (2, 5, 4), (2, 5, 4)), attn_mask=m.ones(3, 5, dtype=m.bool),
        is_causal=True),
     RuntimeError, "_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                   "is_causal=True"),
    ("dtypes", lambda m: m.nn.functional.scaled_dot_product_attention(
        m.ones(1, 2, 3, 4), *_qkv(m, (1, 2, 5, 4), (1, 2, 5, 4))), RuntimeError,
     "Expected query, key, and value to have the same dtype, but got query.dtype: float "
     "key.dtype: double and value.dtype: double instead."),
    ("mask_dtype", lambda m: m.nn.functional.scaled_dot_product_attention(
        *_qkv(m, *Q4), attn_mask=m.ones(3, 5, dtype=m.int32)), RuntimeError,
     "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
     "attn_mask.dtype: int and  query.dtype: double instead."),
    ("mask_double_for_float", lambda m: m.nn.functional.scaled_dot_product_attention(
        *_qkv(m, *Q4, dtype=m.float32), attn_mask=m.ones(3, 5, dtype=m.float64)), RuntimeError,
     "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
     "attn_mask.dtype: double and  query.dtype: float instead."),
    ("one_dimensional", lambda m: m.nn.functional.scaled_dot_product_attention(
        *_qkv(m, (4,), (4,), (4,))), RuntimeError,
     "Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: 1 "
     "key.dim: 1 and value.dim: 1 instead."),
    ("integers", lambda m: m.nn.functional.scaled_dot_product_attention(
        *_qkv(m, *Q4, dtype=m.int64)), RuntimeError, "expected scalar type Float but found Long"),
    ("gqa_heads", lambda m: m.nn.functional.scaled_dot_product_attention(
        *_qkv(m, (1, 6, 3, 4), (1, 4, 5, 4), (1, 4, 5, 4)), enable_gqa=True), RuntimeError,
     "Number of heads in key and value must divide the number of heads in "),
    ("heads_without_gqa", lambda m: m.nn.functional.scaled_dot_product_attention(
        *_qkv(m, (1, 6, 3, 4), (1, 2, 5, 4), (1, 2, 5, 4))), RuntimeError,
     "The size of tensor a (6) must match the size of tensor b (2) at non-singleton "
     "dimension 1"),
    ("dropout_above_one", lambda m: m.nn.functional.scaled_dot_product_attention(
        *_qkv(m, *Q4), dropout_p=1.5), RuntimeError,
     "dropout probability has to be between 0 and 1, but got 1.5"),
    ("dropout_negative", lambda m: m.nn.functional.scaled_dot_product_attention(
        *_qkv(m, *Q4), dropout_p=-0.5), RuntimeError,
     "scaled_dot_product_attention_flash_attention: Currently do not support dropout > 0"),
    ("mask_enlarges_scores", lambda m: m.nn.functional.scaled_dot_product_attention(
        *_qkv(m, *Q4), attn_mask=m.ones(2, 1, 3, 5, dtype=m.bool)), RuntimeError,
     "output with shape [1, 2, 3, 5] doesn't match the broadcast shape [2, 2, 3, 5]"),
    ("mask_does_not_broadcast", lambda m: m.nn.functional.scaled_dot_product_attention(
        *_qkv(m, *Q4), attn_mask=m.ones(4, 5)), RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (4) at non-singleton "
     "dimension 2"),
    ("mask_one_dimensional", lambda m: m.nn.functional.scaled_dot_product_attention(
        *_qkv(m, *Q4), attn_mask=m.ones(5, dtype=m.bool)), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got -2)"),
    ("mask_not_a_tensor", lambda m: m.nn.functional.scaled_dot_product_attention(
        *_qkv(m, *Q4), attn_mask=[1]), TypeError,
     "scaled_dot_product_attention(): argument 'attn_mask' must be Tensor, not list"),
]


test_errors_are_pytorchs, test_pytorch_raises_the_same = error_tests(ERRORS)


def test_negative_dropout_outside_the_fused_kernel_is_no_dropout():
    query, key, value = _qkv(tg, (2, 3, 4), (2, 5, 4), (2, 5, 4))
    out = F.scaled_dot_product_attention(query, key, value, dropout_p=-0.5)
    np.testing.assert_allclose(out.numpy(), np.ones((2, 3, 4)))
    assert math.isclose(float(out.sum().item()), 24.0)

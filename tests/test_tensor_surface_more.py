"""More of the Tensor surface teaching and training programs use: norms and products, logical
ops, selection (masked_select, nonzero, index_select), views (unbind, narrow, movedim,
unflatten), new_* factories, trigonometry, order statistics (median, kthvalue, mode, cummax),
einsum, meshgrid, in-place reshapes and random fills. Each case is written against the PyTorch
API and compared with PyTorch (values, dtypes, shapes) when it is installed; the gradients of
the differentiable ones are checked in ``op_cases.py``."""

import re
import warnings

import numpy as np
import pytest

import tinygrad_bn as tg

# Each case: a function of the library returning a tensor, a tuple of them or a Python value.
CASES = {
    # priority 1: norms, products, logical ops, selection, factories
    "square": lambda lib: [lib.square(lib.tensor([1, -2])), lib.tensor([True, False]).square(),
                           lib.tensor([3], dtype=lib.uint8).square(),
                           lib.tensor([1.5, -2.0]).square()],
    "dot": lambda lib: [lib.dot(lib.tensor([1, 2]), lib.tensor([3, 4])),
                        lib.tensor([1.0, 2.0]).dot(lib.tensor([0.5, 4.0]))],
    "outer": lambda lib: [lib.outer(lib.tensor([1, 2]), lib.tensor([3.0, 4.0, 5.0])),
                          lib.tensor([True]).outer(lib.tensor([True, False])),
                          lib.ger(lib.tensor([1, 2]), lib.tensor([3, 4]))],
    "norm": lambda lib: [
        lib.tensor([3.0, 4.0]).norm(), lib.tensor([[3.0, 4.0], [1.0, 2.0]]).norm(p=1, dim=1),
        lib.tensor([[3.0, 4.0], [1.0, 2.0]]).norm(3, dim=(0, 1), keepdim=True),
        lib.tensor([[3.0, 4.0], [1.0, 2.0]]).norm("fro", dim=(0, 1)),
        lib.tensor([[3.0, -4.0], [1.0, 2.0]]).norm(float("inf")),
        lib.tensor([[3.0, -4.0], [1.0, 2.0]]).norm(float("-inf")),
        lib.tensor([[3.0, 0.0], [1.0, 2.0]]).norm(0), lib.tensor([1.0, 2.0]).norm(-1),
        lib.tensor([1.0, 2.0]).norm(0.5), lib.tensor([3.0, 4.0]).norm(dtype=lib.float64),
        lib.tensor(3.0).norm(dim=0), lib.ones(0).norm(), lib.ones(2, 3).norm(keepdim=True),
        lib.norm(lib.ones(2, 3), 2, 1), lib.ones(2, 3).norm(p=None),
        lib.ones(2, 3, 4).norm("fro", dim=(0, 2))],
    "logical": lambda lib: [
        lib.logical_and(lib.tensor([1, 0, 2]), lib.tensor([1.0, 1.0, 0.0])),
        lib.logical_not(lib.tensor([1.0, 0.0, -2.0])),
        lib.tensor([1, 0, 2]).logical_xor(lib.tensor([1, 1, 0])),
        lib.tensor([1, 0, 2]).logical_or(lib.tensor([[0], [1]])),
        lib.tensor([1, 0], dtype=lib.int8).logical_not()],
    "masked_select": lambda lib: [
        lib.tensor([[1.0, 2.0], [3.0, 4.0]]).masked_select(lib.tensor([True, False])),
        lib.masked_select(lib.tensor([1.0, 2.0]), lib.tensor([[True, False], [True, True]])),
        lib.tensor([1, 2]).masked_select(lib.tensor(False))],
    "nonzero_argwhere": lambda lib: [
        lib.tensor([[1, 0], [2, 3]]).nonzero(), lib.tensor(5).nonzero(),
        lib.nonzero(lib.tensor([[1, 0], [2, 3]]), as_tuple=True),
        lib.tensor(5).nonzero(as_tuple=True), lib.tensor(0).nonzero(as_tuple=True),
        lib.argwhere(lib.tensor([[1.0, 0.0], [2.0, 3.0]])), lib.argwhere(lib.tensor(1.0)),
        lib.tensor([True, False]).nonzero(as_tuple=True)],
    "index_select": lambda lib: [
        lib.tensor([[1, 0], [2, 3]]).index_select(1, lib.tensor([1, 1, 0])),
        lib.index_select(lib.tensor([[1, 0], [2, 3]]), -1, lib.tensor(1)),
        lib.tensor([[1.0, 0.0], [2.0, 3.0]]).index_select(0, lib.tensor([1], dtype=lib.int32)),
        lib.tensor(5.0).index_select(0, lib.tensor([0])),
        lib.tensor(5.0).index_select(-1, lib.tensor(0)),
        lib.tensor([1, 2]).index_select(0, lib.tensor([], dtype=lib.int64))],
    "unbind_narrow": lambda lib: [
        lib.tensor([[1, 0], [2, 3]]).unbind(1), lib.unbind(lib.tensor([[1, 0], [2, 3]])),
        lib.tensor([[1, 0, 4], [2, 3, 5]]).narrow(1, 1, 2),
        lib.narrow(lib.tensor([[1, 0, 4], [2, 3, 5]]), 1, -2, 2),
        lib.tensor([[1, 0, 4], [2, 3, 5]]).narrow(1, 3, 0),
        lib.tensor([[1, 0, 4], [2, 3, 5]]).narrow(1, lib.tensor(1), 2),
        lib.tensor([1, 2, 3]).narrow(dim=0, start=1, length=1)],
    "new_factories": lambda lib: [
        lib.tensor([1, 2]).new_zeros(2, 3), lib.ones(1).new_zeros((2, 3), dtype=lib.float64),
        lib.ones(1).new_ones([2]), lib.tensor([1, 2]).new_full((2,), 3.7),
        lib.ones(1).new_full((2,), True), list(lib.ones(1).new_empty(2, 1).shape),
        lib.tensor([1, 2]).new_tensor([1.5, 2.5]), lib.ones(1).new_tensor([1, 2]),
        lib.ones(1, dtype=lib.float64).new_ones(2).dtype == lib.float64,
        lib.ones(1).new_zeros(2, requires_grad=True).requires_grad,
        lib.ones(1).new_full((2,), lib.tensor(3.0))],
    "predicates": lambda lib: [
        lib.tensor([1]).is_floating_point(), lib.ones(1, dtype=lib.float16).is_floating_point(),
        lib.is_floating_point(lib.ones(1)), lib.is_tensor(lib.ones(1)),
        lib.is_tensor(np.ones(2)), lib.is_tensor([1.0])],
    "as_tensor": lambda lib: [
        lib.as_tensor([1.0, 2.0]), lib.as_tensor(np.arange(3.0)), lib.as_tensor(3),
        lib.as_tensor(np.arange(3.0), dtype=lib.float32), lib.as_tensor(np.float64(2.0)),
        lib.as_tensor(lib.ones(2), dtype=lib.float64), lib.asarray([1.0, 2.0]),
        lib.asarray(np.ones(2), copy=True), lib.asarray([1.0], requires_grad=True).requires_grad],
    "clamp_min_max_clip_empty_like": lambda lib: [
        lib.tensor([1, 5]).clamp_min(2), lib.tensor([1, 5]).clamp_min(2.5),
        lib.clamp_max(lib.tensor([1.0, 5.0]), lib.tensor([0.0, 7.0])),
        lib.clamp_min(lib.tensor([1.0, 2.0]), lib.tensor([1.5, 1.5])),
        lib.clip(lib.tensor([1.0, 5.0]), 2, 3), lib.tensor([1.0, 5.0]).clip(max=2),
        lib.tensor([1, 2]).clamp_min_(2), lib.empty_like(lib.tensor([1, 5])).dtype == lib.int64,
        list(lib.empty_like(lib.ones(2, 3), dtype=lib.float64).shape)],
    "linalg_norms": lambda lib: [
        lib.linalg.norm(lib.tensor([[1.0, -2.0, 3.0], [3.0, 4.0, -1.0]])),
        lib.linalg.norm(lib.tensor([[1.0, -2.0, 3.0], [3.0, 4.0, -1.0]]), "fro"),
        *[lib.linalg.norm(lib.tensor([[1.0, -2.0, 3.0], [3.0, 4.0, -1.0]]), order)
          for order in (1, -1, float("inf"), float("-inf"))],
        lib.linalg.norm(lib.tensor([1.0, 2.0]), 3),
        lib.linalg.norm(lib.tensor([[1.0, -2.0, 3.0], [3.0, 4.0, -1.0]]), 3, dim=1),
        lib.linalg.norm(lib.tensor([[1.0, -2.0, 3.0], [3.0, 4.0, -1.0]]), 1, dim=(1, 0)),
        lib.linalg.norm(lib.ones(2, 3, 4), dim=(0, 2)), lib.linalg.norm(lib.ones(2, 3, 4)),
        lib.linalg.norm(lib.tensor([[1.0, -2.0], [3.0, 4.0]]), 1, keepdim=True),
        lib.linalg.norm(lib.tensor([[1.0, -2.0], [3.0, 4.0]]), dtype=lib.float64),
        lib.linalg.norm(lib.ones(2, 3, 4), "fro", dim=(0, 1)),
        lib.linalg.vector_norm(lib.tensor([[1.0, -2.0, 3.0], [3.0, 4.0, -1.0]]), ord=1, dim=0,
                               keepdim=True),
        lib.linalg.vector_norm(lib.ones(2, 3), 3, dim=1),
        lib.linalg.matrix_norm(lib.tensor([[1.0, -2.0, 3.0], [3.0, 4.0, -1.0]]), -1),
        lib.linalg.matrix_norm(lib.ones(2, 2, 3), float("inf"))],
    # priority 2: elementwise math
    "trigonometry_of_floats": lambda lib: [
        f(lib.tensor([-0.5, 0.1, 0.7], dtype=lib.float64)) for f in
        (lib.tan, lib.asin, lib.acos, lib.atan, lib.sinh, lib.cosh, lib.arcsin, lib.arccos,
         lib.arctan)],
    "trigonometry_of_ints": lambda lib: [f(lib.tensor([0, 1])) for f in
                                         (lib.tan, lib.asin, lib.acos, lib.atan, lib.sinh,
                                          lib.cosh)],
    "asin_outside_domain_is_nan": lambda lib: lib.tensor([2.0]).asin().isnan(),
    "atan2_hypot": lambda lib: [
        lib.atan2(lib.tensor([1, -1]), lib.tensor([2, -2])),
        lib.atan2(lib.tensor([1.0]), lib.tensor([[2.0], [-3.0]], dtype=lib.float64)),
        lib.arctan2(lib.tensor([0.0, 0.0, 1.0]), lib.tensor([1.0, -1.0, 0.0])),
        lib.hypot(lib.tensor([3.0]), lib.tensor([4.0])),
        lib.tensor([3.0]).hypot(lib.tensor([4.0, 5.0], dtype=lib.float64))],
    "logit": lambda lib: [lib.logit(lib.tensor([0, 1])),
                          lib.logit(lib.tensor([0.0, 0.25, 1.0]), eps=0.1),
                          lib.tensor([0.0, 0.25, 1.0]).logit(),
                          lib.tensor([0.25], dtype=lib.float64).logit(),
                          lib.logit(lib.tensor([0.3]), eps=-1.0)],
    "lerp": lambda lib: [
        lib.lerp(lib.tensor([0.0, 1.0]), lib.tensor([10.0, 10.0]), 0.5),
        lib.tensor([0.0, 1.0]).lerp(lib.tensor([10.0, 10.0]), lib.tensor([0.5, 0.1])),
        lib.lerp(lib.tensor([0.0, 1.0]), lib.tensor([10.0, 10.0]), 1),
        lib.lerp(lib.tensor([0.0, 1.0]), lib.tensor([[10.0], [10.0]]), 0.75)],
    "addmm": lambda lib: [
        lib.addmm(lib.tensor([1.0, 2.0]), lib.ones(3, 2), lib.ones(2, 2), beta=0.5, alpha=2),
        lib.addmm(lib.tensor([1, 2]), lib.ones(3, 2, dtype=lib.int64),
                  lib.ones(2, 2, dtype=lib.int64)),
        lib.tensor([1, 2]).addmm(lib.ones(3, 2, dtype=lib.int64), lib.ones(2, 2, dtype=lib.int64),
                                 beta=0.5),
        lib.addmm(lib.tensor([float("nan"), 2.0]), lib.ones(3, 2), lib.ones(2, 2), beta=0),
        lib.addmm(lib.ones(()), lib.ones(2, 2), lib.ones(2, 2))],
    "addcmul_addcdiv": lambda lib: [
        lib.addcmul(lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.0]), lib.tensor([[3.0], [1.0]]),
                    value=2),
        lib.addcmul(lib.tensor([1, 2]), lib.tensor([1, 2]), lib.tensor([3, 1]), value=2),
        lib.tensor([1, 2]).addcmul(lib.tensor([1, 2]), lib.tensor([3, 1]), value=0.5),
        lib.addcmul(lib.tensor([1, 2]), lib.tensor([1.0, 2.0]), lib.tensor([3, 1])),
        lib.addcdiv(lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.0]), lib.tensor([3.0, 1.0]),
                    value=2),
        lib.tensor([1, 2]).addcdiv(lib.tensor([1.0, 2.0]), lib.tensor([3, 1]))],
    # priority 2: cumulative ops, differences, movement
    "cumprod": lambda lib: [
        lib.cumprod(lib.tensor([1, 2, 3]), 0), lib.tensor([True, True]).cumprod(0),
        lib.tensor([1, 2, 3]).cumprod(0, dtype=lib.float32),
        lib.tensor([1, 2, 3], dtype=lib.int32).cumprod(dim=0), lib.tensor(3.0).cumprod(0),
        lib.tensor([[2.0, 0.0, 3.0], [1.0, 2.0, 3.0]]).cumprod(1),
        lib.tensor([1.0, 2.0], dtype=lib.float16).cumprod(0)],
    "diff": lambda lib: [
        lib.diff(lib.tensor([1, 4, 9, 16]), n=2), lib.diff(lib.tensor([True, False, False])),
        lib.diff(lib.tensor([[1, 4], [9, 16]]), dim=0, prepend=lib.tensor([[0, 0]]),
                 append=lib.tensor([[1.0, 1.0]])),
        lib.tensor([1, 2]).diff(n=0), lib.tensor([1, 2]).diff(n=5),
        lib.diff(lib.tensor([[1.0, 2.0]]), dim=-2),
        lib.diff(lib.tensor([1.0, 2.0]), prepend=lib.tensor([1]))],
    "tile": lambda lib: [lib.tensor([[1, 2]]).tile((2,)), lib.tensor([1, 2]).tile(2, 1, 2),
                         lib.tensor([1, 2]).tile(()), lib.tile(lib.tensor([1, 2]), (2,))],
    "movedim_swapaxes": lambda lib: [
        lib.arange(24).reshape(2, 3, 4).movedim(0, -1),
        lib.arange(24).reshape(2, 3, 4).movedim((0, 1), (2, 0)),
        lib.moveaxis(lib.arange(24).reshape(2, 3, 4), -1, 0),
        lib.arange(6).reshape(2, 3).movedim(source=0, destination=1),
        lib.arange(24).reshape(2, 3, 4).swapaxes(0, -1),
        lib.swapdims(lib.arange(24).reshape(2, 3, 4), 0, 1),
        lib.arange(6).reshape(2, 3).swapaxes(axis0=0, axis1=1),
        lib.arange(6).reshape(2, 3).swapdims(dim0=0, dim1=1)],
    "unflatten_broadcast_to": lambda lib: [
        lib.arange(12).reshape(2, 6).unflatten(1, (2, -1)),
        lib.unflatten(lib.arange(12).reshape(2, 6), -1, [3, 2]),
        lib.tensor([1, 2]).broadcast_to((3, 2)), lib.broadcast_to(lib.tensor([1, 2]), (3, -1))],
    "repeat_interleave": lambda lib: [
        lib.tensor([[1, 2], [3, 4]]).repeat_interleave(2),
        lib.tensor([[1, 2], [3, 4]]).repeat_interleave(lib.tensor([1, 2]), dim=0),
        lib.repeat_interleave(lib.tensor([[1, 2], [3, 4]]), lib.tensor([1, 2]), dim=1),
        lib.repeat_interleave(lib.tensor([1, 2, 0, 3])),
        lib.tensor([[1, 2], [3, 4]]).repeat_interleave(lib.tensor(2), dim=0),
        lib.tensor([[1, 2], [3, 4]]).repeat_interleave(lib.tensor([1, 2, 1, 1])),
        lib.tensor(3).repeat_interleave(2),
        lib.tensor([1, 2]).repeat_interleave(2, output_size=4)],
    "roll": lambda lib: [
        lib.tensor([1, 2, 3, 4]).roll(1), lib.tensor([[1, 2], [3, 4]]).roll(1),
        lib.roll(lib.tensor([[1, 2], [3, 4]]), (1, 1), (0, 1)),
        lib.tensor([[1, 2], [3, 4]]).roll(1, -1), lib.tensor([[1, 2], [3, 4]]).roll((1, 1), (1, 1)),
        lib.tensor(1).roll(1), lib.ones(0).roll(1), lib.tensor([[1, 2], [3, 4]]).roll((1,))],
    "meshgrid": lambda lib: [
        lib.meshgrid(lib.tensor([1, 2]), lib.tensor([3, 4, 5]), indexing="ij"),
        lib.meshgrid(lib.tensor([1, 2]), lib.tensor([3, 4, 5]), indexing="xy"),
        lib.meshgrid([lib.tensor([1, 2]), lib.tensor([3, 4, 5])], indexing="ij"),
        lib.meshgrid(lib.tensor(1), lib.tensor([3, 4, 5]), indexing="ij"),
        lib.meshgrid(lib.tensor([1, 2]), indexing="xy"),
        [list(g.shape) for g in lib.meshgrid(lib.ones(2), lib.ones(3), lib.ones(4),
                                             indexing="xy")]],
    "stacking": lambda lib: [
        lib.hstack([lib.tensor([1, 2]), lib.tensor([3.0])]),
        lib.hstack([lib.tensor([[1], [2]]), lib.tensor([[3], [4]])]),
        lib.hstack([lib.tensor(1), lib.tensor(2)]),
        lib.vstack([lib.tensor([1, 2]), lib.tensor([3, 4])]),
        lib.vstack([lib.tensor(1), lib.tensor(2)]), list(lib.vstack([lib.ones(1, 2, 3),
                                                                    lib.ones(2, 2, 3)]).shape),
        lib.row_stack([lib.tensor([1, 2]), lib.tensor([3, 4])]),
        lib.concat([lib.tensor([1, 2]), lib.tensor([3, 4])], dim=0),
        lib.concatenate([lib.tensor([1, 2]), lib.tensor([3, 4])], axis=0)],
    "broadcast_tensors_and_shapes": lambda lib: [
        lib.broadcast_tensors(lib.tensor([1, 2]), lib.tensor([[1.0], [2.0]])),
        lib.broadcast_tensors(lib.tensor([1, 2])), lib.broadcast_tensors(),
        list(lib.broadcast_shapes((2, 1), (3,))), list(lib.broadcast_shapes(2, (3, 1)))],
    "diag_trace": lambda lib: [
        lib.tensor([1, 2]).diag(1), lib.diag(lib.tensor([1, 2]), -1),
        lib.tensor([[1, 2, 3], [4, 5, 6]]).diag(), lib.tensor([[1, 2, 3], [4, 5, 6]]).diag(1),
        lib.tensor([[1, 2, 3], [4, 5, 6]]).diag(5), lib.tensor([[1, 2, 3], [4, 5, 6]]).diag(-1),
        lib.trace(lib.tensor([[1, 2], [3, 4]])),
        lib.tensor([[1, 2], [3, 4]], dtype=lib.int32).trace(),
        lib.tensor([[1.0, 2.0, 3.0], [3.0, 4.0, 5.0]]).trace()],
    "einsum": lambda lib: [
        lib.einsum("ij,jk->ik", lib.arange(6.0).reshape(2, 3), lib.arange(12.0).reshape(3, 4)),
        lib.einsum("ij,jk", [lib.arange(6).reshape(2, 3), lib.arange(12).reshape(3, 4)]),
        lib.einsum("ii", lib.arange(9.0).reshape(3, 3)),
        lib.einsum("ii->i", lib.arange(9.0).reshape(3, 3)),
        lib.einsum("...ij,...jk->...ik", lib.ones(2, 2, 3), lib.ones(3, 4)),
        lib.einsum("i j , j k -> i k", lib.ones(2, 3), lib.ones(3, 4)),
        lib.einsum("ij,ij->ij", lib.ones(1, 3), lib.arange(6.0).reshape(2, 3)),
        lib.einsum("i,j->ij", lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0, 5.0])),
        lib.einsum("ij->ji", lib.arange(6.0).reshape(2, 3)),
        lib.einsum("ij->", lib.arange(6.0).reshape(2, 3)),
        lib.einsum("i...->...", lib.ones(3, 2, 4)),
        lib.einsum("...i,...i->...", lib.ones(2, 1, 3), lib.ones(4, 3)),
        lib.einsum("...ij,jk", lib.ones(5, 2, 3), lib.ones(3, 4)),
        lib.einsum("ba", lib.arange(6.0).reshape(2, 3)),
        lib.einsum("ab,bc,ba", lib.ones(2, 3), lib.ones(3, 4), lib.ones(3, 2)),
        lib.einsum("ij->...", lib.ones(2, 3)), lib.einsum("iJ->J", lib.ones(2, 3))],
    # priority 2: order statistics and reductions
    "median": lambda lib: [
        lib.tensor([3.0, 1.0, 2.0, 4.0]).median(), lib.median(lib.tensor([3, 1, 2, 4])),
        lib.tensor([[3.0, 1.0, 2.0, 4.0], [1.0, 1.0, 1.0, 0.0]]).median(1),
        lib.tensor([[3.0, 1.0, 2.0, 4.0], [1.0, 1.0, 1.0, 0.0]]).median(dim=1, keepdim=True),
        lib.tensor([3.0, float("nan"), 2.0, 4.0]).median(),
        lib.tensor([3.0, float("nan"), 2.0, float("nan")]).median(0), lib.ones(0).median(),
        lib.tensor([1.0, 1.0, 1.0, 1.0, 2.0]).median(0),
        lib.tensor([2.0, 1.0, 2.0, 1.0, 2.0, 1.0]).median(0), lib.tensor(2.0).median(0),
        lib.tensor([[3, 1, 2]]).median(1), lib.ones(0, 2).median(1),
        lib.ones(3, dtype=lib.float16).median()],
    "kthvalue": lambda lib: [
        lib.tensor([[3.0, 1.0, 2.0, 4.0], [1.0, 5.0, 7.0, 0.0]]).kthvalue(2, 1),
        lib.kthvalue(lib.tensor([3.0, 1.0, 2.0, 4.0]), 1),
        lib.tensor([[3.0, 1.0, 2.0, 4.0], [1.0, 5.0, 7.0, 0.0]]).kthvalue(2, 0, True),
        lib.tensor(3.0).kthvalue(1)],
    "mode": lambda lib: [
        lib.tensor([1, 2, 2, 3, 3, 1, 1]).mode(), lib.tensor([3, 3, 2, 2]).mode(),
        lib.mode(lib.tensor([[1, 2, 2], [3, 3, 1]]), 0),
        lib.tensor([[1.0, 2.0, 2.0], [3.0, 3.0, 1.0]]).mode(1, keepdim=True),
        lib.tensor(3.0).mode(), lib.tensor([True, False, False]).mode()],
    "cummax_cummin": lambda lib: [
        lib.tensor([1.0, 3.0, 2.0, 3.0, 5.0]).cummax(0),
        lib.cummin(lib.tensor([1.0, 3.0, 0.0, 0.0, 5.0]), 0),
        lib.tensor([[1, 3], [2, 3], [0, 5]]).cummax(dim=0),
        lib.tensor([1.0, float("nan"), 2.0, 3.0]).cummax(0), lib.tensor(1.0).cummax(0),
        lib.tensor([True, False]).cummax(0), lib.ones(0).cummin(0)],
    "aminmax_count_nonzero": lambda lib: [
        lib.tensor([[1.0, 3.0], [2.0, 0.0]]).aminmax(),
        lib.aminmax(lib.tensor([[1.0, 3.0], [2.0, 0.0]]), dim=1, keepdim=True),
        lib.tensor([1, 2]).aminmax(), lib.tensor([True, False]).aminmax(),
        lib.tensor(1.0).aminmax(dim=0),
        lib.tensor([[1.0, 0.0], [2.0, 0.0]]).count_nonzero(),
        lib.tensor([[1.0, 0.0], [2.0, 0.0]]).count_nonzero(0),
        lib.tensor([[1.0, 0.0], [2.0, 0.0]]).count_nonzero((0, 1)),
        lib.count_nonzero(lib.tensor([[1.0, 0.0], [2.0, 0.0]]), dim=-1),
        lib.tensor([True, False]).count_nonzero()],
    "std_mean_var_mean": lambda lib: [
        lib.std_mean(lib.tensor([[1.0, 0.0], [2.0, 0.0]])),
        lib.var_mean(lib.tensor([[1.0, 0.0], [2.0, 0.0]]), 1, keepdim=True),
        lib.var_mean(lib.tensor([[1.0, 0.0], [2.0, 0.0]]), dim=1, correction=0),
        lib.var_mean(lib.tensor([[1.0, 0.0], [2.0, 0.0]]), 1, False),
        lib.var_mean(lib.tensor([[1.0, 0.0], [2.0, 0.0]]), False),
        lib.std_mean(lib.tensor([[1.0, 0.0], [2.0, 0.0]]), axis=0)],
    # priority 2: layout queries, matrix transposes, in-place reshapes
    "layout": lambda lib: [
        lib.ones(2, 3, 4).stride(), lib.ones(2, 3, 4).stride(-1),
        lib.ones(2, 3, 4).transpose(0, 2).stride(), lib.ones(3, 1).expand(3, 4).stride(),
        lib.ones(()).stride(), lib.ones(2, 3, 4).stride(dim=1), lib.ones(2, 3).element_size(),
        lib.ones(2, 3, 4).nbytes, lib.ones(2, dtype=lib.float64).itemsize,
        lib.ones(3, 1).expand(3, 4).nbytes, lib.ones(2, 3, 4).ndimension(),
        lib.tensor([True]).element_size(), lib.ones(2, dtype=lib.int16).nbytes],
    "matrix_transposes": lambda lib: [lib.arange(24).reshape(2, 3, 4).mT,
                                      lib.arange(6).reshape(2, 3).mH],
    "in_place_reshapes": lambda lib: [
        _after(lib.ones(2, 3), lambda t: t.unsqueeze_(0)),
        _after(lib.ones(1, 2, 1, 3), lambda t: t.squeeze_()),
        _after(lib.ones(1, 2, 1, 3), lambda t: t.squeeze_(2)),
        _after(lib.arange(6).reshape(2, 3), lambda t: t.t_()),
        _after(lib.arange(24).reshape(2, 3, 4), lambda t: t.transpose_(0, 2))],
    "random_fills": lambda lib: [
        _random_summary(lib.ones(20000).exponential_(2), 0.5),
        _random_summary(lib.ones(20000, dtype=lib.float64).exponential_(), 1.0),
        _random_summary(lib.ones(20000).random_(5), 2.0),
        _random_summary(lib.ones(20000).random_(3, 5), 3.5),
        _random_summary(lib.ones(20000, dtype=lib.int32).random_(to=4), 1.5),
        _random_summary(lib.ones(20000, dtype=lib.uint8).random_(), 127.5),
        _random_summary(lib.ones(20000).bernoulli_(0.25), 0.25),
        _random_summary(lib.ones(20000, dtype=lib.int64).bernoulli_(), 0.5),
        lib.ones(3).bernoulli_(lib.tensor([0.0, 1.0, 1.0])),
        lib.ones(2, 3).bernoulli_(lib.tensor([0.0, 1.0, 0.0])),
        lib.ones(3, dtype=lib.bool).bernoulli_(1.0)],
}


def _after(tensor, write):
    """An in-place reshape: the tensor itself is returned, with its shape, strides, version."""
    result = write(tensor)
    return [result is tensor, tensor, list(tensor.shape), tensor._version]


def _random_summary(tensor, mean):
    """A random fill, summarised so that the two libraries' different streams compare: the
    dtype and shape, whether every draw is a whole number, and whether the sample mean is
    within 10% of ``mean``."""
    values = tensor.double().numpy()
    return [str(tensor.dtype).split(".")[-1], list(tensor.shape),
            bool(np.all(values == np.round(values))), abs(values.mean() - mean) < 0.1 * mean]


def _plain(value):
    """A case's result as plain Python/NumPy values, the library's tensors unwrapped; named
    tuples keep their fields' names."""
    if isinstance(value, tuple) and hasattr(type(value), "__match_args__"):  # a named tuple
        return [type(value).__name__, list(type(value).__match_args__),
                [_plain(v) for v in value]]
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "detach"):
        array = value.detach().numpy()
        return (str(value.dtype).split(".")[-1], list(array.shape), array.tolist())
    return value


@pytest.mark.parametrize("name", CASES)
def test_runs_without_error_on_tinygrad_bn(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = _plain(CASES[name](tg))
    assert result is not None


def _assert_same(ours, theirs):
    """Same structure, same dtypes and shapes, values equal (floats to float32 rounding)."""
    if isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), (ours, theirs)
        for a, b in zip(ours, theirs):
            _assert_same(a, b)
    elif isinstance(theirs, tuple):
        assert ours[:2] == theirs[:2], (ours, theirs)
        np.testing.assert_allclose(np.asarray(ours[2], dtype=float),
                                   np.asarray(theirs[2], dtype=float), rtol=1e-6, atol=1e-7)
    else:
        assert ours == theirs, (ours, theirs)


@pytest.mark.parametrize("name", CASES)
def test_matches_pytorch(name):
    torch = pytest.importorskip("torch")
    _assert_same(_plain(CASES[name](tg)), _plain(CASES[name](torch)))


# ---------------------------------------------------------------------- without PyTorch


def test_results_without_pytorch():
    assert tg.square(tg.tensor([True, False])).tolist() == [1, 0]
    assert tg.square(tg.tensor([True])).dtype == tg.int64
    assert tg.dot(tg.tensor([1, 2]), tg.tensor([3, 4])).item() == 11
    assert tg.outer(tg.tensor([1, 2]), tg.tensor([3.0, 4.0])).tolist() == [[3.0, 4.0], [6.0, 8.0]]
    assert tg.tensor([3.0, 4.0]).norm().item() == 5.0
    assert tg.tensor([[3.0, -4.0]]).norm(float("inf")).item() == 4.0
    assert tg.tensor([[3.0, 0.0]]).norm(0).item() == 1.0
    assert tg.logical_and(tg.tensor([1, 0, 2]), tg.tensor([2, 1, 0])).tolist() == [True, False,
                                                                                 False]
    assert tg.tensor([2, 0]).logical_not().dtype == tg.bool
    assert tg.tensor([[1, 0], [2, 3]]).nonzero().tolist() == [[0, 0], [1, 0], [1, 1]]
    assert tg.tensor(5).nonzero().shape == (1, 0)
    assert tg.tensor([[1, 0], [2, 3]]).index_select(1, tg.tensor([1, 1])).tolist() == [[0, 0],
                                                                                      [3, 3]]
    assert tg.tensor([[1, 2], [3, 4]]).masked_select(tg.tensor([True, False])).tolist() == [1, 3]
    assert tg.tensor([1, 2]).new_full((2,), 3.7).tolist() == [3, 3]
    assert tg.tensor([[1.0, 2.0, 3.0]]).median().item() == 2.0
    assert tg.tensor([1.0, 2.0, 3.0, 4.0]).median().item() == 2.0  # the lower middle value
    assert tg.tensor([1, 2, 2, 3, 3, 1, 1]).mode().indices.item() == 6
    assert tg.tensor([3, 3, 2, 2]).mode().values.item() == 2
    values, indices = tg.tensor([1.0, 3.0, 2.0, 3.0]).cummax(0)
    assert values.tolist() == [1.0, 3.0, 3.0, 3.0] and indices.tolist() == [0, 1, 1, 3]
    assert tg.tensor([1, 2, 3]).cumprod(0).tolist() == [1, 2, 6]
    assert tg.diff(tg.tensor([1, 4, 9, 16]), n=2).tolist() == [2, 2]
    assert tg.tensor([1, 2, 3, 4]).roll(1).tolist() == [4, 1, 2, 3]
    assert tg.tensor([1, 2]).repeat_interleave(2).tolist() == [1, 1, 2, 2]
    assert tg.einsum("ij,jk->ik", tg.eye(2), tg.ones(2, 3)).tolist() == [[1.0] * 3] * 2
    assert tg.einsum("ii", tg.eye(3)).item() == 3.0
    assert tg.tensor([[1, 2], [3, 4]]).trace().item() == 5
    assert tg.ones(2, 3, 4).stride() == (12, 4, 1)
    assert tg.ones(2, 3).nbytes == 24 and tg.ones(2, 3).itemsize == 4
    assert tg.lerp(tg.tensor([0.0]), tg.tensor([10.0]), 0.25).item() == 2.5
    assert tg.hypot(tg.tensor([3.0]), tg.tensor([4.0])).item() == 5.0
    assert tg.aminmax(tg.tensor([3, 1, 2])) == (1, 3)
    x, y = tg.meshgrid(tg.tensor([1, 2]), tg.tensor([3, 4, 5]), indexing="xy")
    assert x.shape == (3, 2) and y[:, 0].tolist() == [3, 4, 5]


def test_named_tuples_print_like_pytorch():
    result = tg.tensor([[3.0, 1.0, 2.0]]).median(1)
    assert repr(result) == ("torch.return_types.median(\nvalues=tensor([2.]),\n"
                            "indices=tensor([2]))")
    assert type(tg.tensor([1.0]).aminmax()).__name__ == "aminmax"
    assert tg.tensor([1.0, 2.0]).aminmax()._fields == ("min", "max")
    for name in ("kthvalue", "mode", "cummax", "cummin"):
        assert getattr(tg.return_types, name)._fields == ("values", "indices")


def test_as_tensor_shares_memory_with_a_numpy_array_of_its_dtype():
    array = np.arange(3.0)
    shared = tg.as_tensor(array)
    array[0] = 9.0
    assert shared.dtype == tg.float64 and shared.tolist() == [9.0, 1.0, 2.0]
    copied = tg.as_tensor(array, dtype=tg.float32)  # another dtype: a copy
    array[1] = 7.0
    assert copied.tolist() == [9.0, 1.0, 2.0]
    t = tg.ones(2)
    assert tg.as_tensor(t) is t and tg.asarray(t) is t
    assert tg.asarray(array, copy=True)._array is not array
    with pytest.raises(ValueError, match=re.escape("asarray(copy=False)")):
        tg.asarray([1.0], copy=False)


def test_views_share_memory_and_version():
    base = tg.arange(12.0).reshape(3, 4).clone()
    for view in (base.unbind(1)[0], base.narrow(1, 1, 2), base.movedim(0, 1), base.swapaxes(0, 1),
                 base.unflatten(1, (2, 2)), base.mT, base[0].broadcast_to((2, 4)),
                 tg.meshgrid(base[0], base[:, 0], indexing="ij")[0]):
        assert view._base is base and np.shares_memory(view.numpy(), base.numpy())
    row = base.unbind()[1]
    row.mul_(2)
    assert base[1].tolist() == [8.0, 10.0, 12.0, 14.0] and base._version == 1
    for copy in (base.index_select(0, tg.tensor([0])), base.diag(), base.roll(1),
                 base.masked_select(base > 3), base.repeat_interleave(2)):
        assert copy._base is None and not np.shares_memory(copy.numpy(), base.numpy())


def test_in_place_reshapes_record_the_view_and_bump_the_version():
    leaf = tg.ones(2, 3, requires_grad=True)
    y = leaf * 2
    assert y.unsqueeze_(0) is y and y.shape == (1, 2, 3) and y._version == 1
    assert y.grad_fn.name == "Reshape"
    y.squeeze_(0)
    y.t_()
    assert y.shape == (3, 2) and y._version == 3
    (y * tg.arange(6.0).reshape(3, 2)).sum().backward()
    assert leaf.grad.tolist() == [[0.0, 4.0, 8.0], [2.0, 6.0, 10.0]]
    with pytest.raises(RuntimeError, match=re.escape(
            "a leaf Variable that requires grad is being used in an in-place operation.")):
        leaf.unsqueeze_(0)
    with tg.no_grad():
        leaf.unsqueeze_(0)
    assert leaf.shape == (1, 2, 3)


def test_random_fills_take_a_generator_and_write_in_place():
    draws = []
    for _ in range(2):
        generator = tg.Generator().manual_seed(7)
        t = tg.empty(5)
        assert t.exponential_(generator=generator) is t
        t2 = tg.empty(5).random_(0, 10, generator=generator)
        t3 = tg.empty(5).bernoulli_(0.5, generator=generator)
        draws.append((t.tolist(), t2.tolist(), t3.tolist()))
    assert draws[0] == draws[1]
    t = tg.ones(4)
    view = t[1:3]
    view.random_(5, 6)
    assert t.tolist() == [1.0, 5.0, 5.0, 1.0] and t._version == 1
    leaf = tg.ones(3, requires_grad=True)
    y = leaf * 1
    y.exponential_()
    assert y.grad_fn is not None and bool((y > 0).all())
    y.sum().backward()
    assert leaf.grad.tolist() == [0.0, 0.0, 0.0]  # a fill's gradient is zero, as in PyTorch
    with pytest.raises(RuntimeError, match=re.escape("a leaf Variable that requires grad")):
        leaf.bernoulli_()
    assert tg.ones(10).random_().max().item() <= 2**24
    assert bool((tg.ones(20, dtype=tg.bool).random_() | True).all())


def test_random_float_bounds_beyond_the_mantissa_warn():
    with pytest.warns(UserWarning, match=re.escape(
            "to - 1 is out of bounds [-(2^24), 2^24]. Due to precision limitations float can "
            "support discrete uniform distribution only within this range.")):
        tg.ones(3).random_(0, 2**25)
    with pytest.warns(UserWarning, match=re.escape("from is out of bounds [-(2^11), 2^11]")):
        tg.ones(3, dtype=tg.float16).random_(-2**12, 0)


def test_meshgrid_without_indexing_warns_as_pytorch():
    with pytest.warns(UserWarning, match=re.escape(
            "torch.meshgrid: in an upcoming release, it will be required to pass the indexing "
            "argument.")):
        x, _ = tg.meshgrid(tg.tensor([1, 2]), tg.tensor([3, 4, 5]))
    assert x.shape == (2, 3)  # "ij"


def test_new_tensor_of_a_tensor_warns_as_pytorch():
    with pytest.warns(UserWarning, match=re.escape(
            "To copy construct from a tensor, it is recommended to use "
            "sourceTensor.detach().clone()")):
        assert tg.ones(1).new_tensor(tg.tensor([1, 2])).dtype == tg.float32


def test_cumprod_gradient_is_exact_with_zeros():
    x = tg.tensor([2.0, 0.0, 3.0, 0.0, 5.0], dtype=tg.float64, requires_grad=True)
    x.cumprod(0).sum().backward()
    assert x.grad.tolist() == [1.0, 8.0, 0.0, 0.0, 0.0]
    y = tg.tensor([[0.5, 0.0, -1.5, 2.0], [0.0, 0.0, 1.0, 0.7]], dtype=tg.float64,
                  requires_grad=True)
    assert tg.gradcheck(lambda t: t.cumprod(1), y)


def test_norm_gradient_is_zero_at_the_zero_vector():
    for p in (2, 3, 1.5, 0.5, -1):
        x = tg.zeros(3, dtype=tg.float64, requires_grad=True)
        x.norm(p).backward()
        assert x.grad.tolist() == [0.0, 0.0, 0.0], p
    x = tg.tensor([2.0, -2.0, 1.0], requires_grad=True)
    x.norm(float("inf")).backward()
    assert x.grad.tolist() == [0.5, -0.5, 0.0]  # shared between the tied largest magnitudes


def test_logit_eps_zeroes_the_gradient_outside_the_clamp():
    x = tg.tensor([0.0, 1.0, 0.5, 0.2], requires_grad=True)
    tg.logit(x, eps=0.2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0, 4.0, 6.25], rtol=1e-6)


def test_atan2_gradient_at_the_origin_is_zero():
    a = tg.zeros(1, requires_grad=True)
    b = tg.zeros(1, requires_grad=True)
    tg.atan2(a, b).sum().backward()
    assert a.grad.tolist() == [0.0] and b.grad.tolist() == [0.0]


def test_einsum_matches_numpy_and_its_gradient_reaches_every_operand():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3, 3)), rng.standard_normal((3, 4))
    ta = tg.tensor(a, requires_grad=True)
    tb = tg.tensor(b, requires_grad=True)
    out = tg.einsum("bii,ik->bk", ta, tb)
    np.testing.assert_allclose(out.detach().numpy(), np.einsum("bii,ik->bk", a, b))
    assert out.grad_fn.name == "Einsum" and repr(out.grad_fn) == \
        "Einsum(equation='bii,ik->bk', dtype='float64')"
    assert tg.gradcheck(lambda x, y: tg.einsum("bii,ik->bk", x, y), (ta, tb))


def test_new_zeros_requires_grad_only_for_floats():
    with pytest.raises(RuntimeError, match=re.escape(
            "Only Tensors of floating point and complex dtype can require gradients")):
        tg.tensor([1]).new_zeros(2, requires_grad=True)


# ---------------------------------------------------------------------- error paths

OUR_ERRORS = [  # where PyTorch's own message is an argument-parser dump or none at all
    (lambda: tg.ones(3).random_(2.5), TypeError, "random_() expects integer bounds, got 2.5"),
    (lambda: tg.ones(()).unflatten(0, (1,)), RuntimeError,
     "unflatten: a 0-dim tensor has no dim to unflatten"),
    (lambda: tg.ones(2, 6).unflatten(1, (-1, -1)), RuntimeError,
     "only one dimension can be inferred"),
    (lambda: tg.tensor([1, 2]).repeat_interleave(2, output_size=3), RuntimeError,
     "repeat_interleave: output_size (3) does not match the sum of repeats (4)"),
    (lambda: tg.einsum(tg.ones(2), [0]), TypeError,
     ("einsum(): the equation must be a string such as 'ij,jk->ik' (the sublist format is not "
      "supported)")),
]


@pytest.mark.parametrize("action, error, message", OUR_ERRORS)
def test_errors_where_pytorch_has_no_message_of_its_own(action, error, message):
    with pytest.raises(error, match=re.escape(message)):
        action()


ERRORS = [
    # priority 1
    (lambda: tg.dot(tg.tensor([1.0, 2.0]), tg.tensor([3, 4])), RuntimeError,
     "dot : expected both vectors to have same dtype, but found Float and Long"),
    (lambda: tg.dot(tg.ones(2, 2), tg.ones(2, 2)), RuntimeError,
     "1D tensors expected, but got 2D and 2D tensors"),
    (lambda: tg.dot(tg.ones(2), tg.ones(2, 2)), RuntimeError,
     "1D tensors expected, but got 1D and 2D tensors"),
    (lambda: tg.dot(tg.ones(3), tg.ones(4)), RuntimeError,
     ("inconsistent tensor size, expected tensor [3] and src [4] to have the same number of "
      "elements, but got 3 and 4 elements respectively")),
    (lambda: tg.dot(tg.ones(3), 3), TypeError,
     "dot(): argument 'tensor' (position 2) must be Tensor, not int"),
    (lambda: tg.dot(tg.tensor([True]), tg.tensor([True])), NotImplementedError,
     "\"dot\" not implemented for 'Bool'"),
    (lambda: tg.outer(tg.ones(2, 2), tg.ones(2)), RuntimeError,
     "outer: Expected 1-D argument self, but got 2-D"),
    (lambda: tg.outer(tg.ones(2), tg.ones(2, 2)), RuntimeError,
     "outer: Expected 1-D argument vec2, but got 2-D"),
    (lambda: tg.outer(tg.ones(()), tg.ones(2)), RuntimeError,
     "outer: Expected 1-D argument self, but got 0-D"),
    (lambda: tg.norm(tg.tensor([3, 4])), RuntimeError,
     "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long"),
    (lambda: tg.tensor([3.0, 4.0]).norm(dtype=tg.float16), RuntimeError,
     ("linalg.vector_norm: the dtype of the input (Float) should be convertible without narrowing "
      "to the specified dtype (Half)")),
    (lambda: tg.ones(2, 2, 2).norm("fro", dim=(0, 1, 2)), RuntimeError,
     "linalg.matrix_norm: dim must be a 2-tuple. Got 0 1 2"),
    (lambda: tg.ones(2, 2).norm("abc"), RuntimeError,
     "linalg.matrix_norm: Order abc not supported."),
    (lambda: tg.ones(0).norm(float("inf")), RuntimeError,
     ("linalg.vector_norm cannot compute the inf norm on an empty tensor because the operation "
      "does not have an identity")),
    (lambda: tg.logical_and(tg.tensor([1, 0, 2]), 1), TypeError,
     "logical_and(): argument 'other' (position 2) must be Tensor, not int"),
    (lambda: tg.logical_xor(tg.ones(2), tg.ones(3)), RuntimeError,
     "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0"),
    (lambda: tg.ones(2, 2).masked_select(tg.tensor([1, 0])), RuntimeError,
     "masked_select: expected BoolTensor for mask"),
    (lambda: tg.ones(2).masked_select(tg.tensor([True, False, True])), RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0"),
    (lambda: tg.ones(2).masked_select([True, False]), TypeError,
     "masked_select(): argument 'mask' (position 1) must be Tensor, not list"),
    (lambda: tg.ones(2, 2).index_select(1, tg.tensor([1.0])), RuntimeError,
     "index_select(): Expected dtype int32 or int64 for index"),
    (lambda: tg.ones(2, 2).index_select(1, tg.tensor([[1]])), IndexError,
     "index_select(): Index is supposed to be a vector"),
    (lambda: tg.ones(2, 2).index_select(1, tg.tensor([2])), RuntimeError,
     "INDICES element is out of DATA bounds, id=2 axis_dim=2"),
    (lambda: tg.ones(2, 2).index_select(1, tg.tensor([0, -1])), RuntimeError,
     "INDICES element is out of DATA bounds, id=-1 axis_dim=2"),
    (lambda: tg.ones(2, 2).index_select(1, [1]), TypeError,
     "index_select(): argument 'index' (position 2) must be Tensor, not list"),
    (lambda: tg.ones(2).index_select(1, tg.tensor([0])), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
    (lambda: tg.tensor(5.0).index_select(0, tg.tensor([0, 0])), RuntimeError,
     "index_select(): Index to scalar can have only 1 value, got 2 value(s)"),
    (lambda: tg.tensor(5.0).index_select(0, tg.tensor([1])), IndexError,
     "index out of range in self"),
    (lambda: tg.tensor(1).unbind(), IndexError,
     "Dimension specified as 0 but tensor has no dimensions"),
    (lambda: tg.ones(2, 3).narrow(1, 4, 0), IndexError,
     "start out of range (expected to be in range of [-3, 3], but got 4)"),
    (lambda: tg.ones(2, 3).narrow(1, -4, 1), IndexError,
     "start out of range (expected to be in range of [-3, 3], but got -4)"),
    (lambda: tg.ones(2, 3).narrow(1, 2, 2), RuntimeError,
     "start (2) + length (2) exceeds dimension size (3)."),
    (lambda: tg.ones(2, 3).narrow(1, 0, -1), RuntimeError,
     "narrow(): length must be non-negative."),
    (lambda: tg.tensor(1).narrow(0, 0, 1), RuntimeError,
     "narrow() cannot be applied to a 0-dim tensor."),
    (lambda: tg.linalg.norm(tg.tensor([[1.0, 2.0]]), 3), RuntimeError,
     "linalg.matrix_norm: Order 3 not supported."),
    (lambda: tg.linalg.norm(tg.tensor([1.0, 2.0]), "fro"), RuntimeError,
     "linalg.matrix_norm: The input tensor A must have at least 2 dimensions."),
    (lambda: tg.linalg.norm(tg.tensor([1.0, 2.0]), "abc"), RuntimeError,
     "linalg.matrix_norm: Order abc not supported."),
    (lambda: tg.linalg.norm(tg.ones(2, 3, 4), dim=(0, 1, 2)), RuntimeError,
     "linalg.norm: If dim is specified, it must be of length 1 or 2. Got [0, 1, 2]"),
    (lambda: tg.linalg.norm(tg.ones(2, 3, 4), 2), RuntimeError,
     "linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got 3D."),
    (lambda: tg.linalg.norm(tg.tensor([1, 2])), RuntimeError,
     "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long"),
    (lambda: tg.linalg.matrix_norm(tg.ones(2, 2, dtype=tg.int64)), RuntimeError,
     "linalg.matrix_norm: Expected a floating point or complex tensor as input. Got Long"),
    (lambda: tg.linalg.vector_norm(tg.ones(2), ord="fro"), TypeError,
     "linalg_vector_norm(): argument 'ord' must be Number, not str"),
    # priority 2
    (lambda: tg.atan2(tg.ones(1), 2.0), TypeError,
     "atan2(): argument 'other' (position 2) must be Tensor, not float"),
    (lambda: tg.hypot(tg.tensor([3]), tg.tensor([4])), NotImplementedError,
     "\"hypot_cpu\" not implemented for 'Long'"),
    (lambda: tg.hypot(tg.ones(1), 4.0), TypeError,
     "hypot(): argument 'other' (position 2) must be Tensor, not float"),
    (lambda: tg.lerp(tg.tensor([0, 1]), tg.tensor([10, 10]), 0.5), NotImplementedError,
     "\"lerp_kernel_scalar\" not implemented for 'Long'"),
    (lambda: tg.lerp(tg.tensor([0, 1]), tg.tensor([1, 1]), tg.tensor([1, 1])),
     NotImplementedError, "\"lerp_kernel_tensor\" not implemented for 'Long'"),
    (lambda: tg.lerp(tg.ones(2), tg.ones(2, dtype=tg.float64), 0.5), RuntimeError,
     "expected dtype float for `end` but got dtype double"),
    (lambda: tg.lerp(tg.ones(2), tg.ones(2, dtype=tg.float16), 0.5), RuntimeError,
     "expected dtype float for `end` but got dtype c10::Half"),
    (lambda: tg.lerp(tg.ones(2), tg.ones(2), tg.ones(1, dtype=tg.float64)), RuntimeError,
     "expected dtype float for `weight` but got dtype double"),
    (lambda: tg.lerp(tg.ones(2), tg.ones(3), 0.5), RuntimeError,
     "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0"),
    (lambda: tg.addmm(tg.ones(2, dtype=tg.int64), tg.ones(3, 2), tg.ones(2, 2)), RuntimeError,
     "self and mat2 must have the same dtype, but got Long and Float"),
    (lambda: tg.addmm(tg.ones(2, dtype=tg.float64), tg.ones(2, 2), tg.ones(2, 2, dtype=tg.float64)),
     RuntimeError, "mat1 and mat2 must have the same dtype, but got Float and Double"),
    (lambda: tg.addmm(tg.ones(2), tg.ones(2), tg.ones(2, 2)), RuntimeError,
     "mat1 must be a matrix, got 1-D tensor"),
    (lambda: tg.addmm(tg.ones(2), tg.ones(2, 2), tg.ones(2)), RuntimeError,
     "mat2 must be a matrix, got 1-D tensor"),
    (lambda: tg.addmm(tg.ones(2), tg.ones(3, 2), tg.ones(3, 2)), RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (3x2 and 3x2)"),
    (lambda: tg.addmm(tg.ones(3), tg.ones(3, 2), tg.ones(2, 2)), RuntimeError,
     ("The expanded size of the tensor (2) must match the existing size (3) at non-singleton "
      "dimension 1.  Target sizes: [3, 2].  Tensor sizes: [3]")),
    (lambda: tg.addmm(tg.ones(2, 2, 2), tg.ones(2, 2), tg.ones(2, 2)), RuntimeError,
     ("the number of sizes provided (2) must be greater or equal to the number of dimensions in "
      "the tensor (3)")),
    (lambda: tg.addcdiv(tg.tensor([1.0, 2.0]), tg.tensor([1, 2]), tg.tensor([3, 1])),
     RuntimeError, ("Integer division with addcdiv is no longer supported, and in a future  "
     "release addcdiv will perform a true division of tensor1 and tensor2.")),
    (lambda: tg.diff(tg.tensor(1)), RuntimeError,
     "diff expects input to be at least one-dimensional"),
    (lambda: tg.diff(tg.tensor([1, 2]), n=-1), RuntimeError,
     "order must be non-negative but got -1"),
    (lambda: tg.diff(tg.tensor([1, 2]), prepend=tg.tensor([[1]])), RuntimeError,
     "diff expects prepend or append to be the same dimension as input"),
    (lambda: tg.diff(tg.tensor([1, 2]), prepend=1), TypeError,
     "diff(): argument 'prepend' must be Tensor, not int"),
    (lambda: tg.diff(tg.tensor([[1, 2]]), dim=0, append=tg.tensor([[1, 2, 3]])), RuntimeError,
     ("diff expects the shape of tensor to prepend or append to match that of input except along "
      "the differencing dimension; input.size(1) = 2, but got tensor.size(1) = 3")),
    (lambda: tg.tensor([1, 2]).tile(-1), RuntimeError,
     "Trying to create tensor with negative dimension -2: [-2]"),
    (lambda: tg.tensor([1, 2]).repeat(-1), RuntimeError,
     "Trying to create tensor with negative dimension -2: [-2]"),
    (lambda: tg.ones(2, 3, 4).movedim((0, 1), (2,)), RuntimeError,
     ("movedim: Invalid source or destination dims: source ([0, 1] dims) should contain the same "
      "number of dims as destination ([2] dims)")),
    (lambda: tg.ones(2, 3, 4).movedim((0, -3), (1, 2)), RuntimeError,
     "movedim: repeated dim in `source` ([0, -3])"),
    (lambda: tg.ones(2, 3, 4).movedim((0, 1), (1, 1)), RuntimeError,
     "movedim: repeated dim in `destination` ([1, 1])"),
    (lambda: tg.ones(2, 3, 4).movedim(3, 0), IndexError,
     "Dimension out of range (expected to be in range of [-3, 2], but got 3)"),
    (lambda: tg.ones(2, 6).unflatten(1, (4, 2)), RuntimeError,
     ("unflatten: Provided sizes [4, 2] don't multiply up to the size of dim 1 (6) in the input "
      "tensor")),
    (lambda: tg.ones(2, 6).unflatten(1, ()), RuntimeError, "unflatten: sizes must be non-empty"),
    (lambda: tg.ones(2).broadcast_to((3, 3)), RuntimeError,
     ("The expanded size of the tensor (3) must match the existing size (2) at non-singleton "
      "dimension 1.  Target sizes: [3, 3].  Tensor sizes: [2]")),
    (lambda: tg.ones(2, 2).repeat_interleave(tg.tensor([1, 2, 3]), dim=0), RuntimeError,
     ("repeats must have the same size as input along dim, but got repeats.size(0) = 3 and "
      "input.size(0) = 2")),
    (lambda: tg.ones(2, 2).repeat_interleave(-1), RuntimeError, "Repeats must be non-negative"),
    (lambda: tg.ones(2, 2).repeat_interleave(tg.tensor([-1, 2]), dim=0), RuntimeError,
     "repeats can not be negative"),
    (lambda: tg.ones(2, 2).repeat_interleave(tg.tensor([1.0, 2.0]), dim=0), NotImplementedError,
     "\"repeat_interleave_cpu\" not implemented for 'Float'"),
    (lambda: tg.ones(2, 2).repeat_interleave(tg.tensor([[1, 2]]), dim=0), RuntimeError,
     "repeats must be 0-dim or 1-dim tensor"),
    (lambda: tg.ones(2, 2).roll((1, 1), (0,)), RuntimeError,
     "shifts and dimensions must align. shifts: 2, dims:1"),
    (lambda: tg.ones(2, 2).roll((1, 2)), RuntimeError,
     "shifts and dimensions must align. shifts: 2, dims:0"),
    (lambda: tg.meshgrid(tg.tensor([1, 2]), tg.tensor([3.0]), indexing="ij"), RuntimeError,
     "meshgrid expects all tensors to have the same dtype"),
    (lambda: tg.meshgrid(tg.tensor([1, 2]), tg.tensor([3]), indexing="ab"), RuntimeError,
     'torch.meshgrid: indexing must be one of "xy" or "ij", but received: ab'),
    (lambda: tg.meshgrid(tg.tensor([[1, 2]]), tg.tensor([3]), indexing="ij"), RuntimeError,
     "torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: "),
    (lambda: tg.meshgrid(indexing="ij"), RuntimeError, "meshgrid expects a non-empty TensorList"),
    (lambda: tg.hstack([]), RuntimeError, "hstack expects a non-empty TensorList"),
    (lambda: tg.vstack([]), RuntimeError, "vstack expects a non-empty TensorList"),
    (lambda: tg.hstack([tg.tensor([1]), tg.tensor([[2]])]), RuntimeError,
     "Tensors must have same number of dimensions: got 1 and 2"),
    (lambda: tg.broadcast_tensors(tg.ones(2), tg.ones(3)), RuntimeError,
     "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0"),
    (lambda: tg.broadcast_shapes((2, 1), (3, 3)), RuntimeError,
     ("Attempting to broadcast a dimension of length 3 at -2! Mismatching argument at index 1 had "
      "(3, 3); but expected shape should be broadcastable to [2, 3]")),
    (lambda: tg.ones(2, 2, 2).diag(), RuntimeError, "diag(): Supports 1D or 2D tensors. Got 3D"),
    (lambda: tg.ones(()).diag(), RuntimeError, "diag(): Supports 1D or 2D tensors. Got 0D"),
    (lambda: tg.ones(2).trace(), RuntimeError,
     "trace: expected a matrix, but got tensor with dim 1"),
    (lambda: tg.ones(2, 2, dtype=tg.bool).trace(), NotImplementedError,
     "\"trace\" not implemented for 'Bool'"),
    (lambda: tg.einsum("ij,jk->ik", tg.ones(2, 3)), RuntimeError,
     "einsum(): fewer operands were provided than specified in the equation"),
    (lambda: tg.einsum("ij->i", tg.ones(3, 2), tg.ones(2)), RuntimeError,
     "einsum(): more operands were provided than specified in the equation"),
    (lambda: tg.einsum("ijk,jk->ik", tg.ones(2, 3), tg.ones(3, 4)), RuntimeError,
     ("einsum(): the number of subscripts in the equation (3) does not match the number of "
      "dimensions (2) for operand 0 and no ellipsis was given")),
    (lambda: tg.einsum("ij,jk->ik", tg.ones(2, 3), tg.ones(2, 3)), RuntimeError,
     ("einsum(): subscript j has size 2 for operand 1 which does not broadcast with previously "
      "seen size 3")),
    (lambda: tg.einsum("ij,jk->iz", tg.ones(2, 3), tg.ones(3, 4)), RuntimeError,
     "einsum(): output subscript z does not appear in the equation for any input operand"),
    (lambda: tg.einsum("ij,jk->ii", tg.ones(2, 3), tg.ones(3, 4)), RuntimeError,
     "einsum(): output subscript i appears more than once in the output"),
    (lambda: tg.einsum("i1,jk->i", tg.ones(2, 3), tg.ones(3, 4)), RuntimeError,
     ("einsum(): invalid subscript given at index 1 in the equation string, subscripts must be "
      "in [a-zA-Z]")),
    (lambda: tg.einsum("i-j", tg.ones(2)), RuntimeError,
     "einsum(): invalid subscript given at index 1 in the equation string"),
    (lambda: tg.einsum("ii->i", tg.ones(3, 2)), RuntimeError,
     "einsum(): subscript i is repeated for operand 0 but the sizes don't match, 2 != 3"),
    (lambda: tg.einsum("...i...->i", tg.ones(2, 3)), RuntimeError,
     "einsum(): found '.' for operand 0 for which an ellipsis was already found"),
    (lambda: tg.einsum("ij,jk", tg.ones(2, 3, dtype=tg.int64), tg.ones(3, 4)), RuntimeError,
     "expected scalar type Long but found Float"),
    (lambda: tg.einsum("ij->i", 1.0), TypeError,
     "expected Tensor as element 0 in argument 1, but got float"),
    (lambda: tg.einsum("->"), ValueError,
     "einsum(): must specify the equation string and at least one operand"),
    (lambda: tg.tensor([True, False]).median(), NotImplementedError,
     "\"median_cpu\" not implemented for 'Bool'"),
    (lambda: tg.ones(2, 0).median(1), IndexError,
     "median(): Expected reduction dim 1 to have non-zero size."),
    (lambda: tg.tensor([3.0, 1.0]).kthvalue(3), RuntimeError,
     "kthvalue(): selected number k out of range for dimension 0"),
    (lambda: tg.tensor([3.0, 1.0]).kthvalue(0), RuntimeError,
     "kthvalue(): selected number k out of range for dimension 0"),
    (lambda: tg.tensor([True]).kthvalue(1), NotImplementedError,
     "\"kthvalue_cpu\" not implemented for 'Bool'"),
    (lambda: tg.ones(0).mode(), IndexError,
     "mode(): Expected reduction dim 0 to have non-zero size."),
    (lambda: tg.ones(0).aminmax(), RuntimeError,
     ("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
      "identity.")),
    (lambda: tg.ones(2, 3).aminmax(dim=(0, 1)), TypeError,
     "aminmax(): argument 'dim' must be int, not tuple"),
    (lambda: tg.var_mean(tg.tensor([1, 2])), RuntimeError,
     "var_mean only support floating point and complex dtypes"),
    (lambda: tg.std_mean(tg.tensor([1, 2])), RuntimeError,
     "std_mean only support floating point and complex dtypes"),
    (lambda: tg.ones(()).stride(0), IndexError,
     "Dimension specified as 0 but tensor has no dimensions"),
    (lambda: tg.ones(3).mT, RuntimeError,
     "tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor."),
    (lambda: tg.ones(3).mH, RuntimeError,
     "tensor.mH is only supported on matrices or batches of matrices. Got 1-D tensor."),
    (lambda: tg.ones(2, 2, 2).t_(), RuntimeError,
     "t_() expects a tensor with <= 2 dimensions, but self is 3D"),
    (lambda: tg.ones(3).exponential_(0), RuntimeError,
     "exponential_ expects lambda > 0.0, but found lambda=0"),
    (lambda: tg.ones(3).exponential_(-2.5), RuntimeError,
     "exponential_ expects lambda > 0.0, but found lambda=-2.5"),
    (lambda: tg.ones(3, dtype=tg.int64).exponential_(), RuntimeError,
     ("Exponential distribution is a continuous probability distribution. dtype must be a "
      "floating point but you specified Long")),
    (lambda: tg.ones(3).random_(5, 3), RuntimeError,
     "random_ expects 'from' to be less than 'to', but got from=5 >= to=3"),
    (lambda: tg.ones(3).random_(0), RuntimeError,
     "random_ expects 'from' to be less than 'to', but got from=0 >= to=0"),
    (lambda: tg.ones(3, dtype=tg.uint8).random_(-3, 2), RuntimeError,
     "from is out of bounds for unsigned char"),
    (lambda: tg.ones(3, dtype=tg.int8).random_(0, 1000), RuntimeError,
     "to - 1 is out of bounds for signed char"),
    (lambda: tg.ones(3, dtype=tg.int16).random_(0, 2**40), RuntimeError,
     "to - 1 is out of bounds for short int"),
    (lambda: tg.ones(3, dtype=tg.bool).random_(-1, 2), RuntimeError,
     "from is out of bounds for bool"),
    (lambda: tg.ones(3).bernoulli_(1.5), RuntimeError,
     "bernoulli_ expects p to be in [0, 1], but got p=1.5"),
    (lambda: tg.ones(3).bernoulli_(tg.tensor([0.0, 1.0, 1.5])), RuntimeError,
     "Expected p_in >= 0 && p_in <= 1 to be true, but got false."),
    (lambda: tg.ones(3).bernoulli_(tg.tensor([0, 1, 1])), NotImplementedError,
     "\"bernoulli_tensor_cpu_p_\" not implemented for 'Long'"),
    (lambda: tg.ones(3).bernoulli_(tg.tensor([[0.0, 1.0, 1.0]])), RuntimeError,
     ("the number of sizes provided (1) must be greater or equal to the number of dimensions in "
      "the tensor (2)")),
]


@pytest.mark.parametrize("action, error, message", ERRORS,
                         ids=[f"{i}-{e[2][:40]}" for i, e in enumerate(ERRORS)])
def test_errors_name_the_problem(action, error, message):
    with pytest.raises(error, match=re.escape(message)):
        action()


@pytest.mark.parametrize("action, error, message", ERRORS,
                         ids=[f"{i}-{e[2][:40]}" for i, e in enumerate(ERRORS)])
def test_pytorch_raises_the_same_errors(action, error, message):
    """The same calls through PyTorch raise the same exception types with the same words (the
    library's name swapped), so the table stays PyTorch's, not an invention."""
    torch = pytest.importorskip("torch")
    source = action.__code__
    namespace = dict(action.__globals__, tg=torch)
    torch_action = type(action)(source, namespace)
    with pytest.raises(error, match=re.escape(message)):
        torch_action()

"""The ceiling of a bit-identical replay: W1's training step as tinygrad_bn's eager mode computes
it, written by hand in NumPy with no framework around it (issue 19).

    python benchmarks/replay_ceiling.py [--steps N] [--repeats R] [--profile]

Issue 19 asks for W1 under ``jit`` within 1.25x of the NumPy floor (``numpy_floor.py``) and for
replays bit-identical (float64 bitwise) to eager mode. The floor computes the same step with its
own arithmetic (its BatchNorm as ``c * gamma / std + beta``, Adam with folded moments), so its
parameters agree with eager's to rounding, not bitwise. ``CeilingMLP`` makes the NumPy calls
tinygrad_bn eager makes, with the same ufuncs on the same operand values in the same order, the
same dtypes and scalars, and the same BLAS calls on the same operand layouts (``dot(x, W.T)``
with ``W`` stored ``(out, in)``, column sums as ``dot(ones, a)``, row sums of the softmax as
``dot(ones, exp.T)``), so that its parameters, running statistics and losses after any number of
steps equal eager's bit for bit (``tests/test_benchmarks.py`` checks it, float32 and float64).
What it drops is everything a replay could drop without changing a bit:

- no graph, no tensors, no module calls, no guards: a step is straight-line NumPy;
- every buffer is allocated once per batch size (64-byte aligned) and written with ``out=``,
  results overwrite inputs no later step reads (BatchNorm's centred input in the Linear's
  output, ReLU in place, the loss gradient in the softmax's buffer, which eager copies);
- parameters and gradients are views into two flat buffers: gradients are written where Adam
  reads them (eager gathers them with one ``concatenate``) and Adam's update is one subtraction
  (eager's is one per parameter);
- the running statistics of all layers live in one buffer and move in three calls;
- constants are 0-d arrays of the parameters' dtype (the same values as eager's NumPy scalars).

So no replay bit-identical to eager can take less time than this step, short of changing
NumPy's per-call costs: it is the fastest plan a perfect JIT could replay.

``floor_batchnorm=True`` and ``floor_adam=True`` swap in the floor's arithmetic for those two
pieces (BatchNorm's statistics as ``dot(1/n, a)``, its output as ``c * (gamma / std) + beta`` and
the closed-form backward of ``numpy_floor.py``; Adam's moments kept rescaled, ten passes): the
same layouts, other rounding. Timing them against the ceiling and the floor splits the gap
between eager-identical arithmetic and the floor into arithmetic and layout.
``preallocated=False`` runs eager's op bodies as they are written, straight-line (every result a
new array, NumPy scalars, the softmax copied, gradients concatenated, one subtraction per
parameter), still bit-identical: between it and the jit lies the cost of the op objects,
tensors and plan glue; between it and the ceiling, what planning buffers buys.
"""

import argparse
import cProfile
import os
import pstats
import statistics
import subprocess
import sys
import time

import numpy as np
from numpy import (add, copyto, divide, dot, exp, greater, log, maximum, multiply, sqrt, subtract,
                   take)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))  # the checkout's tinygrad_bn, not an installed one

from numpy_floor import _empty, folded_adam_passes  # noqa: E402 - 64-byte aligned buffers

# Adam's passes run over chunks of this many elements, as eager's (``optim/adam.py``); W1's
# 5,957 parameters are one chunk. Chunking changes no value: every pass is elementwise.
ADAM_CHUNK = 65536


def _constant(value, dtype):
    """A 0-d array: the same value as eager's ``dtype.type(value)`` scalar, without NumPy
    converting a scalar on every call."""
    return _empty((), dtype, fill=value)


class _Layer:
    """One hidden layer (Linear without bias, BatchNorm1d, ReLU): parameter and gradient views
    and the buffers for one batch size."""

    __slots__ = ("first", "W", "WT", "gW", "gamma", "beta", "ggamma", "gbeta", "mean", "var",
                 "a_prev", "ga_prev", "h", "z", "ga", "inv_std", "scale", "mask", "column",
                 "column2", "product", "std", "k", "m", "inv_n")


class CeilingMLP:
    """``sizes = (in, hidden, ..., out)``: per hidden layer ``Linear(bias=False)`` ->
    ``BatchNorm1d`` -> ``ReLU``, then ``Linear`` with bias, mean cross-entropy and
    ``Adam(lr, betas, eps)``, all in ``dtype``: W1's model as ``run._model`` builds it.

    ``params`` (arrays in PyTorch's order and shapes: ``W, gamma, beta`` per hidden layer, then
    ``W, b``) start the model where a tinygrad_bn model is; without them they are drawn as the
    floor draws them. ``params``, ``grads`` and ``running`` (each layer's ``(running_mean,
    running_var)``) are views into the flat buffers; ``num_batches_tracked`` counts steps as
    each BatchNorm1d does."""

    def __init__(self, sizes, rng=None, params=None, dtype=np.float32, lr=0.01,
                 betas=(0.9, 0.999), eps=1e-8, floor_batchnorm=False, floor_adam=False,
                 preallocated=True):
        self.sizes, self.dtype = tuple(sizes), np.dtype(dtype)
        self.floor_batchnorm, self.floor_adam = floor_batchnorm, floor_adam
        if not preallocated:
            self.step = self._step_allocating
        shapes = []
        for fan_in, fan_out in zip(self.sizes[:-2], self.sizes[1:-1]):
            shapes += [((fan_out, fan_in), fan_in, None), ((fan_out,), None, 1),
                       ((fan_out,), None, 0)]
        shapes += [((self.sizes[-1], self.sizes[-2]), self.sizes[-2], None),
                   ((self.sizes[-1],), self.sizes[-2], None)]
        total = sum(int(np.prod(shape)) for shape, _, _ in shapes)
        self.flat = _empty(total, dtype)
        self.flat_grad = _empty(total, dtype, fill=0)
        self.params, self.grads, offset = [], [], 0
        for i, (shape, fan_in, fill) in enumerate(shapes):
            size = int(np.prod(shape))
            param = self.flat[offset:offset + size].reshape(shape)
            self.params.append(param)
            self.grads.append(self.flat_grad[offset:offset + size].reshape(shape))
            if params is not None:
                param[...] = params[i]
            elif fill is not None:
                param[...] = fill
            else:
                bound = 1 / np.sqrt(fan_in)
                param[...] = rng.uniform(-bound, bound, shape)
            offset += size

        # Running statistics [mean_1, var_1, mean_2, var_2, ...] and the batch's, laid out
        # alike: one multiply-add moves them all, the same arithmetic per element as eager's
        # ``running *= 1 - momentum; running += batch * momentum`` per buffer.
        hidden = self.sizes[1:-1]
        self._running = _empty(2 * sum(hidden), dtype, fill=0)
        self._batch_stats = _empty(2 * sum(hidden), dtype, fill=0)
        self._stats_tmp = _empty(2 * sum(hidden), dtype)
        self._keep = _constant(1 - 0.1, dtype)
        self.running, offset = [], 0
        for width in hidden:
            self._running[offset + width:offset + 2 * width] = 1
            self.running.append((self._running[offset:offset + width],
                                 self._running[offset + width:offset + 2 * width]))
            offset += 2 * width
        self.num_batches_tracked = 0

        self.exp_avg = _empty(total, dtype, fill=0)
        self.exp_avg_sq = _empty(total, dtype, fill=0)
        self._scratch = _empty(total, dtype)
        self._chunks = [tuple(buffer[start:start + ADAM_CHUNK] for buffer in
                              (self.flat, self.flat_grad, self.exp_avg, self.exp_avg_sq,
                               self._scratch))
                        for start in range(0, total, ADAM_CHUNK)]
        self.lr, self.beta1, self.beta2, self.eps, self.t = lr, betas[0], betas[1], eps, 0
        # eager's constants (``scalar(1 - beta1)``, ...), as 0-d arrays; the step-dependent
        # ones are written in place each step
        self._one_minus_beta1 = _constant(1 - betas[0], dtype)
        self._beta2 = _constant(betas[1], dtype)
        self._one_minus_beta2 = _constant(1 - betas[1], dtype)
        self._eps = _constant(eps, dtype)
        self._bias_correction2_sqrt = _constant(1, dtype)
        self._step_size = _constant(1, dtype)
        self._beta1 = _constant(betas[0], dtype)  # the floor's Adam
        self._zero, self._one = _constant(0, dtype), _constant(1, dtype)
        self._bn_eps = _constant(1e-5, dtype)  # BatchNorm1d's default eps
        self._plans = {}
        self._update_views = [self._scratch[offset:offset + p.size].reshape(p.shape) for
                              offset, p in zip(np.cumsum([0] + [p.size for p in self.params]),
                                               self.params)]

    def _plan(self, n):
        """The buffers (and views of them) for batches of ``n``."""
        dtype = self.dtype
        layers = []
        widths = self.sizes[1:-1]
        for i, width in enumerate(widths):
            W, gamma, beta = self.params[3 * i:3 * i + 3]
            gW, ggamma, gbeta = self.grads[3 * i:3 * i + 3]
            layer = _Layer()
            layer.first = i == 0
            layer.W, layer.WT, layer.gW = W, W.T, gW
            layer.gamma, layer.beta, layer.ggamma, layer.gbeta = gamma, beta, ggamma, gbeta
            offset = 2 * sum(widths[:i])
            layer.mean = self._batch_stats[offset:offset + width]
            layer.var = self._batch_stats[offset + width:offset + 2 * width]
            layer.a_prev = layers[-1].z if layers else None
            layer.ga_prev = layers[-1].ga if layers else None
            layer.h, layer.z, layer.ga, layer.product = (_empty((n, width), dtype)
                                                         for _ in range(4))
            layer.mask = _empty((n, width), bool)
            (layer.inv_std, layer.scale, layer.column, layer.column2, layer.std, layer.k,
             layer.m) = (_empty(width, dtype) for _ in range(7))
            layer.inv_n = _empty(width, dtype, fill=1 / n)  # the floor's BatchNorm
            layers.append(layer)
        classes = self.sizes[-1]
        m = n  # values per channel
        plan = dict(
            layers=layers, logits=_empty((n, classes), dtype),
            logits_T=_empty((classes, n), dtype), row_max=_empty(n, dtype),
            total=_empty(n, dtype), row_loss=_empty(n, dtype), picked=_empty(n, dtype),
            ones=_empty(n, dtype, fill=1), ones_classes=_empty(classes, dtype, fill=1),
            row_offsets=_empty(n, np.int64, fill=np.arange(n) * classes),
            label_index=_empty(n, np.int64),
            inverse_m=_constant(dtype.type(1 / m), dtype),
            # eager: momentum for the means, momentum * m / (m - 1) for the variances
            momentum=_empty(2 * sum(widths), dtype, fill=np.concatenate(
                [np.r_[np.full(w, dtype.type(0.1)), np.full(w, dtype.type(0.1 * m / (m - 1)))]
                 for w in widths])),
            # eager's loss gradient: grad_output (ones) / n, in the loss's dtype
            grad_scale=_constant(np.ones((), dtype) / n, dtype),
            n=_constant(n, dtype),
            inv_n=_empty(n, dtype, fill=1 / n))  # the floor's BatchNorm
        self._plans[n] = plan
        return plan

    def step(self, x, y):
        """One training step on a batch (``x`` of shape ``(n, in)`` in the model's dtype, ``y``
        int64 labels ``(n,)``); returns the loss as a Python float."""
        plan = self._plans.get(len(y)) or self._plan(len(y))
        layers, inverse_m, ones = plan["layers"], plan["inverse_m"], plan["ones"]
        floor_batchnorm = self.floor_batchnorm
        zero = self._zero

        a = x
        for layer in layers:
            h, z = layer.h, layer.z
            dot(a, layer.WT, out=h)                      # Linear: x @ W.T (eager's np.dot)
            mean, var, inv_std = layer.mean, layer.var, layer.inv_std
            if floor_batchnorm:
                self._floor_batchnorm_forward(layer, plan["inv_n"])
            else:
                dot(ones, h, out=mean)                   # column_sums(x)
                multiply(mean, inverse_m, out=mean)      # mean *= 1/m
                subtract(h, mean, out=h)                 # centred = x - mean (in h's buffer)
                multiply(h, h, out=z)                    # squares, in the output's buffer
                dot(ones, z, out=var)
                multiply(var, inverse_m, out=var)        # biased variance
                add(var, self._bn_eps, out=inv_std)      # (eager: in var's buffer, after the
                sqrt(inv_std, out=inv_std)               #  running statistics took var)
                divide(self._one, inv_std, out=inv_std)  # 1 / sqrt(var + eps)
                multiply(h, inv_std, out=h)              # x_hat, in place
                multiply(h, layer.gamma, out=z)
                add(z, layer.beta, out=z)
            maximum(z, zero, out=z)                      # ReLU, in place
            a = z
        # running = running * (1 - momentum) + batch * momentum, every layer at once
        running, stats_tmp = self._running, self._stats_tmp
        multiply(running, self._keep, out=running)
        multiply(self._batch_stats, plan["momentum"], out=stats_tmp)
        add(running, stats_tmp, out=running)
        self.num_batches_tracked += 1

        # Output layer and cross-entropy, row-major (n, classes) as eager's.
        W, b = self.params[-2:]
        gW, gb = self.grads[-2:]
        logits, logits_T, row_max, total = (plan["logits"], plan["logits_T"], plan["row_max"],
                                            plan["total"])
        dot(a, W.T, out=logits)
        add(logits, b, out=logits)                       # out += bias
        classes = self.sizes[-1]
        if y.view(np.uint64).max() >= classes:           # eager's label check, one max
            bad = y[(y < 0) | (y >= classes)]
            raise IndexError(f"Target {bad[0]} is out of bounds.")
        if classes <= 64:                                # reduce.row_max:
            copyto(logits_T, logits.T)                   # ascontiguousarray(x.T).max(axis=0)
            maximum.reduce(logits_T, axis=0, out=row_max)
        else:
            maximum.reduce(logits, axis=1, out=row_max)  # x.max(axis=1)
        subtract(logits, row_max[:, None], out=logits)   # shifted, in place
        row_loss, label_index, picked = plan["row_loss"], plan["label_index"], plan["picked"]
        add(plan["row_offsets"], y, out=label_index)     # flat index of [i, y_i]
        take(logits.reshape(-1), label_index, out=picked)  # shifted[i, y_i] (before exp)
        probs = exp(logits, out=logits)                  # (shifted is not read again)
        dot(plan["ones_classes"], probs.T, out=total)    # row_sums(exp)
        log(total, out=row_loss)
        subtract(row_loss, picked, out=row_loss)         # log(total) - shifted[i, y_i]
        divide(probs, total[:, None], out=probs)         # softmax
        loss = add.reduce(row_loss) / plan["n"]          # np.add.reduce(losses) / n
        probs_flat = probs.reshape(-1)
        probs_flat[label_index] -= 1                     # softmax - onehot (eager: on a copy)
        multiply(probs, plan["grad_scale"], out=probs)   # * grad_output / n

        ga = layers[-1].ga
        dot(probs, W, out=ga)                            # Linear backward: g @ W
        dot(probs.T, a, out=gW)                          #                  g.T @ x
        dot(ones, probs, out=gb)                         #                  column_sums(g)
        for layer in reversed(layers):
            greater(layer.z, zero, out=layer.mask)       # ReLU backward: g * (out > 0)
            multiply(ga, layer.mask, out=ga)
            if floor_batchnorm:
                gh = self._floor_batchnorm_backward(layer, ga, ones)
            else:
                gh = self._batchnorm_backward(layer, ga, ones, inverse_m)
            if not layer.first:
                dot(gh, layer.W, out=layer.ga_prev)
            dot(gh.T, layer.a_prev if not layer.first else x, out=layer.gW)
            ga = layer.ga_prev
        if self.floor_adam:
            self._floor_adam()
        else:
            self._adam()
        return float(loss)

    def _step_allocating(self, x, y):
        """The same step as ``step`` with eager's calls as its ops write them: every result a
        new array, constants NumPy scalars, the loss gradient a copy of the softmax, gradients
        gathered for Adam by one ``concatenate`` and one subtraction per parameter. What an
        ideal replay of eager's op bodies costs with no buffer planning (and no op objects,
        tensors or plan glue either); bit-identical to ``step``."""
        scalar, n, classes = self.dtype.type, len(y), self.sizes[-1]
        ones = self._plans.get(("ones", n))
        if ones is None:
            ones = self._plans[("ones", n)] = np.ones(n, self.dtype)
            self._plans[("ones", classes)] = np.ones(classes, self.dtype)
        ones_classes = self._plans[("ones", classes)]
        zero = self._zero
        inverse_m = scalar(1 / n)
        hidden, saved, a = len(self.sizes) - 2, [], x
        for i in range(hidden):
            W, gamma, beta = self.params[3 * i:3 * i + 3]
            h = np.dot(a, W.T)                                   # ops.Linear
            mean = np.dot(ones, h)                               # ops.BatchNorm, training
            mean *= inverse_m
            centred = h - mean
            out = np.multiply(centred, centred)
            var = np.dot(ones, out)
            var *= inverse_m
            running_mean, running_var = self.running[i]
            keep = scalar(1 - 0.1)
            running_mean *= keep
            running_mean += mean.reshape(-1) * scalar(0.1)
            running_var *= keep
            running_var += var.reshape(-1) * scalar(0.1 * n / (n - 1))
            inv_std = np.add(var, scalar(1e-5), out=var)
            np.sqrt(inv_std, out=inv_std)
            np.divide(scalar(1), inv_std, out=inv_std)
            x_hat = np.multiply(centred, inv_std, out=centred)
            out = np.multiply(x_hat, gamma, out=out)
            out += beta
            relu = np.maximum(out, zero)                         # ops.ReLU
            saved.append((a, x_hat, inv_std, relu))
            a = relu
        self.num_batches_tracked += 1
        W, b = self.params[-2:]
        logits = np.dot(a, W.T)
        logits += b
        if y.view(np.uint64).max() >= classes:                   # ops.CrossEntropy
            bad = y[(y < 0) | (y >= classes)]
            raise IndexError(f"Target {bad[0]} is out of bounds.")
        shifted = logits - (np.ascontiguousarray(logits.T).max(axis=0)[:, None]
                            if classes <= 64 else logits.max(axis=1, keepdims=True))
        exp_ = np.exp(shifted)
        total = np.dot(ones_classes, exp_.T)[:, None]
        rows = np.arange(n)
        losses = np.log(total).reshape(n) - shifted[rows, y]
        probabilities = np.divide(exp_, total, out=exp_)
        loss = np.asarray(np.add.reduce(losses) / n, dtype=self.dtype)
        g = probabilities.copy()                                 # its backward
        g[rows, y] -= 1
        g *= np.ones_like(loss) / n
        grads = [None] * len(self.params)
        ga = np.dot(g, W)
        grads[-2], grads[-1] = np.dot(g.T, a), np.dot(ones, g)
        for i in reversed(range(hidden)):
            a_prev, x_hat, inv_std, relu = saved[i]
            W, gamma, _ = self.params[3 * i:3 * i + 3]
            gz = ga * (relu > zero)
            sum_g = np.dot(ones, gz)
            product = gz * x_hat
            sum_g_xhat = np.dot(ones, product)
            scale = gamma * inv_std
            grad_x = gz - sum_g * inverse_m
            grad_x -= np.multiply(x_hat, sum_g_xhat * inverse_m, out=product)
            grad_x *= scale
            if i:
                ga = np.dot(grad_x, W)
            grads[3 * i:3 * i + 3] = np.dot(grad_x.T, a_prev), sum_g_xhat, sum_g
        # optim.Adam; (eager's concatenate makes a new array: here it fills ``flat_grad``, so
        # that ``grads`` show this step's gradients as they do for ``step``)
        grad = np.concatenate(grads, axis=None, out=self.flat_grad)
        self.t += 1
        step = self.t
        bias_correction1 = 1 - self.beta1**step
        bias_correction2_sqrt = (1 - self.beta2**step) ** 0.5
        one_minus_beta1, beta2, one_minus_beta2, bc2, eps, step_size = (
            scalar(1 - self.beta1), scalar(self.beta2), scalar(1 - self.beta2),
            scalar(bias_correction2_sqrt), scalar(self.eps), scalar(self.lr / bias_correction1))
        for start in range(0, grad.size, ADAM_CHUNK):
            end = start + ADAM_CHUNK
            g, m, v, s = (grad[start:end], self.exp_avg[start:end], self.exp_avg_sq[start:end],
                          self._scratch[start:end])
            np.subtract(g, m, out=s)
            s *= one_minus_beta1
            m += s
            v *= beta2
            np.multiply(g, one_minus_beta2, out=s)
            s *= g
            v += s
            np.sqrt(v, out=s)
            s /= bc2
            s += eps
            np.divide(m, s, out=s)
            s *= step_size
        for p, part in zip(self.params, self._update_views):
            p -= part
        return float(loss)

    @staticmethod
    def _batchnorm_backward(layer, g, ones, inverse_m):
        """``ops.BatchNorm.backward`` in training, call for call; ``g`` (the ReLU's gradient,
        in the previous Linear's gradient buffer) becomes ``dL/dx``."""
        x_hat, product, column, column2 = layer.h, layer.product, layer.column, layer.column2
        dot(ones, g, out=layer.gbeta)                     # sum_g
        multiply(g, x_hat, out=product)
        dot(ones, product, out=layer.ggamma)              # sum_g_xhat
        multiply(layer.gamma, layer.inv_std, out=layer.scale)
        multiply(layer.gbeta, inverse_m, out=column)
        subtract(g, column, out=g)                        # g - sum_g / m
        multiply(layer.ggamma, inverse_m, out=column2)
        multiply(x_hat, column2, out=product)
        subtract(g, product, out=g)                       # - x_hat * sum_g_xhat / m
        multiply(g, layer.scale, out=g)                   # * gamma / std
        return g

    def _adam(self):
        """``optim.Adam._update_flat`` over the flat buffers, in eager's order of passes; the
        parameters take their update in one subtraction."""
        self.t += 1
        step = self.t
        bias_correction1 = 1 - self.beta1**step
        self._bias_correction2_sqrt[()] = (1 - self.beta2**step) ** 0.5
        self._step_size[()] = self.lr / bias_correction1
        omb1, b2, omb2, bc2, eps, step_size = (
            self._one_minus_beta1, self._beta2, self._one_minus_beta2,
            self._bias_correction2_sqrt, self._eps, self._step_size)
        for p, g, m, v, s in self._chunks:
            subtract(g, m, out=s)
            multiply(s, omb1, out=s)
            add(m, s, out=m)                              # m += (1 - beta1) (g - m)
            multiply(v, b2, out=v)
            multiply(g, omb2, out=s)
            multiply(s, g, out=s)
            add(v, s, out=v)                              # v = beta2 v + (1 - beta2) g g
            sqrt(v, out=s)
            divide(s, bc2, out=s)
            add(s, eps, out=s)                            # sqrt(v) / sqrt(bc2) + eps
            divide(m, s, out=s)
            multiply(s, step_size, out=s)                 # lr / bc1 * (m / denom)
            subtract(p, s, out=p)

    # The floor's arithmetic (numpy_floor.py), for the variant that measures what it buys.

    def _floor_batchnorm_forward(self, layer, inv_n):
        h, z, mean, var, std, scale = layer.h, layer.z, layer.mean, layer.var, layer.std, \
            layer.scale
        dot(inv_n, h, out=mean)
        subtract(h, mean, out=h)                          # c
        multiply(h, h, out=z)
        dot(inv_n, z, out=var)
        add(var, self._bn_eps, out=std)
        sqrt(std, out=std)
        divide(layer.gamma, std, out=scale)
        multiply(h, scale, out=z)
        add(z, layer.beta, out=z)                         # c * gamma / std + beta

    @staticmethod
    def _floor_batchnorm_backward(layer, g, ones):
        c, std, k, m, inv_n = layer.h, layer.std, layer.k, layer.m, layer.inv_n
        dot(ones, g, out=layer.gbeta)
        multiply(g, c, out=layer.product)
        dot(ones, layer.product, out=layer.ggamma)
        divide(layer.ggamma, std, out=layer.ggamma)
        divide(layer.ggamma, std, out=k)
        multiply(k, inv_n, out=k)
        multiply(layer.gbeta, inv_n, out=m)
        multiply(c, k, out=c)
        add(c, m, out=c)
        subtract(g, c, out=g)
        multiply(g, layer.scale, out=g)
        return g

    def _floor_adam(self):
        """``numpy_floor.NumpyMLP._adam``: moments kept as sums (m / (1 - b1), v / (1 - b2)),
        ten passes."""
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        step = self.lr * (1 - b1) / (1 - b1 ** self.t)
        K = (1 - b2) / (1 - b2 ** self.t) / (step * step)
        E = self.eps / step
        self._bias_correction2_sqrt[()] = K  # (reused as the two folded constants)
        self._step_size[()] = E
        K, E = self._bias_correction2_sqrt, self._step_size
        for p, g, m, v, tmp in self._chunks:
            folded_adam_passes(p, g, m, v, tmp, self._beta1, self._beta2, K, E)


# Timing: the floor, the ceiling and its variants, tinygrad_bn under jit and eager, PyTorch.

CEILINGS = {
    "ceiling": {},
    "eager's calls, straight-line": dict(preallocated=False),
    "ceiling (floor BatchNorm)": dict(floor_batchnorm=True),
    "ceiling (floor Adam)": dict(floor_adam=True),
    "ceiling (floor arithmetic)": dict(floor_batchnorm=True, floor_adam=True),
}
IMPLEMENTATIONS = ("numpy", *CEILINGS, "tinygrad_bn (jit)", "tinygrad_bn", "torch")


def make_step(implementation, spec, seed=0):
    """One training step of ``implementation`` on W1's data, batches drawn as for the floor;
    the others come from ``run.make_step``."""
    import run

    if implementation not in CEILINGS:
        return run.make_step(implementation, spec, seed)
    X, y = run.make_data(spec, seed)
    model = CeilingMLP(spec["sizes"], np.random.default_rng(seed), **CEILINGS[implementation])
    batches = run._numpy_batches(X, y, spec["batch"], np.random.default_rng(seed))
    return lambda: model.step(*next(batches))


def time_steps(spec, implementations, steps, repeats):
    """Per implementation, the ms per step of each repeat, by the wall clock and by this
    thread's CPU time (the steadier on a shared machine), timed interleaved after a warm-up."""
    functions = {name: make_step(name, spec) for name in implementations}
    for step in functions.values():
        for _ in range(max(5, steps // 5)):
            step()
    wall = {name: [] for name in functions}
    cpu = {name: [] for name in functions}
    for _ in range(repeats):
        for name, step in functions.items():
            start, start_cpu = time.perf_counter(), time.thread_time()
            for _ in range(steps):
                step()
            cpu[name].append((time.thread_time() - start_cpu) / steps * 1e3)
            wall[name].append((time.perf_counter() - start) / steps * 1e3)
    return wall, cpu


def _ratio(samples, name, reference):
    """The median over repeats of ``name``'s time over ``reference``'s in the same repeat."""
    return statistics.median(a / b for a, b in zip(samples[name], samples[reference]))


def _uptime():
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "uptime not available"


def timing_table(steps, repeats, implementations):
    import run

    spec = run.WORKLOADS["W1"]
    threads = ", ".join(f"{name}={os.environ.get(name, 'unset')}" for name in
                        ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"))
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {run.machine_line()}")
    print(f"# {threads}; W1, {steps} steps per repeat, {repeats} interleaved repeats")
    print(f"# load before: {_uptime()}")
    wall, cpu = time_steps(spec, implementations, steps, repeats)
    print(f"# load after:  {_uptime()}")
    print("| implementation | ms/step (wall) | ms/step (CPU) | / floor (wall) | / floor (CPU) | "
          "/ ceiling (wall) | / ceiling (CPU) |")
    print("|---|---|---|---|---|---|---|")
    for name in wall:
        cells = [f"{statistics.median(wall[name]):.4f}", f"{statistics.median(cpu[name]):.4f}"]
        for reference in ("numpy", "ceiling"):
            for samples in (wall, cpu):
                cells.append(f"{_ratio(samples, name, reference):.2f}x"
                             if reference in samples else "-")
        cells[2:6] = [cells[2], cells[3], cells[4], cells[5]]
        label = "NumPy floor" if name == "numpy" else name
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)


# Profile: where the ceiling's time goes, BLAS against elementwise passes.

_BLAS = ("dot",)
_ELEMENTWISE = ("add", "subtract", "multiply", "divide", "sqrt", "exp", "log", "maximum",
                "greater")


def _wrapped_for_cprofile(name, function, calls=None):
    """A Python function around a NumPy callable, so that cProfile lists it (cProfile sees no
    ufunc call: their time would land in the caller's own); with ``calls``, each call's
    function and arguments are also appended to it."""
    def call(*args, **kwargs):
        if calls is not None:
            calls.append((name, function, args, kwargs))
        return function(*args, **kwargs)
    call.__name__ = call.__qualname__ = name
    if hasattr(function, "reduce"):
        call.reduce = _wrapped_for_cprofile(name + ".reduce", function.reduce, calls)
    return call


NAMES = (*_BLAS, *_ELEMENTWISE, "copyto", "take")


def _isolated_ns(function, args, kwargs, repeat):
    """ns per call of ``function(*args, **kwargs)`` alone, its output sent to a scratch array
    of the same shape and layout (so that no input changes between calls), the loop's own cost
    removed."""
    kwargs = dict(kwargs)
    if "out" in kwargs:
        kwargs["out"] = _empty(kwargs["out"].shape, kwargs["out"].dtype)
    elif function is copyto:
        args = (_empty(args[0].shape, args[0].dtype), *args[1:])
    best = float("inf")
    for _ in range(5):
        start = time.thread_time_ns()
        for _ in range(repeat):
            function(*args, **kwargs)
        middle = time.thread_time_ns()
        for _ in range(repeat):
            pass
        best = min(best, (middle - start - (time.thread_time_ns() - middle)) / repeat)
    return best


def profile(steps, arithmetic):
    """Where the ceiling's step spends its time: cProfile over NumPy calls made visible, then
    each NumPy call of one step timed alone, grouped, against the whole step."""
    import run

    spec = run.WORKLOADS["W1"]
    module = sys.modules[__name__]
    originals = {name: getattr(module, name) for name in NAMES}
    X, y = run.make_data(spec)
    model = CeilingMLP(spec["sizes"], np.random.default_rng(0), **CEILINGS[arithmetic])
    source = run._numpy_batches(X, y, spec["batch"], np.random.default_rng(0))
    batches = [next(source) for _ in range(32)]
    for k in range(200):
        model.step(*batches[k % 32])
    start = time.thread_time()
    for k in range(steps):
        model.step(*batches[k % 32])
    step_us = (time.thread_time() - start) / steps * 1e6
    start = time.thread_time()
    for _ in range(steps):
        next(source)
    fetch_us = (time.thread_time() - start) / steps * 1e6

    calls = []
    try:
        for name in NAMES:
            setattr(module, name, _wrapped_for_cprofile(name, originals[name]))
        profiler = cProfile.Profile()
        profiler.runcall(lambda: [model.step(*batches[k % 32]) for k in range(steps)])
        print(f"## cProfile, {steps} steps of {arithmetic!r} (NumPy calls wrapped so that it "
              "sees them; its own overhead inflates every call)")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(12)
        for name in NAMES:
            setattr(module, name, _wrapped_for_cprofile(name, originals[name], calls))
        model.step(*batches[0])
    finally:
        for name, function in originals.items():
            setattr(module, name, function)

    rows = {}
    for name, function, args, kwargs in calls:
        count, ns = rows.get(name, (0, 0.0))
        rows[name] = (count + 1, ns + _isolated_ns(function, args, kwargs, 2000))
    print("## each NumPy call of one step timed alone (CPU time, best of 5 x 2,000 calls)")
    print(f"whole step: {step_us:.1f} us CPU (batches fetched beforehand; fetching one, "
          f"X[index] and y[index]: {fetch_us:.1f} us)")
    print("| NumPy function | calls/step | us/step | us/call |")
    print("|---|---|---|---|")
    for name, (count, ns) in sorted(rows.items(), key=lambda item: -item[1][1]):
        print(f"| {name} | {count} | {ns / 1e3:.1f} | {ns / 1e3 / count:.2f} |")
    groups = {"BLAS (dot)": lambda n: n in _BLAS,
              "elementwise ufuncs": lambda n: n in _ELEMENTWISE,
              "reductions and gathers (ufunc.reduce, take, copyto)":
                  lambda n: n not in _BLAS and n not in _ELEMENTWISE}
    print("| group | calls/step | us/step | share of the step |")
    print("|---|---|---|---|")
    accounted = 0.0
    for group, member in groups.items():
        count = sum(c for n, (c, _) in rows.items() if member(n))
        us = sum(ns for n, (_, ns) in rows.items() if member(n)) / 1e3
        accounted += us
        print(f"| {group} | {count} | {us:.1f} | {us / step_us:.0%} |")
    rest = step_us - accounted
    print(f"| the rest: the step's Python (bytecodes, attribute reads, call dispatch from its "
          f"frame), the label check, the fancy-indexed subtraction | | {rest:.1f} | "
          f"{rest / step_us:.0%} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200, help="steps per timed repeat")
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--implementations", nargs="+", choices=IMPLEMENTATIONS,
                        default=list(IMPLEMENTATIONS), help="which to time (floor and ceiling "
                        "always)")
    parser.add_argument("--profile", choices=list(CEILINGS), nargs="?", const="ceiling",
                        help="profile a ceiling instead of timing")
    args = parser.parse_args(argv)
    if args.profile:
        return profile(args.steps * 10, args.profile)
    import run

    implementations = [name for name in IMPLEMENTATIONS
                       if name in ("numpy", "ceiling") or (
                           name in args.implementations and (name != "torch" or run.have_torch()))]
    timing_table(args.steps, args.repeats, implementations)


if __name__ == "__main__":
    main()

"""The floor: the benchmark's MLP trained in hand-written NumPy, as fast as NumPy allows.

A training step here is PyTorch's arithmetic: ``Linear`` is ``x W^T + b``; ``BatchNorm1d`` in
training mode normalises with the biased batch variance and moves its running statistics by
momentum 0.1 towards the batch mean and the unbiased batch variance; ``ReLU``; mean
cross-entropy over a max-shifted log-softmax; ``Adam`` with bias correction, eps 1e-8, betas
(0.9, 0.999). All of it is float32. Nothing PyTorch computes is skipped (the running
statistics, the loss value and every gradient are computed on every step); only the order of
floating-point operations differs, so results agree to rounding.

How it is made fast. On W1 (20-64-64-5 with BatchNorm, batch 32) a step is about 80 NumPy
calls on small arrays, so each call's fixed cost counts. The percentages are what W1 loses
when that one trick is undone (measured in one process, interleaved, one BLAS thread):

- Every buffer is allocated once per batch size and every NumPy call writes into one with
  ``out=``: no temporaries, no allocator, no page faults at batch 4,096 (the old floor's W2
  step took 10-15 ms depending on how malloc handled its temporaries; this one 8.4 ms).
  Buffers are updated in place wherever the old value is not needed again.
- Forward and backward are fused by hand: BatchNorm's backward in closed form, computed in
  the buffer of its own centred input; the ReLU mask applied to the incoming gradient.
- Sums over the batch are BLAS matrix-vector products, ``dot(ones, h)`` (0.6 us at 32x64,
  against 1.6 us for ``np.add.reduce(h, axis=0)`` and 4.4 us for ``h.mean(axis=0)``): 15%.
- ``np.dot`` rather than ``np.matmul`` / ``@``, whose dispatch costs more: 10%.
- Adam in ten in-place passes over the flat buffers (see ``_adam``), against PyTorch's form
  with temporaries: 12% (21% on W1 without BatchNorm).
- Constants are arrays, not Python scalars: ``add(var, eps_array)`` costs 0.4 us and
  ``add(var, 1e-5)`` 1.5 us, the scalar being converted on every call: 8%.
- Buffers start on a 64-byte boundary (``_empty``): no SIMD access straddles two cache lines,
  and timings no longer depend on where malloc put each buffer: 3%.
- The first layer's weight is stored transposed, (in, out). BLAS is slower at ``a @ W.T``
  with both operands row-major (1.6 us at 32x20x64) than at ``a @ W_T`` with W_T stored so
  (0.9 us); the first layer computes no input gradient, so every product it takes part in gets
  the fast layout: 2% (3-4% on W2 and W3). The 64x64 layer cannot have it: whichever way its W
  is stored, either its forward or its input gradient takes the slow layout (5 us against 2).
- The logits are class-major, (classes, batch): the softmax's max and sum run down five rows
  of the batch (0.9 us) rather than along 32 rows of five (2.2 us; at batch 4,096 3 us
  against 190 us), and the labels' logits are gathered and scattered through one flat index,
  ``y * batch + column``, the cheapest indexing NumPy has (0.2 us, against 1.2 us for
  ``np.take(..., out=)`` and 0.8 us for ``logits[y, columns]``: 2%).
"""

from collections import namedtuple

import numpy as np
from numpy import add, divide, dot, einsum, exp, greater, log, maximum, multiply, sqrt, subtract

# Activations of at least this many elements are "large" (W2 and W3; W1's are 2,048). For
# those, ReLU and its mask compare against a 0-d zero instead of a zero matrix (which is the
# faster loop for small arrays but streams another matrix through the cache for large ones),
# and column-wise dot products sum_i p[i, j] q[i, j] are one einsum instead of an elementwise
# product and a gemv (at 4096x64: 75 us against 120 us; at 32x64: 2.5 us against 1.2 us).
# Together 8% of W3's step.
LARGE = 16384
# Adam runs over the flat buffers in chunks of this many elements (256 KiB per buffer), so that
# its ten passes stay in the L2 cache on large models (W2: 1.3 ms instead of 1.8 ms, 7% of the
# step); W1's model is one chunk.
ADAM_CHUNK = 65536


def _empty(shape, dtype=np.float32, fill=None):
    """An array whose data start on a 64-byte boundary (see the module's docstring); without
    it, W1 moved by 3-4% between versions that differed only in where malloc put buffers."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape)) * dtype.itemsize
    raw = np.empty(nbytes + 64, np.uint8)
    start = -raw.ctypes.data % 64
    array = raw[start:start + nbytes].view(dtype).reshape(shape)
    if fill is not None:
        array[...] = fill
    return array


class _Hidden:
    """A hidden layer's parameters and gradients (views into the flat buffers) and its buffers
    for one batch size. ``WT`` is the forward operand W^T (contiguous for the first layer)."""

    __slots__ = ("first", "large", "W", "WT", "gW", "gWT", "gamma", "beta", "ggamma", "gbeta",
                 "b", "gb", "h", "hT", "a", "a_prev", "ga", "gaT", "ga_prev", "mask", "zero",
                 "mean", "var", "std", "scale", "k", "m", "eps", "inv_n")


# Everything a step needs for one batch size; ``step`` unpacks it in this order.
_Plan = namedtuple("_Plan", "layers W b_column gW gb a_last_T ga_last logits logits_flat probs "
                            "probs_flat probs_T momentum decay stats_tmp ones inv_n n_f32 n_int "
                            "columns total row_loss label_index")


class NumpyMLP:
    """``sizes = (in, hidden, ..., out)``: Linear -> [BatchNorm] -> ReLU per hidden layer, then
    Linear; with BatchNorm the hidden Linear layers have no bias (as in the article).

    ``params`` and ``grads`` list the parameters and their gradients in PyTorch's order and
    shapes, as views into ``flat`` and ``flat_grad``; ``running`` lists each BatchNorm's
    (running_mean, running_var)."""

    def __init__(self, sizes, batchnorm, rng, lr=0.01, betas=(0.9, 0.999), eps=1e-8):
        self.sizes, self.batchnorm = tuple(sizes), batchnorm
        shapes = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            last = i == len(sizes) - 2
            shapes.append(("W", (fan_out, fan_in), fan_in))
            if batchnorm and not last:
                shapes += [("gamma", (fan_out,), None), ("beta", (fan_out,), None)]
            else:
                shapes.append(("bias", (fan_out,), fan_in))
        total = sum(int(np.prod(shape)) for _, shape, _ in shapes)
        self.flat = _empty(total)
        self.flat_grad = _empty(total, fill=0)
        self.params, self.grads, offset = [], [], 0
        for i, (kind, shape, fan_in) in enumerate(shapes):
            size = int(np.prod(shape))
            param = self.flat[offset:offset + size]
            grad = self.flat_grad[offset:offset + size]
            if i == 0:  # stored (in, out): see the module's docstring
                param, grad = param.reshape(shape[::-1]).T, grad.reshape(shape[::-1]).T
            else:
                param, grad = param.reshape(shape), grad.reshape(shape)
            if kind == "gamma":
                param[...] = 1
            elif kind == "beta":
                param[...] = 0
            else:
                bound = 1 / np.sqrt(fan_in)
                param[...] = rng.uniform(-bound, bound, shape)
            self.params.append(param)
            self.grads.append(grad)
            offset += size

        # All running statistics in one buffer, [mean_1, var_1, mean_2, var_2, ...], and each
        # step's batch statistics in another laid out the same way: three vector operations
        # update them all.
        hidden = self.sizes[1:-1]
        self._running = _empty(2 * sum(hidden), fill=0)
        self._batch_stats = _empty(2 * sum(hidden), fill=0)
        self.running, offset = [], 0
        for width in hidden:
            mean = self._running[offset:offset + width]
            var = self._running[offset + width:offset + 2 * width]
            var[...] = 1
            self.running.append((mean, var))
            offset += 2 * width

        # Adam's state is the exponentially weighted sums of g and g*g, that is PyTorch's
        # exp_avg / (1 - beta1) and exp_avg_sq / (1 - beta2): see _adam.
        self.exp_sum = _empty(total, fill=0)
        self.exp_sq_sum = _empty(total, fill=0)
        self._adam_tmp = _empty(total)
        self._adam_chunks = [
            tuple(buffer[start:start + ADAM_CHUNK] for buffer in
                  (self.flat, self.flat_grad, self.exp_sum, self.exp_sq_sum, self._adam_tmp))
            for start in range(0, total, ADAM_CHUNK)]
        self.lr, self.beta1, self.beta2, self.eps, self.t = lr, betas[0], betas[1], eps, 0
        self._plans = {}

    def _plan(self, n):
        """Make the buffers (and the views of them a step uses) for batches of ``n``."""
        per_layer = 3 if self.batchnorm else 2
        layers = []
        for i, width in enumerate(self.sizes[1:-1]):
            p = self.params[i * per_layer:(i + 1) * per_layer]
            g = self.grads[i * per_layer:(i + 1) * per_layer]
            layer = _Hidden()
            layer.first, layer.large = i == 0, n * width >= LARGE
            layer.W, layer.WT, layer.gW, layer.gWT = p[0], p[0].T, g[0], g[0].T
            layer.h, layer.a, layer.ga = (_empty((n, width)) for _ in range(3))
            layer.hT, layer.gaT = layer.h.T, layer.ga.T
            layer.a_prev = layers[-1].a if layers else None
            layer.ga_prev = layers[-1].ga if layers else None
            layer.mask = _empty((n, width), bool)
            layer.zero = _empty(() if layer.large else (n, width), fill=0)
            if self.batchnorm:
                layer.gamma, layer.beta, layer.ggamma, layer.gbeta = p[1], p[2], g[1], g[2]
                offset = 2 * sum(self.sizes[1:i + 1])
                layer.mean = self._batch_stats[offset:offset + width]
                layer.var = self._batch_stats[offset + width:offset + 2 * width]
                layer.std, layer.scale, layer.k, layer.m = (_empty(width) for _ in range(4))
                layer.eps = _empty(width, fill=1e-5)
                layer.inv_n = _empty(width, fill=1 / n)
            else:
                layer.b, layer.gb = p[1], g[1]
            layers.append(layer)
        # Momentum 0.1 for the means; for the variances also the unbiased correction n/(n-1).
        momentum = np.concatenate([np.r_[np.full(width, 0.1), np.full(width, 0.1 * n / (n - 1))]
                                   for width in self.sizes[1:-1]])
        W, b = self.params[-2:]
        gW, gb = self.grads[-2:]
        logits = _empty((self.sizes[-1], n))
        probs = _empty((self.sizes[-1], n))
        plan = _Plan(
            layers=layers, W=W, b_column=b[:, None], gW=gW, gb=gb, a_last_T=layers[-1].a.T,
            ga_last=layers[-1].ga, logits=logits, logits_flat=logits.reshape(-1), probs=probs,
            probs_flat=probs.reshape(-1), probs_T=probs.T,
            momentum=_empty(momentum.shape, fill=momentum),
            decay=_empty(momentum.shape, fill=0.9), stats_tmp=_empty(momentum.shape),
            ones=_empty(n, fill=1), inv_n=_empty(n, fill=1 / n), n_f32=_empty(n, fill=n),
            n_int=_empty(n, np.int64, fill=n), columns=_empty(n, np.int64, fill=np.arange(n)),
            total=_empty(n), row_loss=_empty(n), label_index=_empty(n, np.int64))
        self._plans[n] = plan
        return plan

    def step(self, x, y):
        """One training step on a batch (``x`` float32 of shape (n, in), ``y`` integer labels of
        shape (n,)); returns the loss."""
        (layers, W, b_column, gW, gb, a_last_T, ga_last, logits, logits_flat, probs, probs_flat,
         probs_T, momentum, decay, stats_tmp, ones, inv_n, n_f32, n_int, columns, total, row_loss,
         label_index) = self._plans.get(len(y)) or self._plan(len(y))
        batchnorm = self.batchnorm

        a = x
        for layer in layers:
            h = dot(a, layer.WT, out=layer.h)            # Linear: a @ W^T
            a = layer.a
            if batchnorm:
                mean, var, std, scale = layer.mean, layer.var, layer.std, layer.scale
                dot(inv_n, h, out=mean)                  # batch mean
                subtract(h, mean, out=h)                 # h centred in place: c, kept for backward
                if layer.large:
                    einsum("ij,ij->j", h, h, out=var)
                    multiply(var, layer.inv_n, out=var)
                else:
                    multiply(h, h, out=a)                # (a is scratch until z is written to it)
                    dot(inv_n, a, out=var)               # biased batch variance
                add(var, layer.eps, out=std)
                sqrt(std, out=std)
                divide(layer.gamma, std, out=scale)      # gamma / std
                multiply(h, scale, out=a)
                add(a, layer.beta, out=a)                # z = gamma * c / std + beta
            else:
                add(h, layer.b, out=a)
            maximum(a, layer.zero, out=a)                # ReLU, in place
        if batchnorm:
            # running = 0.9 * running + 0.1 * [mean, n/(n-1) var], all layers at once
            multiply(self._batch_stats, momentum, out=stats_tmp)
            multiply(self._running, decay, out=self._running)
            add(self._running, stats_tmp, out=self._running)

        # Output layer and cross-entropy, class-major: logits is (classes, n).
        dot(W, a_last_T, out=logits)
        add(logits, b_column, out=logits)
        maximum.reduce(logits, axis=0, out=total)        # per-sample max, for a stable softmax
        subtract(logits, total, out=logits)
        exp(logits, out=probs)
        add.reduce(probs, axis=0, out=total)
        multiply(y, n_int, out=label_index)              # flat index of each sample's label
        add(label_index, columns, out=label_index)
        log(total, out=row_loss)
        subtract(row_loss, logits_flat[label_index], out=row_loss)
        loss = float(dot(row_loss, inv_n))               # mean of log(sum exp) - logit[label]
        multiply(total, n_f32, out=total)
        divide(probs, total, out=probs)
        probs_flat[label_index] -= inv_n                 # probs is now d loss / d logits:
        dot(probs, a, out=gW)                            # (softmax - onehot) / n
        dot(probs, ones, out=gb)
        dot(probs_T, W, out=ga_last)

        for layer in reversed(layers):
            ga = layer.ga
            greater(layer.a, layer.zero, out=layer.mask)
            multiply(ga, layer.mask, out=ga)             # ReLU backward: gz, in place
            if batchnorm:
                # With c the centred h and z = gamma c / std + beta:
                #   d beta = sum(gz),   d gamma = sum(gz c) / std,
                #   d h = gamma / std (gz - d beta / n - c d gamma / (n std)),
                # computed in c's buffer, which is not needed afterwards.
                c, std, k, m, ggamma, gbeta = (layer.h, layer.std, layer.k, layer.m,
                                               layer.ggamma, layer.gbeta)
                dot(ones, ga, out=gbeta)
                if layer.large:
                    einsum("ij,ij->j", ga, c, out=ggamma)
                else:
                    multiply(ga, c, out=layer.a)         # (a is free once the mask is taken)
                    dot(ones, layer.a, out=ggamma)
                divide(ggamma, std, out=ggamma)
                divide(ggamma, std, out=k)
                multiply(k, layer.inv_n, out=k)
                multiply(gbeta, layer.inv_n, out=m)
                multiply(c, k, out=c)
                add(c, m, out=c)
                subtract(ga, c, out=c)
                gh = multiply(c, layer.scale, out=c)
                gh_T = layer.hT
            else:
                dot(ones, ga, out=layer.gb)
                gh, gh_T = ga, layer.gaT
            if layer.first:
                dot(x.T, gh, out=layer.gWT)              # d W^T = x^T gh, in W^T's own layout
            else:
                dot(gh_T, layer.a_prev, out=layer.gW)
                dot(gh, layer.W, out=layer.ga_prev)
        self._adam()
        return loss

    def _adam(self):
        """PyTorch's Adam update, in place over the flat buffers, in ten vector passes.

        PyTorch: m' = b1 m' + (1-b1) g, v' = b2 v' + (1-b2) g^2, and
        p -= lr / bc1 * m' / (sqrt(v' / bc2) + eps) with bc_i = 1 - b_i^t. Keeping
        m = m' / (1-b1) and v = v' / (1-b2) instead makes the moment updates m = b1 m + g and
        v = b2 v + g^2 (two passes each instead of three), and the update is
        p -= m / (sqrt(v K) + E) with step = lr (1-b1) / bc1, K = (1-b2) / (bc2 step^2) and
        E = eps / step: the same quantity, with the constants folded into two scalars. (At lr
        0.01, v K stays finite for gradients up to about 1e16 in magnitude, PyTorch's v' up to
        about 1e19; the bound falls as 1/lr.)"""
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        step = self.lr * (1 - b1) / (1 - b1 ** self.t)
        K = (1 - b2) / (1 - b2 ** self.t) / (step * step)
        E = self.eps / step
        for p, g, m, v, tmp in self._adam_chunks:
            folded_adam_passes(p, g, m, v, tmp, b1, b2, K, E)


def folded_adam_passes(p, g, m, v, tmp, beta1, beta2, K, E):
    """The ten in-place passes of Adam with rescaled moments (``NumpyMLP._adam``'s docstring
    derives them): ``m = beta1 m + g``, ``v = beta2 v + g^2``, ``p -= m / (sqrt(v K) + E)``, with
    ``tmp`` as scratch. The floors of W1 (``NumpyMLP``) and W4 (``numpy_gpt``) and the ceiling's
    floor-arithmetic variant (``replay_ceiling``) run it, each with its own constants."""
    multiply(m, beta1, out=m)
    add(m, g, out=m)
    multiply(g, g, out=tmp)
    multiply(v, beta2, out=v)
    add(v, tmp, out=v)
    multiply(v, K, out=tmp)
    sqrt(tmp, out=tmp)
    add(tmp, E, out=tmp)
    divide(m, tmp, out=tmp)
    subtract(p, tmp, out=p)

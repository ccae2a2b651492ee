"""The benchmark's MLP trained in plain hand-written NumPy: the forward and backward passes
fused by hand and Adam run over one flat buffer that every parameter and gradient is a view
into, written with NumPy's everyday calls (``@``, ``.mean``, temporaries). This was the floor
until the tight one (``numpy_floor.py``: preallocated buffers, BLAS sums, in-place passes) took
its place; it stays as the yardstick of what a competent NumPy user writes by hand."""

import numpy as np


class PlainNumpyMLP:
    """``sizes = (in, hidden, hidden, out)``: Linear -> [BatchNorm] -> ReLU, twice, then Linear;
    with BatchNorm the hidden Linear layers have no bias (as in the article)."""

    def __init__(self, sizes, batchnorm, rng, lr=0.01, betas=(0.9, 0.999), eps=1e-8):
        self.batchnorm = batchnorm
        shapes = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            last = i == len(sizes) - 2
            shapes.append(("W", (fan_out, fan_in), fan_in))
            if batchnorm and not last:
                shapes += [("gamma", (fan_out,), None), ("beta", (fan_out,), None)]
            else:
                shapes.append(("bias", (fan_out,), fan_in))
        total = sum(int(np.prod(shape)) for _, shape, _ in shapes)
        self.flat = np.empty(total, dtype=np.float32)
        self.flat_grad = np.zeros(total, dtype=np.float32)
        self.params, self.grads, offset = [], [], 0
        for kind, shape, fan_in in shapes:
            size = int(np.prod(shape))
            view = self.flat[offset:offset + size].reshape(shape)
            if kind == "gamma":
                view[...] = 1
            elif kind == "beta":
                view[...] = 0
            else:
                bound = 1 / np.sqrt(fan_in)
                view[...] = rng.uniform(-bound, bound, shape)
            self.params.append(view)
            self.grads.append(self.flat_grad[offset:offset + size].reshape(shape))
            offset += size
        hidden = sizes[1:-1]
        self.running = [(np.zeros(h, np.float32), np.ones(h, np.float32)) for h in hidden]
        self.m = np.zeros_like(self.flat)
        self.v = np.zeros_like(self.flat)
        self.lr, self.beta1, self.beta2, self.eps, self.t = lr, betas[0], betas[1], eps, 0

    def step(self, x, y):
        """One training step on a batch; returns the loss."""
        n = x.shape[0]
        saved, a = [], x
        per_layer = 3 if self.batchnorm else 2
        hidden_layers = (len(self.params) - 2) // per_layer
        for layer in range(hidden_layers):
            p = self.params[layer * per_layer:(layer + 1) * per_layer]
            h = a @ p[0].T
            if self.batchnorm:
                mean = h.mean(axis=0)
                centred = h - mean
                var = (centred * centred).mean(axis=0)
                inv_std = 1 / np.sqrt(var + 1e-5)
                x_hat = centred * inv_std
                z = x_hat * p[1] + p[2]
                running_mean, running_var = self.running[layer]
                running_mean *= 0.9
                running_mean += 0.1 * mean
                running_var *= 0.9
                running_var += (0.1 * n / (n - 1)) * var
                saved.append((a, x_hat, inv_std, z))
            else:
                z = h + p[1]
                saved.append((a, None, None, z))
            a = np.maximum(z, 0)
        W, b = self.params[-2:]
        logits = a @ W.T + b
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        rows = np.arange(n)
        loss = float(np.log(total).mean() - shifted[rows, y].mean())

        grad_logits = exp / total
        grad_logits[rows, y] -= 1
        grad_logits *= 1 / n
        np.matmul(grad_logits.T, a, out=self.grads[-2])
        grad_logits.sum(axis=0, out=self.grads[-1])
        grad_a = grad_logits @ W
        for layer in reversed(range(hidden_layers)):
            p = self.params[layer * per_layer:(layer + 1) * per_layer]
            g = self.grads[layer * per_layer:(layer + 1) * per_layer]
            a_in, x_hat, inv_std, z = saved[layer]
            grad_z = grad_a * (z > 0)
            if self.batchnorm:
                grad_z.sum(axis=0, out=g[2])
                (grad_z * x_hat).sum(axis=0, out=g[1])
                grad_h = (p[1] * inv_std / n) * (n * grad_z - g[2] - x_hat * g[1])
            else:
                grad_z.sum(axis=0, out=g[1])
                grad_h = grad_z
            np.matmul(grad_h.T, a_in, out=g[0])
            if layer:
                grad_a = grad_h @ p[0]
        self._adam()
        return loss

    def _adam(self):
        """PyTorch's Adam over the flat buffers, in place."""
        self.t += 1
        g, m, v = self.flat_grad, self.m, self.v
        m += (1 - self.beta1) * (g - m)
        v *= self.beta2
        v += (1 - self.beta2) * g * g
        denom = np.sqrt(v)
        denom *= 1 / (1 - self.beta2**self.t) ** 0.5
        denom += self.eps
        self.flat -= (self.lr / (1 - self.beta1**self.t)) * (m / denom)

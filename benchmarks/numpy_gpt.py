"""W4's floor: makemore's Transformer (``gpt.py``) trained in hand-written NumPy, forward and
backward by hand.

The arithmetic is PyTorch's, in float32: ``LayerNorm`` with the biased variance and eps 1e-5;
attention ``softmax((q k^T) / sqrt(hs) masked to -inf above the diagonal) v``; NewGELU
``0.5 h (1 + tanh(sqrt(2/pi) (h + 0.044715 h^3)))``; cross-entropy averaged over the positions
whose target is not -1; AdamW (decoupled weight decay, then Adam with bias correction). Nothing
is skipped (every gradient, the loss on every step); only the order of floating-point
operations differs, so results agree to rounding.

How a hand-writer makes it fast, as in ``numpy_floor.py``: every activation and gradient buffer
is allocated once per batch shape and written with ``out=`` (no allocator, no page faults), the
rows of a ``(B, T, C)`` activation are one ``(B T, C)`` matrix for every Linear (one GEMM each),
per-row means are matrix-vector products with a vector of ``1/C``, column sums with a vector of
ones; each block's q, k and v are copied once into head-major layout ``(3, B, H, T, hs)`` so the
batched attention products read contiguous operands; LayerNorm, softmax, GELU and the
cross-entropy have their closed-form backward; the causal mask is an additive ``(T, T)`` matrix
of 0 and -inf; the embedding gradients are a one-hot GEMM and a sum over the batch; AdamW runs
over one flat buffer with the moments kept rescaled (see ``numpy_floor.NumpyMLP._adam``).
"""

import math

import numpy as np
from numpy import add, divide, dot, exp, matmul, multiply, sqrt, subtract, tanh

from numpy_floor import _empty, folded_adam_passes

GELU_C = math.sqrt(2.0 / math.pi)


def parameter_shapes(vocab_size, block_size, n_layer, n_embd):
    """``(name, shape)`` of every parameter, in ``Transformer.parameters()`` order."""
    C = n_embd
    shapes = [("wte", (vocab_size, C)), ("wpe", (block_size, C))]
    for i in range(n_layer):
        shapes += [(f"{i}.ln_1.weight", (C,)), (f"{i}.ln_1.bias", (C,)),
                   (f"{i}.c_attn.weight", (3 * C, C)), (f"{i}.c_attn.bias", (3 * C,)),
                   (f"{i}.attn_proj.weight", (C, C)), (f"{i}.attn_proj.bias", (C,)),
                   (f"{i}.ln_2.weight", (C,)), (f"{i}.ln_2.bias", (C,)),
                   (f"{i}.c_fc.weight", (4 * C, C)), (f"{i}.c_fc.bias", (4 * C,)),
                   (f"{i}.mlp_proj.weight", (C, 4 * C)), (f"{i}.mlp_proj.bias", (C,))]
    return shapes + [("ln_f.weight", (C,)), ("ln_f.bias", (C,)), ("lm_head", (vocab_size, C))]


class NumpyGPT:
    """The Transformer of ``gpt.py`` with ``vocab_size, block_size, n_layer, n_head, n_embd``.

    ``params`` and ``grads`` list the parameters and gradients in PyTorch's order and shapes,
    as views into the flat buffers ``flat`` and ``flat_grad``; ``step(x, y)`` runs forward,
    backward and AdamW on int64 ``(B, T)`` inputs and targets and returns the loss;
    ``loss_and_grads(x, y)`` stops before the update."""

    def __init__(self, vocab_size, block_size, n_layer, n_head, n_embd, rng, lr=5e-4,
                 betas=(0.9, 0.99), eps=1e-8, weight_decay=0.01):
        self.V, self.block, self.L, self.H, self.C = (vocab_size, block_size, n_layer, n_head,
                                                      n_embd)
        shapes = parameter_shapes(vocab_size, block_size, n_layer, n_embd)
        total = sum(math.prod(shape) for _, shape in shapes)
        self.flat, self.flat_grad = _empty(total), _empty(total, fill=0)
        self.params, self.grads, self.named, offset = [], [], {}, 0
        for name, shape in shapes:
            size = math.prod(shape)
            param = self.flat[offset:offset + size].reshape(shape)
            grad = self.flat_grad[offset:offset + size].reshape(shape)
            if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name == "ln_f.weight":
                param[...] = 1
            elif name.endswith("ln_1.bias") or name.endswith("ln_2.bias") or name == "ln_f.bias":
                param[...] = 0
            elif name in ("wte", "wpe"):
                param[...] = rng.standard_normal(shape)
            else:  # nn.Linear's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
                bound = 1 / math.sqrt(shape[-1] if len(shape) == 2 else
                                      dict(shapes)[name.replace("bias", "weight")][1])
                param[...] = rng.uniform(-bound, bound, shape)
            self.params.append(param)
            self.grads.append(grad)
            self.named[name] = (param, grad)
            offset += size
        self.exp_sum, self.exp_sq_sum, self._adam_tmp = (_empty(total, fill=0) for _ in range(3))
        self.lr, self.betas, self.eps, self.weight_decay, self.t = (lr, betas, eps, weight_decay,
                                                                    0)
        self._buffers = {}

    # ------------------------------------------------------------------ buffers

    def _plan(self, B, T):
        """Buffers for batches of shape ``(B, T)``, made once."""
        N, C, H, V = B * T, self.C, self.H, self.V
        hs = C // H
        f = lambda *shape: _empty(shape)  # noqa: E731
        layers = []
        for _ in range(self.L):
            layers.append(dict(
                xhat1=f(N, C), rstd1=f(N, 1), a1=f(N, C), qkv=f(N, 3 * C),
                qkv_h=f(3, B, H, T, hs), att=f(B, H, T, T), y_h=f(B, H, T, hs), y=f(N, C),
                xhat2=f(N, C), rstd2=f(N, 1), a2=f(N, C), h=f(N, 4 * C), t=f(N, 4 * C),
                g=f(N, 4 * C)))
        mask = np.where(np.tril(np.ones((T, T), bool)), 0, -np.inf).astype(np.float32)
        return dict(
            layers=layers, x=f(N, C), xhat_f=f(N, C), rstd_f=f(N, 1), a_f=f(N, C),
            logits=f(N, V), row=f(N, 1), row_loss=f(N), mask=_empty((T, T), fill=mask),
            tmp=f(N, C), tmp2=f(N, C), mean=f(N, 1), big=f(N, 4 * C), big2=f(N, 4 * C),
            dx=f(N, C), da=f(N, C), dqkv=f(N, 3 * C), dqkv_h=f(3, B, H, T, hs),
            datt=f(B, H, T, T), att_row=f(B, H, T, 1), dy_h=f(B, H, T, hs), dy=f(N, C),
            inv_c=_empty((C, 1), fill=1 / C), ones_n=_empty(N, fill=1),
            one_hot=f(N, V), classes=np.arange(V), rows=np.arange(N),
            scale=np.float32(1 / math.sqrt(hs)), eps=np.float32(1e-5))

    # ------------------------------------------------------------------ pieces

    @staticmethod
    def _layer_norm(x, weight, bias, xhat, rstd, out, plan):
        """``out = (x - mean) / sqrt(var + eps) * weight + bias`` per row; keeps ``xhat`` and
        ``rstd = 1 / sqrt(var + eps)`` (``(N, 1)``) for the backward."""
        dot(x, plan["inv_c"], out=plan["mean"])
        subtract(x, plan["mean"], out=xhat)
        multiply(xhat, xhat, out=plan["tmp"])
        dot(plan["tmp"], plan["inv_c"], out=rstd)
        add(rstd, plan["eps"], out=rstd)
        sqrt(rstd, out=rstd)
        divide(1, rstd, out=rstd)
        multiply(xhat, rstd, out=xhat)
        multiply(xhat, weight, out=out)
        add(out, bias, out=out)

    @staticmethod
    def _layer_norm_backward(d_out, weight, xhat, rstd, grad_weight, grad_bias, dx, plan):
        """Adds to ``dx`` the input gradient ``rstd (d_xhat - mean(d_xhat) - xhat
        mean(d_xhat xhat))`` with ``d_xhat = d_out * weight``; writes the weight and bias
        gradients (column sums of ``d_out xhat`` and ``d_out``). Overwrites ``d_out``."""
        tmp, mean = plan["tmp"], plan["mean"]
        ones = plan["ones_n"]
        dot(ones, d_out, out=grad_bias)
        multiply(d_out, xhat, out=tmp)
        dot(ones, tmp, out=grad_weight)
        multiply(d_out, weight, out=d_out)                 # d_xhat
        multiply(d_out, xhat, out=tmp)
        dot(tmp, plan["inv_c"], out=mean)                  # mean(d_xhat xhat)
        multiply(xhat, mean, out=tmp)
        dot(d_out, plan["inv_c"], out=mean)                # mean(d_xhat)
        subtract(d_out, mean, out=d_out)
        subtract(d_out, tmp, out=d_out)
        multiply(d_out, rstd, out=d_out)
        add(dx, d_out, out=dx)

    # ------------------------------------------------------------------ the step

    def loss_and_grads(self, idx, targets):
        """Forward and backward on int64 ``(B, T)`` ``idx`` and ``targets`` (-1: ignored);
        fills ``grads`` and returns the loss."""
        B, T = idx.shape
        plan = self._buffers.get((B, T))
        if plan is None:
            plan = self._buffers[(B, T)] = self._plan(B, T)
        N, C, H = B * T, self.C, self.H
        hs = C // H
        P = self.named
        x, tmp = plan["x"], plan["tmp"]
        ones, scale = plan["ones_n"], plan["scale"]
        idx_flat = idx.reshape(N)

        # embeddings: x = wte[idx] + wpe[:T]
        np.take(P["wte"][0], idx_flat, axis=0, out=x)
        add(x.reshape(B, T, C), P["wpe"][0][:T], out=x.reshape(B, T, C))

        for i, layer in enumerate(plan["layers"]):
            p = lambda name: P[f"{i}.{name}"][0]  # noqa: E731
            self._layer_norm(x, p("ln_1.weight"), p("ln_1.bias"), layer["xhat1"], layer["rstd1"],
                             layer["a1"], plan)
            qkv = dot(layer["a1"], p("c_attn.weight").T, out=layer["qkv"])
            add(qkv, p("c_attn.bias"), out=qkv)
            qkv_h = layer["qkv_h"]  # (3, B, H, T, hs): heads first, one copy
            qkv_h[...] = qkv.reshape(B, T, 3, H, hs).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv_h
            att = matmul(q, k.transpose(0, 1, 3, 2), out=layer["att"])
            multiply(att, scale, out=att)
            add(att, plan["mask"], out=att)
            np.maximum.reduce(att, axis=-1, keepdims=True, out=plan["att_row"])
            subtract(att, plan["att_row"], out=att)
            exp(att, out=att)
            add.reduce(att, axis=-1, keepdims=True, out=plan["att_row"])
            divide(att, plan["att_row"], out=att)
            matmul(att, v, out=layer["y_h"])
            y = layer["y"]
            y.reshape(B, T, H, hs)[...] = layer["y_h"].transpose(0, 2, 1, 3)
            dot(y, p("attn_proj.weight").T, out=tmp)
            add(tmp, p("attn_proj.bias"), out=tmp)
            add(x, tmp, out=x)

            self._layer_norm(x, p("ln_2.weight"), p("ln_2.bias"), layer["xhat2"], layer["rstd2"],
                             layer["a2"], plan)
            h, t, g = layer["h"], layer["t"], layer["g"]
            dot(layer["a2"], p("c_fc.weight").T, out=h)
            add(h, p("c_fc.bias"), out=h)
            multiply(h, h, out=t)                          # NewGELU
            multiply(t, h, out=t)
            multiply(t, np.float32(0.044715), out=t)
            add(t, h, out=t)
            multiply(t, np.float32(GELU_C), out=t)
            tanh(t, out=t)
            add(t, np.float32(1), out=g)
            multiply(g, h, out=g)
            multiply(g, np.float32(0.5), out=g)
            dot(g, p("mlp_proj.weight").T, out=tmp)
            add(tmp, p("mlp_proj.bias"), out=tmp)
            add(x, tmp, out=x)

        self._layer_norm(x, P["ln_f.weight"][0], P["ln_f.bias"][0], plan["xhat_f"],
                         plan["rstd_f"], plan["a_f"], plan)
        logits = dot(plan["a_f"], P["lm_head"][0].T, out=plan["logits"])

        # cross-entropy over the positions whose target is not -1
        y_flat = targets.reshape(N)
        valid = y_flat != -1
        count = int(valid.sum())
        labels = np.where(valid, y_flat, 0)
        row = plan["row"]
        np.maximum.reduce(logits, axis=1, keepdims=True, out=row)
        subtract(logits, row, out=logits)
        picked = logits[plan["rows"], labels]
        exp(logits, out=logits)
        add.reduce(logits, axis=1, keepdims=True, out=row)
        row_loss = np.log(row[:, 0]) - picked
        loss = float(dot(row_loss, valid.astype(np.float32))) / count
        # d loss / d logits = (softmax - onehot) * valid / count
        multiply(row, np.float32(count), out=row)
        divide(logits, row, out=logits)
        multiply(logits, valid[:, None], out=logits)
        logits[plan["rows"][valid], labels[valid]] -= np.float32(1 / count)

        G = self.named
        dot(logits.T, plan["a_f"], out=G["lm_head"][1])
        da, dx = plan["da"], plan["dx"]
        dot(logits, P["lm_head"][0], out=da)
        dx[...] = 0
        self._layer_norm_backward(da, P["ln_f.weight"][0], plan["xhat_f"], plan["rstd_f"],
                                  G["ln_f.weight"][1], G["ln_f.bias"][1], dx, plan)

        for i in reversed(range(self.L)):
            layer = plan["layers"][i]
            p = lambda name: P[f"{i}.{name}"][0]  # noqa: E731
            gr = lambda name: G[f"{i}.{name}"][1]  # noqa: E731
            # MLP: x += proj(gelu(fc(ln_2(x))))
            h, t, g = layer["h"], layer["t"], layer["g"]
            dot(ones, dx, out=gr("mlp_proj.bias"))
            dot(dx.T, g, out=gr("mlp_proj.weight"))
            dg, local = plan["big"], plan["big2"]
            dot(dx, p("mlp_proj.weight"), out=dg)
            # gelu'(h) = 0.5 (1 + t) + 0.5 h (1 - t^2) c (1 + 3 * 0.044715 h^2)
            multiply(h, h, out=local)
            multiply(local, np.float32(3 * 0.044715 * GELU_C), out=local)
            add(local, np.float32(GELU_C), out=local)
            multiply(local, h, out=local)
            multiply(t, t, out=g)                          # g is free now
            subtract(np.float32(1), g, out=g)
            multiply(local, g, out=local)
            add(local, t, out=local)
            add(local, np.float32(1), out=local)
            multiply(local, np.float32(0.5), out=local)
            multiply(dg, local, out=dg)                    # dh
            dot(ones, dg, out=gr("c_fc.bias"))
            dot(dg.T, layer["a2"], out=gr("c_fc.weight"))
            dot(dg, p("c_fc.weight"), out=da)
            self._layer_norm_backward(da, p("ln_2.weight"), layer["xhat2"], layer["rstd2"],
                                      gr("ln_2.weight"), gr("ln_2.bias"), dx, plan)

            # attention: x += proj(attention(ln_1(x)))
            dot(ones, dx, out=gr("attn_proj.bias"))
            dot(dx.T, layer["y"], out=gr("attn_proj.weight"))
            dy = dot(dx, p("attn_proj.weight"), out=plan["dy"])
            dy_h = plan["dy_h"]
            dy_h[...] = dy.reshape(B, T, H, hs).transpose(0, 2, 1, 3)
            q, k, v = layer["qkv_h"]
            dq, dk, dv = plan["dqkv_h"]
            att, datt = layer["att"], plan["datt"]
            matmul(att.transpose(0, 1, 3, 2), dy_h, out=dv)
            matmul(dy_h, v.transpose(0, 1, 3, 2), out=datt)
            # softmax backward: att * (datt - sum(datt * att)), then the 1/sqrt(hs) scale
            multiply(datt, att, out=datt)
            add.reduce(datt, axis=-1, keepdims=True, out=plan["att_row"])
            multiply(att, plan["att_row"], out=att)        # att is free after this
            subtract(datt, att, out=datt)
            multiply(datt, scale, out=datt)
            matmul(datt, k, out=dq)
            matmul(datt.transpose(0, 1, 3, 2), q, out=dk)
            dqkv = plan["dqkv"]
            dqkv.reshape(B, T, 3, H, hs)[...] = plan["dqkv_h"].transpose(1, 3, 0, 2, 4)
            dot(ones, dqkv, out=gr("c_attn.bias"))
            dot(dqkv.T, layer["a1"], out=gr("c_attn.weight"))
            dot(dqkv, p("c_attn.weight"), out=da)
            self._layer_norm_backward(da, p("ln_1.weight"), layer["xhat1"], layer["rstd1"],
                                      gr("ln_1.weight"), gr("ln_1.bias"), dx, plan)

        # embeddings: a one-hot GEMM for the tokens, a sum over the batch for the positions
        one_hot = plan["one_hot"]
        np.equal(idx_flat[:, None], plan["classes"], out=one_hot)
        dot(one_hot.T, dx, out=G["wte"][1])
        gwpe = G["wpe"][1]
        gwpe[T:] = 0
        add.reduce(dx.reshape(B, T, C), axis=0, out=gwpe[:T])
        return loss

    def step(self, idx, targets):
        """One training step: forward, backward, AdamW; returns the loss."""
        loss = self.loss_and_grads(idx, targets)
        self._adamw()
        return loss

    def _adamw(self):
        """PyTorch's AdamW over the flat buffers: ``p *= 1 - lr weight_decay``, then Adam with
        the moments kept rescaled (``numpy_floor.NumpyMLP._adam``)."""
        self.t += 1
        (b1, b2), p, g = self.betas, self.flat, self.flat_grad
        m, v, tmp = self.exp_sum, self.exp_sq_sum, self._adam_tmp
        step = self.lr * (1 - b1) / (1 - b1 ** self.t)
        K = np.float32((1 - b2) / (1 - b2 ** self.t) / (step * step))
        E = np.float32(self.eps / step)
        multiply(p, np.float32(1 - self.lr * self.weight_decay), out=p)
        folded_adam_passes(p, g, m, v, tmp, np.float32(b1), np.float32(b2), K, E)

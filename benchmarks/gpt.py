"""W4's model: makemore's Transformer (a small GPT), written once for any library with
PyTorch's API, so tinygrad_bn and PyTorch run the very same code with only the import swapped.

The classes follow karpathy/makemore's ``makemore.py`` line by line (itself minGPT's):
token and position embeddings, blocks of causal self-attention written with ``matmul``,
``masked_fill`` and ``softmax`` and an MLP with ``NewGELU`` (the tanh approximation from
primitives), ``LayerNorm`` before each, a final ``LayerNorm`` and a bias-free head; the loss is
cross-entropy with ``ignore_index=-1`` (the positions after a word's end). Trained with makemore's
``AdamW(lr=5e-4, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.01)``.
"""

import math

import numpy as np

W4_CONFIG = dict(vocab_size=27, block_size=16, n_layer=4, n_head=4, n_embd=64)


def gpt_model(lib, vocab_size, block_size, n_layer, n_head, n_embd):
    """makemore's ``Transformer`` built on ``lib`` (``torch`` or ``tinygrad_bn``)."""
    torch, nn, F = lib, lib.nn, lib.nn.functional

    class NewGELU(nn.Module):
        """GELU, the tanh approximation, from primitives (makemore's)."""

        def forward(self, x):
            return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi)
                                               * (x + 0.044715 * torch.pow(x, 3.0))))

    class CausalSelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            assert n_embd % n_head == 0
            self.c_attn = nn.Linear(n_embd, 3 * n_embd)  # key, query, value for all heads
            self.c_proj = nn.Linear(n_embd, n_embd)
            self.register_buffer("bias", torch.tril(torch.ones(block_size, block_size))
                                 .view(1, 1, block_size, block_size))
            self.n_head, self.n_embd = n_head, n_embd

        def forward(self, x):
            B, T, C = x.size()
            q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
            k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
            q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
            att = F.softmax(att, dim=-1)
            y = att @ v  # (B, nh, T, T) x (B, nh, T, hs) -> (B, nh, T, hs)
            y = y.transpose(1, 2).contiguous().view(B, T, C)
            return self.c_proj(y)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(n_embd)
            self.attn = CausalSelfAttention()
            self.ln_2 = nn.LayerNorm(n_embd)
            self.mlp = nn.ModuleDict(dict(c_fc=nn.Linear(n_embd, 4 * n_embd),
                                          c_proj=nn.Linear(4 * n_embd, n_embd), act=NewGELU()))
            m = self.mlp
            self.mlpf = lambda x: m.c_proj(m.act(m.c_fc(x)))  # MLP forward

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            x = x + self.mlpf(self.ln_2(x))
            return x

    class Transformer(nn.Module):
        def __init__(self):
            super().__init__()
            self.block_size = block_size
            self.transformer = nn.ModuleDict(dict(
                wte=nn.Embedding(vocab_size, n_embd), wpe=nn.Embedding(block_size, n_embd),
                h=nn.ModuleList([Block() for _ in range(n_layer)]), ln_f=nn.LayerNorm(n_embd)))
            self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)

        def forward(self, idx, targets=None):
            b, t = idx.size()
            assert t <= self.block_size, f"Cannot forward sequence of length {t}"
            pos = torch.arange(0, t, dtype=torch.long).unsqueeze(0)  # (1, t)
            tok_emb = self.transformer.wte(idx)
            pos_emb = self.transformer.wpe(pos)
            x = tok_emb + pos_emb
            for block in self.transformer.h:
                x = block(x)
            x = self.transformer.ln_f(x)
            logits = self.lm_head(x)
            loss = None
            if targets is not None:
                loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1),
                                       ignore_index=-1)
            return logits, loss

    return Transformer()


def gpt_optimizer(lib, model):
    """makemore's optimizer."""
    return lib.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.01, betas=(0.9, 0.99),
                           eps=1e-8)


def gpt_training_step(model, optimizer):
    """makemore's training step on a batch ``(x, y)``: forward with the loss, ``zero_grad(
    set_to_none=True)``, backward, AdamW's step; returns the loss tensor."""
    def train(x, y):
        _, loss = model(x, y)
        model.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss

    return train


def make_words(count, block_size, vocab_size, seed=0):
    """makemore's dataset made up: ``count`` words of 1 to ``block_size - 1`` letters (tokens 1
    to ``vocab_size - 1``), each as ``x = [0, word, 0...]`` and ``y = [word, 0, -1...]`` (the
    end token after the word, then positions the loss ignores), int64 arrays ``(count,
    block_size)``."""
    rng = np.random.default_rng(seed)
    x = np.zeros((count, block_size), np.int64)
    y = np.full((count, block_size), -1, np.int64)
    for i, length in enumerate(rng.integers(1, block_size, count)):
        word = rng.integers(1, vocab_size, length)
        x[i, 1:1 + length] = word
        y[i, :length] = word
        y[i, length] = 0
    return x, y

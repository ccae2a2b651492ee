"""Programs past the toy, written as PyTorch code and run with only the import changed: a
nanoGPT-style character model (token and position embeddings, pre-norm blocks of causal
self-attention through ``F.scaled_dot_product_attention`` and a GELU MLP, AdamW), the same with
``nn.TransformerEncoder`` and a causal mask, and a contrastive embedding model (``F.normalize``,
cosine similarities as logits, ``F.pairwise_distance`` in a triplet margin). Each runs on
tinygrad_bn (the loss falls) and, when PyTorch is installed, must agree with it to float64
precision; the nanoGPT step also runs under ``tinygrad_bn.jit`` with new data at every call and
must equal eager mode exactly. Initial weights and data come from NumPy, since the two
libraries' generators differ."""

import numpy as np
import pytest

import tinygrad_bn as tg

RTOL, ATOL = 1e-9, 1e-11
TEXT = "the quick brown fox jumps over the lazy dog while the cat sleeps in the sun " * 4


def _numpy_state(module, seed):
    """A state dict of NumPy draws for every parameter (LayerNorm/RMSNorm weights stay ones)."""
    rng = np.random.default_rng(seed)
    return {name: value.detach().numpy() if name.endswith(("norm.weight", "ln_1.weight",
                                                            "ln_2.weight", "ln_f.weight"))
            else rng.normal(0, 0.2, tuple(value.shape))
            for name, value in module.state_dict().items()}


def _load(torch, module, state):
    module.load_state_dict({name: torch.tensor(np.array(value, dtype=np.float64))
                            for name, value in state.items()})


def nano_gpt(torch, steps=8, jit=False, batches=None):
    """A two-block GPT over characters (nanoGPT's model.py, shrunk): returns the losses and
    the final parameters."""
    nn, F = torch.nn, torch.nn.functional
    vocabulary = sorted(set(TEXT))
    ids = np.array([vocabulary.index(c) for c in TEXT])
    block_size, n_embd, n_head = 8, 16, 4

    class CausalSelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_attn = nn.Linear(n_embd, 3 * n_embd)
            self.c_proj = nn.Linear(n_embd, n_embd)

        def forward(self, x):
            B, T, C = x.size()
            q, k, v = self.c_attn(x).split(n_embd, dim=2)
            q = q.view(B, T, n_head, C // n_head).transpose(1, 2)
            k = k.view(B, T, n_head, C // n_head).transpose(1, 2)
            v = v.view(B, T, n_head, C // n_head).transpose(1, 2)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=0.0,
                                               is_causal=True)
            y = y.transpose(1, 2).contiguous().view(B, T, C)
            return self.c_proj(y)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(n_embd)
            self.attn = CausalSelfAttention()
            self.ln_2 = nn.RMSNorm(n_embd)
            self.mlp = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.GELU(),
                                     nn.Linear(4 * n_embd, n_embd))

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Embedding(len(vocabulary), n_embd)
            self.wpe = nn.Embedding(block_size, n_embd)
            self.h = nn.ModuleList([Block() for _ in range(2)])
            self.ln_f = nn.LayerNorm(n_embd)
            self.lm_head = nn.Linear(n_embd, len(vocabulary), bias=False)

        def forward(self, idx, targets):
            pos = torch.arange(0, idx.size(1), dtype=torch.long)
            x = self.wte(idx) + self.wpe(pos)
            for block in self.h:
                x = block(x)
            logits = self.lm_head(self.ln_f(x))
            return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))

    torch.manual_seed(0)
    model = GPT().double()
    _load(torch, model, _numpy_state(model, 1))
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.1)

    def step(x, y):
        optimizer.zero_grad()
        loss = model(x, y)
        loss.backward()
        optimizer.step()
        return loss

    if jit:
        step = tg.jit(step)
    rng = np.random.default_rng(2)
    losses = []
    for _ in range(steps):
        starts = rng.integers(0, len(ids) - block_size - 1, 4)
        x = np.stack([ids[s:s + block_size] for s in starts])
        y = np.stack([ids[s + 1:s + block_size + 1] for s in starts])
        losses.append(float(step(torch.tensor(x), torch.tensor(y)).item()))
    parameters = {name: p.detach().numpy().copy() for name, p in model.named_parameters()}
    return losses, parameters, step


def encoder_classifier(torch, steps=6):
    """Sequence classification with nn.TransformerEncoder (causal mask, padding mask, GELU,
    norm_first) and SGD."""
    nn = torch.nn
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation="gelu",
                                       batch_first=True, norm_first=True)
    model = nn.ModuleDict({"encoder": nn.TransformerEncoder(layer, 2, enable_nested_tensor=False),
                           "head": nn.Linear(8, 3)}).double()
    _load(torch, model, _numpy_state(model, 3))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(4)
    mask = nn.Transformer.generate_square_subsequent_mask(5).double()
    padding = torch.tensor(np.array([[False] * 5, [False] * 4 + [True], [False] * 3 + [True] * 2]))
    x, y = torch.tensor(rng.normal(size=(3, 5, 8))), torch.tensor(np.array([0, 1, 2]))
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        hidden = model["encoder"](x, mask=mask, src_key_padding_mask=padding, is_causal=True)
        loss = torch.nn.functional.cross_entropy(model["head"](hidden[:, 0]), y)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.item()))
    return losses, {name: p.detach().numpy().copy() for name, p in model.named_parameters()}


def contrastive(torch, steps=10):
    """An InfoNCE loss over cosine similarities of normalised embeddings of two views, plus a
    triplet margin loss over pairwise distances, trained with Adam."""
    nn, F = torch.nn, torch.nn.functional
    torch.manual_seed(0)
    encoder = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 4)).double()
    _load(torch, encoder, _numpy_state(encoder, 5))
    optimizer = torch.optim.Adam(encoder.parameters(), lr=0.01)
    rng = np.random.default_rng(6)
    data = rng.normal(size=(8, 6))
    losses = []
    for _ in range(steps):
        a = torch.tensor(data + 0.1 * rng.normal(size=data.shape))
        b = torch.tensor(data + 0.1 * rng.normal(size=data.shape))
        za, zb = F.normalize(encoder(a), dim=1), F.normalize(encoder(b), dim=1)
        logits = F.cosine_similarity(za[:, None, :], zb[None, :, :], dim=-1) / 0.5
        info_nce = F.cross_entropy(logits, torch.arange(8))
        negative = zb.roll(1, 0)
        triplet = (F.pairwise_distance(za, zb) - F.pairwise_distance(za, negative) + 1.0)
        loss = info_nce + triplet.clamp(min=0).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.item()))
    return losses, {name: p.detach().numpy().copy() for name, p in encoder.named_parameters()}


PROGRAMS = {"nano_gpt": lambda torch: nano_gpt(torch)[:2], "encoder": encoder_classifier,
            "contrastive": contrastive}


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_trains(name):
    losses, _ = PROGRAMS[name](tg)
    assert np.isfinite(losses).all() and np.mean(losses[-3:]) < np.mean(losses[:3])


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_matches_pytorch(name):
    torch = pytest.importorskip("torch")
    our_losses, ours = PROGRAMS[name](tg)
    their_losses, theirs = PROGRAMS[name](torch)
    np.testing.assert_allclose(our_losses, their_losses, rtol=RTOL, atol=ATOL)
    assert ours.keys() == theirs.keys()
    for key in ours:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=RTOL, atol=ATOL, err_msg=key)


def test_nano_gpt_replays_under_jit_as_eager():
    eager_losses, eager, _ = nano_gpt(tg)
    jit_losses, jitted, step = nano_gpt(tg, jit=True)
    assert step.plan is not None  # captured and replayed, not run eagerly
    assert eager_losses == jit_losses
    for key in eager:
        np.testing.assert_array_equal(jitted[key], eager[key], err_msg=key)

"""``nn.MultiheadAttention`` against PyTorch's (when installed): the same state_dict loaded into
both, outputs, attention weights and float64 gradients of inputs and parameters over its
options (batch_first, kdim/vdim, bias, add_bias_kv, add_zero_attn, masks, need_weights,
average_attn_weights, is_causal, unbatched inputs); state_dict keys and repr equal to torch's;
finite differences in float64; every error path's message."""

import warnings

import numpy as np
import pytest

import tinygrad_bn as tg

from pytorch_errors import error_tests

CAUSAL = np.triu(np.ones((3, 3), dtype=bool), 1)  # True: may not attend (PyTorch's MHA)

# (constructor keywords, forward options)
CASES = [
    ({"embed_dim": 8, "num_heads": 2}, {}),
    ({"embed_dim": 8, "num_heads": 2}, {"same": False}),
    ({"embed_dim": 8, "num_heads": 2}, {"same": False, "kv_same": True, "kpm": True}),
    ({"embed_dim": 8, "num_heads": 2, "kdim": 5, "vdim": 3},
     {"same": False, "kpm": True, "average_attn_weights": False}),
    ({"embed_dim": 8, "num_heads": 2, "bias": False},
     {"mask": CAUSAL, "need_weights": False, "is_causal": True}),
    ({"embed_dim": 8, "num_heads": 2}, {"mask": CAUSAL, "need_weights": False, "kpm": True}),
    ({"embed_dim": 8, "num_heads": 2}, {"mask": np.where(CAUSAL, -np.inf, 0.0), "kpm": True}),
    ({"embed_dim": 8, "num_heads": 4, "add_bias_kv": True, "add_zero_attn": True},
     {"mask": CAUSAL, "kpm": True}),
    ({"embed_dim": 8, "num_heads": 4, "add_bias_kv": True, "add_zero_attn": True},
     {"mask": CAUSAL, "kpm": True, "need_weights": False}),
    ({"embed_dim": 6, "num_heads": 3, "add_zero_attn": True},
     {"batched": False, "mask": np.zeros((3, 3, 3), dtype=bool), "kpm": True}),
    ({"embed_dim": 6, "num_heads": 3, "add_bias_kv": True},
     {"batched": False, "need_weights": False, "kpm": True}),
    ({"embed_dim": 8, "num_heads": 2, "dropout": 0.5}, {"train": False}),
]


def _inputs(library, constructor, options, seed=0):
    rng = np.random.default_rng(seed)
    embed_dim = constructor["embed_dim"]
    kdim, vdim = constructor.get("kdim") or embed_dim, constructor.get("vdim") or embed_dim
    batched, batch_first = options.get("batched", True), constructor.get("batch_first", False)
    batch, length, source = 2, 3, 4

    def shape(sequence, features):
        if not batched:
            return (sequence, features)
        return (batch, sequence, features) if batch_first else (sequence, batch, features)

    def tensor(array):
        return library.tensor(array, requires_grad=True)

    query = tensor(rng.standard_normal(shape(length, embed_dim)))
    if options.get("same", True):
        key = value = query
        source = length
    else:
        key = tensor(rng.standard_normal(shape(source, kdim)))
        value = key if options.get("kv_same") else tensor(rng.standard_normal(shape(source, vdim)))
    keywords = {name: options[name] for name in ("need_weights", "average_attn_weights",
                                                  "is_causal") if name in options}
    if options.get("kpm"):
        padding = rng.random((batch, source) if batched else (source,)) < 0.3
        padding[..., 0] = False
        keywords["key_padding_mask"] = library.tensor(padding)
    if options.get("mask") is not None:
        keywords["attn_mask"] = library.tensor(options["mask"])
    return (query, key, value), keywords


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_matches_pytorch(case, batch_first):
    torch = pytest.importorskip("torch")
    constructor, options = CASES[case]
    constructor = dict(constructor, batch_first=batch_first)
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(**constructor).double()
    ours = tg.nn.MultiheadAttention(**constructor).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    ours.load_state_dict({name: tg.tensor(value.detach().numpy().copy())
                          for name, value in theirs.state_dict().items()})
    training = options.get("train", True)
    theirs.train(training)
    ours.train(training)
    their_inputs, their_keywords = _inputs(torch, constructor, options)
    our_inputs, our_keywords = _inputs(tg, constructor, options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected, expected_weights = theirs(*their_inputs, **their_keywords)
        out, weights = ours(*our_inputs, **our_keywords)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), atol=1e-12)
    if expected_weights is None:
        assert weights is None
    else:
        assert tuple(weights.shape) == tuple(expected_weights.shape)
        np.testing.assert_allclose(weights.detach().numpy(), expected_weights.detach().numpy(),
                                   atol=1e-12)
    grad_output = np.random.default_rng(1).standard_normal(tuple(out.shape))
    expected.backward(torch.tensor(grad_output))
    out.backward(tg.tensor(grad_output))
    for their, our in zip(their_inputs, our_inputs):
        np.testing.assert_allclose(our.grad.numpy(), their.grad.numpy(), atol=1e-12)
    their_parameters = dict(theirs.named_parameters())
    for name, parameter in ours.named_parameters():
        np.testing.assert_allclose(parameter.grad.numpy(), their_parameters[name].grad.numpy(),
                                   atol=1e-11, err_msg=name)


@pytest.mark.parametrize("case", [0, 3, 5, 7])
def test_gradients_match_finite_differences(case):
    constructor, options = CASES[case]
    tg.manual_seed(0)
    module = tg.nn.MultiheadAttention(**constructor).double()
    inputs, keywords = _inputs(tg, constructor, options)
    distinct = list(dict.fromkeys(inputs))  # the same tensor once

    def function(*tensors):
        by_identity = dict(zip(map(id, distinct), tensors))
        return module(*(by_identity[id(x)] for x in inputs), **keywords)[0]

    assert tg.gradcheck(function, tuple(distinct))


def test_state_dict_keys():
    assert list(tg.nn.MultiheadAttention(8, 2).state_dict()) == [
        "in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    assert list(tg.nn.MultiheadAttention(8, 2, kdim=4, vdim=3, bias=False).state_dict()) == [
        "q_proj_weight", "k_proj_weight", "v_proj_weight", "out_proj.weight"]
    assert list(tg.nn.MultiheadAttention(8, 2, add_bias_kv=True).state_dict()) == [
        "in_proj_weight", "in_proj_bias", "bias_k", "bias_v", "out_proj.weight",
        "out_proj.bias"]


def test_dropout_only_in_training():
    tg.manual_seed(0)
    module = tg.nn.MultiheadAttention(8, 2, dropout=0.5)
    x = tg.randn(3, 2, 8)
    module.eval()
    first, _ = module(x, x, x)
    again, _ = module(x, x, x)
    np.testing.assert_array_equal(first.detach().numpy(), again.detach().numpy())
    module.train()
    dropped, weights = module(x, x, x, average_attn_weights=False)
    assert not np.allclose(dropped.detach().numpy(), first.detach().numpy())
    assert (weights.detach().numpy() == 0).any()


def _mha(m, *args, **kwargs):
    return m.nn.MultiheadAttention(8, 2, *args, **kwargs)


ERRORS = [
    ("heads_divide", lambda m: _mha(m) and m.nn.MultiheadAttention(8, 3), AssertionError,
     "embed_dim must be divisible by num_heads"),
    ("zero_embed", lambda m: m.nn.MultiheadAttention(0, 3), ValueError,
     "embed_dim and num_heads must be greater than 0, got embed_dim=0 and num_heads=3 instead"),
    ("key_rank", lambda m: _mha(m)(m.ones(3, 2, 8), m.ones(3, 8), m.ones(3, 8)), AssertionError,
     "For batched (3-D) `query`, expected `key` and `value` to be 3-D but found 2-D and 2-D "
     "tensors respectively"),
    ("key_value_shapes", lambda m: _mha(m)(m.ones(3, 2, 8), m.ones(4, 2, 8), m.ones(5, 2, 8)),
     AssertionError, "key shape torch.Size([4, 2, 8]) does not match value shape "
                     "torch.Size([5, 2, 8])"),
    ("embed_dim", lambda m: _mha(m)(m.ones(3, 2, 6), m.ones(3, 2, 6), m.ones(3, 2, 6)),
     AssertionError, "was expecting embedding dimension of 8, but got 6"),
    ("mask_2d", lambda m: _mha(m)(m.ones(3, 2, 8), m.ones(3, 2, 8), m.ones(3, 2, 8),
                                  attn_mask=m.ones(4, 4, dtype=m.bool)),
     RuntimeError, "The shape of the 2D attn_mask is torch.Size([4, 4]), but should be (3, 3)."),
    ("mask_3d", lambda m: _mha(m)(m.ones(3, 2, 8), m.ones(3, 2, 8), m.ones(3, 2, 8),
                                  attn_mask=m.ones(2, 3, 3, dtype=m.bool)),
     RuntimeError, "The shape of the 3D attn_mask is torch.Size([2, 3, 3]), but should be "
                   "(4, 3, 3)."),
    ("padding_mask_shape", lambda m: _mha(m)(m.ones(3, 2, 8), m.ones(3, 2, 8), m.ones(3, 2, 8),
                                             key_padding_mask=m.ones(2, 4, dtype=m.bool)),
     AssertionError, "Expected key_padded_mask.shape[1] to be 3, but got 4"),
    ("padding_mask_dtype", lambda m: _mha(m)(m.ones(3, 2, 8), m.ones(3, 2, 8), m.ones(3, 2, 8),
                                             key_padding_mask=m.ones(2, 3, dtype=m.int64)),
     AssertionError, "only bool and floating types of key_padding_mask are supported"),
    ("causal_without_mask", lambda m: _mha(m)(m.ones(3, 2, 8), m.ones(3, 2, 8),
                                              m.ones(3, 2, 8), is_causal=True),
     RuntimeError, "Need attn_mask if specifying the is_causal hint. You may use the Transformer "
                   "module method `generate_square_subsequent_mask` to create this mask."),
    ("unbatched_mask", lambda m: _mha(m)(m.ones(3, 8), m.ones(3, 8), m.ones(3, 8),
                                         attn_mask=m.ones(3, 3, 4, dtype=m.bool)),
     AssertionError, "Expected `attn_mask` shape to be (2, 3, 3) but got torch.Size([3, 3, 4])"),
    ("query_rank", lambda m: _mha(m)(m.ones(2, 3, 2, 8), m.ones(3, 8), m.ones(3, 8)),
     AssertionError, "query should be unbatched 2D or batched 3D tensor but received 4-D query "
                     "tensor"),
    ("separate_dims", lambda m: _mha(m, kdim=4, vdim=4)(m.ones(3, 2, 8), m.ones(3, 2, 4),
                                                         m.ones(5, 2, 4)),
     AssertionError, "key's sequence and batch dims torch.Size([3, 2]) do not match value's "
                     "torch.Size([5, 2])"),
]


test_errors_are_pytorchs, test_pytorch_raises_the_same = error_tests(ERRORS)

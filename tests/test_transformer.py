"""``nn.TransformerEncoderLayer``, ``TransformerEncoder``, ``TransformerDecoderLayer``,
``TransformerDecoder`` and ``Transformer`` against PyTorch's (when installed): the same
state_dict loaded into both, outputs and float64 gradients of inputs and every parameter,
state_dict keys; finite differences in float64; error messages."""

import warnings

import numpy as np
import pytest

import tinygrad_bn as tg

from pytorch_errors import error_tests

CAUSAL = np.triu(np.ones((3, 3), dtype=bool), 1)


def _load(ours, theirs):
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({name: tg.tensor(value.detach().numpy().copy())
                          for name, value in theirs.state_dict().items()})


def _compare(ours, theirs, our_inputs, their_inputs, our_keywords, their_keywords):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = theirs(*their_inputs, **their_keywords)
        out = ours(*our_inputs, **our_keywords)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), atol=1e-12)
    grad_output = np.random.default_rng(1).standard_normal(tuple(out.shape))
    expected.backward(torch.tensor(grad_output))
    out.backward(tg.tensor(grad_output))
    for their, our in zip(their_inputs, our_inputs):
        np.testing.assert_allclose(our.grad.numpy(), their.grad.numpy(), atol=1e-11)
    their_parameters = dict(theirs.named_parameters())
    for name, parameter in ours.named_parameters():
        np.testing.assert_allclose(parameter.grad.numpy(), their_parameters[name].grad.numpy(),
                                   atol=1e-11, err_msg=name)


def _pair(shape, seed, masks=()):
    torch = pytest.importorskip("torch")
    array = np.random.default_rng(seed).standard_normal(shape)
    return tg.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)


def _mask_keywords(library, masks):
    return {name: library.tensor(value) for name, value in masks.items()}


ENCODER_LAYERS = [
    ({}, {}),
    ({"norm_first": True, "activation": "gelu"}, {"src_mask": CAUSAL}),
    ({"batch_first": True, "bias": False}, {"src_mask": CAUSAL, "is_causal": True}),
    ({"batch_first": True}, {"src_key_padding_mask": np.array([[False, False, True]] * 2)}),
    ({"activation": "relu", "layer_norm_eps": 1e-3},
     {"src_mask": np.where(CAUSAL, -np.inf, 0.0)}),
]


@pytest.mark.parametrize("case", range(len(ENCODER_LAYERS)))
def test_encoder_layer_matches_pytorch(case):
    torch = pytest.importorskip("torch")
    options, masks = ENCODER_LAYERS[case]
    masks = dict(masks)
    is_causal = masks.pop("is_causal", False)
    torch.manual_seed(0)
    theirs = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, **options).double()
    ours = tg.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, **options).double()
    _load(ours, theirs)
    ours_x, theirs_x = _pair((2, 3, 8) if options.get("batch_first") else (3, 2, 8), case)
    _compare(ours, theirs, [ours_x], [theirs_x],
             dict(_mask_keywords(tg, masks), is_causal=is_causal),
             dict(_mask_keywords(torch, masks), is_causal=is_causal))


@pytest.mark.parametrize("is_causal", [None, True, False])
def test_encoder_stack_with_norm_matches_pytorch(is_causal):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.nn.TransformerEncoder(
            torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), 2,
            torch.nn.LayerNorm(8)).double()
        ours = tg.nn.TransformerEncoder(tg.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), 2,
                                        tg.nn.LayerNorm(8)).double()
    _load(ours, theirs)
    mask = np.triu(np.full((3, 3), -np.inf), 1)
    ours_x, theirs_x = _pair((3, 2, 8), 0)
    _compare(ours, theirs, [ours_x], [theirs_x],
             {"mask": tg.tensor(mask), "is_causal": is_causal},
             {"mask": torch.tensor(mask), "is_causal": is_causal})


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_and_transformer_match_pytorch(norm_first):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    arguments = dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2,
                     dim_feedforward=16, dropout=0.0, norm_first=norm_first, batch_first=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.nn.Transformer(**arguments).double()
        ours = tg.nn.Transformer(**arguments).double()
    _load(ours, theirs)
    ours_src, theirs_src = _pair((2, 4, 8), 0)
    ours_tgt, theirs_tgt = _pair((2, 3, 8), 1)
    padding = np.array([[False, False, False, True], [False, True, False, False]])
    ours_keywords = {"tgt_mask": tg.nn.Transformer.generate_square_subsequent_mask(3).double(),
                     "src_key_padding_mask": tg.tensor(padding),
                     "memory_key_padding_mask": tg.tensor(padding)}
    theirs_keywords = {
        "tgt_mask": torch.nn.Transformer.generate_square_subsequent_mask(3).double(),
        "src_key_padding_mask": torch.tensor(padding),
        "memory_key_padding_mask": torch.tensor(padding)}
    _compare(ours, theirs, [ours_src, ours_tgt], [theirs_src, theirs_tgt], ours_keywords,
             theirs_keywords)


def test_generate_square_subsequent_mask():
    mask = tg.nn.Transformer.generate_square_subsequent_mask(3)
    assert mask.dtype == tg.float32
    np.testing.assert_array_equal(mask.numpy(), np.triu(np.full((3, 3), -np.inf), 1))


def test_encoder_layer_gradients_match_finite_differences():
    tg.manual_seed(0)
    layer = tg.nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, norm_first=True).double()
    x = tg.tensor(np.random.default_rng(0).standard_normal((3, 2, 4)), requires_grad=True)
    mask = tg.tensor(CAUSAL)
    assert tg.gradcheck(lambda t: layer(t, src_mask=mask), (x,))


def test_dropout_follows_training_mode():
    tg.manual_seed(0)
    layer = tg.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5)
    x = tg.randn(3, 2, 8)
    layer.eval()
    np.testing.assert_array_equal(layer(x).detach().numpy(), layer(x).detach().numpy())
    layer.train()
    assert not np.allclose(layer(x).detach().numpy(), layer(x).detach().numpy())


def test_state_dict_keys():
    keys = list(tg.nn.TransformerEncoderLayer(8, 2, 16).state_dict())
    assert keys == ["self_attn.in_proj_weight", "self_attn.in_proj_bias",
                    "self_attn.out_proj.weight", "self_attn.out_proj.bias", "linear1.weight",
                    "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight",
                    "norm1.bias", "norm2.weight", "norm2.bias"]
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for make in (lambda m: m.nn.TransformerEncoderLayer(8, 2, 16, bias=False),
                     lambda m: m.nn.TransformerDecoderLayer(8, 2, 16),
                     lambda m: m.nn.TransformerEncoder(m.nn.TransformerEncoderLayer(8, 2, 16), 3),
                     lambda m: m.nn.Transformer(8, 2, 1, 2, 16)):
            assert list(make(tg).state_dict()) == list(make(torch).state_dict())


def test_encoder_warns_as_pytorch_when_nested_tensors_cannot_be_used():
    with pytest.warns(UserWarning, match="enable_nested_tensor is True, but "
                                         "self.use_nested_tensor is False because encoder_layer"
                                         ".self_attn.batch_first was not True"):
        tg.nn.TransformerEncoder(tg.nn.TransformerEncoderLayer(8, 2, 16), 1)


ERRORS = [
    ("activation", lambda m: m.nn.TransformerEncoderLayer(8, 2, activation="tanh"), RuntimeError,
     "activation should be relu/gelu, not tanh"),
    ("batch", lambda m: m.nn.Transformer(8, 2, 1, 1, 16)(m.ones(3, 2, 8), m.ones(3, 4, 8)),
     RuntimeError, "the batch number of src and tgt must be equal"),
    ("features", lambda m: m.nn.Transformer(8, 2, 1, 1, 16)(m.ones(3, 2, 6), m.ones(3, 2, 6)),
     RuntimeError, "the feature number of src and tgt must be equal to d_model"),
]


test_errors_are_pytorchs, test_pytorch_raises_the_same = error_tests(ERRORS)

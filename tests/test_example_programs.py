"""Classic public PyTorch example programs, written compactly from memory of pytorch/examples
and the PyTorch tutorials, each once for any library with PyTorch's API (a function taking the
library module, as benchmarks/gpt.py does), run on small seeded synthetic data with tinygrad_bn
and with PyTorch from the same initial weights (PyTorch's, copied through NumPy) and the same
random draws (drawn beforehand with NumPy, or drawn by PyTorch and fed to ours). Each test asserts
that the losses along the way and the final parameters agree within float32/float64 rounding.

Dropout is left out of the programs that have it (its masks are random draws we cannot share);
everything else is the program's own code path: optimizers, closures, samplers' log-probs,
``autograd.grad`` with ``create_graph``, tied weights, ``clip_grad_norm_``, hidden-state
repackaging, ``share_memory`` with a worker process, ``torch.func`` transforms.
"""

import copy
import math
from collections import namedtuple

import numpy as np
import pytest

import tinygrad_bn as tg

TOL = {"float32": dict(rtol=2e-4, atol=2e-5), "float64": dict(rtol=1e-9, atol=1e-11)}


def numpy_of(t):
    return t.detach().numpy().copy() if hasattr(t, "detach") else np.asarray(t)


def initial_state(build):
    """The state_dict of ``build(torch)`` made after ``torch.manual_seed(0)``, as NumPy."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    return {k: numpy_of(v) for k, v in build(torch).state_dict().items()}


def load(lib, model, state):
    model.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    return model


def compare(program, dtype="float32", default_dtype=None, param_tol=None, ignore={}, **kwargs):
    """Run ``program(lib, shared, **kwargs)`` with PyTorch then tinygrad_bn; it returns (losses,
    module or dict of final tensors). ``shared`` is a dict PyTorch's run may fill with its random
    draws for ours to replay. With ``default_dtype`` ("float64") both run under
    ``set_default_dtype``. Asserts both runs agree (the final tensors within ``param_tol`` if
    given, else the dtype's tolerance). ``ignore`` maps names to the elements (an index) not
    compared: parameters whose gradient is zero but for rounding (a bias before a softmax or a
    normalization), which Adam turns into steps of up to the learning rate of either sign."""
    torch = pytest.importorskip("torch")
    shared = {}
    torch.manual_seed(0)
    runs = []
    for lib in (torch, tg):
        if default_dtype:
            lib.set_default_dtype(getattr(lib, default_dtype))
        try:  # each run gets its own copy of the data: from_numpy shares it, in-place ops write
            runs.append(program(lib, shared, **copy.deepcopy(kwargs)))
        finally:
            lib.set_default_dtype(lib.float32)
    (losses_t, final_t), (losses_o, final_o) = runs
    tol = TOL[dtype]
    np.testing.assert_allclose(np.array([float(x) for x in losses_o]),
                               np.array([float(x) for x in losses_t]), **tol)
    st = final_t.state_dict() if hasattr(final_t, "state_dict") else final_t
    so = final_o.state_dict() if hasattr(final_o, "state_dict") else final_o
    assert list(so) == list(st)
    for k in st:
        assert str(numpy_of(so[k]).dtype) == str(numpy_of(st[k]).dtype), k
        assert numpy_of(so[k]).shape == numpy_of(st[k]).shape, k
        keep = np.ones(numpy_of(st[k]).shape, bool)
        keep[ignore.get(k, ())] = False
        np.testing.assert_allclose(numpy_of(so[k])[keep], numpy_of(st[k])[keep], err_msg=k,
                                   **(param_tol or tol))
    return losses_t, losses_o


# ---------------------------------------------------------------- time_sequence_prediction

def sequence_model(lib):
    nn = lib.nn

    class Sequence(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm1 = nn.LSTMCell(1, 51)
            self.lstm2 = nn.LSTMCell(51, 51)
            self.linear = nn.Linear(51, 1)

        def forward(self, input, future=0):
            outputs = []
            h_t = lib.zeros(input.size(0), 51, dtype=lib.double)
            c_t = lib.zeros(input.size(0), 51, dtype=lib.double)
            h_t2 = lib.zeros(input.size(0), 51, dtype=lib.double)
            c_t2 = lib.zeros(input.size(0), 51, dtype=lib.double)
            for input_t in input.split(1, dim=1):
                h_t, c_t = self.lstm1(input_t, (h_t, c_t))
                h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
                output = self.linear(h_t2)
                outputs += [output]
            for i in range(future):
                h_t, c_t = self.lstm1(output, (h_t, c_t))
                h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
                output = self.linear(h_t2)
                outputs += [output]
            return lib.cat(outputs, dim=1)

    return Sequence()


def time_sequence_prediction(lib, shared, state, data, steps=2):
    torch, nn, optim = lib, lib.nn, lib.optim
    input = torch.from_numpy(data[3:, :-1])
    target = torch.from_numpy(data[3:, 1:])
    test_input = torch.from_numpy(data[:3, :-1])
    test_target = torch.from_numpy(data[:3, 1:])
    seq = load(lib, sequence_model(lib).double(), state)
    criterion = nn.MSELoss()
    optimizer = optim.LBFGS(seq.parameters(), lr=0.8)
    losses = []
    for i in range(steps):
        def closure():
            optimizer.zero_grad()
            out = seq(input)
            loss = criterion(out, target)
            losses.append(loss.item())
            loss.backward()
            return loss
        optimizer.step(closure)
        with torch.no_grad():
            future = 5
            pred = seq(test_input, future=future)
            loss = criterion(pred[:, :-future], test_target)
            losses.append(loss.item())
            losses.extend(pred.detach().numpy()[:, -future:].ravel().tolist())
    return losses, seq


def test_time_sequence_prediction_lstmcells_lbfgs_double():
    rng = np.random.default_rng(0)
    T, L, N = 20, 40, 10
    x = np.arange(L)[None, :] + rng.integers(-4 * T, 4 * T, size=(N, 1))
    data = np.sin(x / 1.0 / T).astype("float64")
    state = initial_state(lambda torch: sequence_model(torch).double())
    compare(time_sequence_prediction, "float64", state=state, data=data)


# ---------------------------------------------------------------- reinforcement learning

class CartPole:
    """A tiny CartPole (the classic equations, Euler steps) in NumPy."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def reset(self):
        self.state = self.rng.uniform(-0.05, 0.05, size=4)
        return self.state.copy()

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = 10.0 if action == 1 else -10.0
        costheta, sintheta = math.cos(theta), math.sin(theta)
        temp = (force + 0.05 * theta_dot ** 2 * sintheta) / 1.1
        thetaacc = (9.8 * sintheta - costheta * temp) / (0.5 * (4.0 / 3.0 - 0.1 * costheta ** 2
                                                                / 1.1))
        xacc = temp - 0.05 * thetaacc * costheta / 1.1
        x, x_dot = x + 0.02 * x_dot, x_dot + 0.02 * xacc
        theta, theta_dot = theta + 0.02 * theta_dot, theta_dot + 0.02 * thetaacc
        self.state = np.array([x, x_dot, theta, theta_dot])
        done = abs(x) > 2.4 or abs(theta) > 12 * 2 * math.pi / 360
        return self.state.copy(), 1.0, done


def sample(lib, shared, m):
    """PyTorch's run samples and records; ours replays the recorded action."""
    if lib.__name__ == "torch":
        action = m.sample()
        shared.setdefault("actions", []).append(action.item())
        return action
    shared["replayed"] = shared.get("replayed", 0) + 1
    return lib.tensor(shared["actions"][shared["replayed"] - 1])


def policy_model(lib):
    nn, F = lib.nn, lib.nn.functional

    class Policy(nn.Module):
        def __init__(self):
            super().__init__()
            self.affine1 = nn.Linear(4, 128)
            self.affine2 = nn.Linear(128, 2)
            self.saved_log_probs, self.rewards = [], []

        def forward(self, x):
            x = F.relu(self.affine1(x))
            return F.softmax(self.affine2(x), dim=1)

    return Policy()


def reinforce(lib, shared, state, episodes=4, gamma=0.99):
    torch, optim = lib, lib.optim
    policy = load(lib, policy_model(lib), state)
    optimizer = optim.Adam(policy.parameters(), lr=1e-2)
    eps = np.finfo(np.float32).eps.item()
    env, losses = CartPole(1), []
    for episode in range(episodes):
        s = env.reset()
        for t in range(1, 60):
            x = torch.from_numpy(s).float().unsqueeze(0)
            probs = policy(x)
            m = lib.distributions.Categorical(probs)
            action = sample(lib, shared, m)
            policy.saved_log_probs.append(m.log_prob(action))
            s, reward, done = env.step(action.item())
            policy.rewards.append(reward)
            if done:
                break
        R, policy_loss, returns = 0, [], []
        for r in policy.rewards[::-1]:
            R = r + gamma * R
            returns.insert(0, R)
        returns = torch.tensor(returns)
        returns = (returns - returns.mean()) / (returns.std() + eps)
        for log_prob, R in zip(policy.saved_log_probs, returns):
            policy_loss.append(-log_prob * R)
        optimizer.zero_grad()
        policy_loss = torch.cat(policy_loss).sum()
        losses.append(policy_loss.item())
        policy_loss.backward()
        optimizer.step()
        del policy.rewards[:]
        del policy.saved_log_probs[:]
    return losses, policy


def test_reinforce_categorical_returns_normalised():
    compare(reinforce, state=initial_state(policy_model))


def actor_critic_model(lib):
    nn, F = lib.nn, lib.nn.functional

    class Policy(nn.Module):
        def __init__(self):
            super().__init__()
            self.affine1 = nn.Linear(4, 128)
            self.action_head = nn.Linear(128, 2)
            self.value_head = nn.Linear(128, 1)
            self.saved_actions, self.rewards = [], []

        def forward(self, x):
            x = F.relu(self.affine1(x))
            action_prob = F.softmax(self.action_head(x), dim=-1)
            return action_prob, self.value_head(x)

    return Policy()


def actor_critic(lib, shared, state, episodes=4, gamma=0.99):
    torch, F = lib, lib.nn.functional
    SavedAction = namedtuple("SavedAction", ["log_prob", "value"])
    model = load(lib, actor_critic_model(lib), state)
    optimizer = lib.optim.Adam(model.parameters(), lr=3e-2)
    eps = np.finfo(np.float32).eps.item()
    env, losses = CartPole(2), []
    for episode in range(episodes):
        s = env.reset()
        for t in range(1, 60):
            probs, state_value = model(torch.from_numpy(s).float())
            m = lib.distributions.Categorical(probs)
            action = sample(lib, shared, m)
            model.saved_actions.append(SavedAction(m.log_prob(action), state_value))
            s, reward, done = env.step(action.item())
            model.rewards.append(reward)
            if done:
                break
        R, policy_losses, value_losses, returns = 0, [], [], []
        for r in model.rewards[::-1]:
            R = r + gamma * R
            returns.insert(0, R)
        returns = torch.tensor(returns)
        returns = (returns - returns.mean()) / (returns.std() + eps)
        for (log_prob, value), R in zip(model.saved_actions, returns):
            advantage = R - value.item()
            policy_losses.append(-log_prob * advantage)
            value_losses.append(F.smooth_l1_loss(value, torch.tensor([R])))
        optimizer.zero_grad()
        loss = torch.stack(policy_losses).sum() + torch.stack(value_losses).sum()
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
        del model.rewards[:]
        del model.saved_actions[:]
    return losses, model


def test_actor_critic_smooth_l1_and_categorical():
    compare(actor_critic, state=initial_state(actor_critic_model))


# ---------------------------------------------------------------- vae

def vae_model(lib):
    nn, F = lib.nn, lib.nn.functional

    class VAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(64, 40)
            self.fc21 = nn.Linear(40, 8)
            self.fc22 = nn.Linear(40, 8)
            self.fc3 = nn.Linear(8, 40)
            self.fc4 = nn.Linear(40, 64)

        def encode(self, x):
            h1 = F.relu(self.fc1(x))
            return self.fc21(h1), self.fc22(h1)

        def reparameterize(self, mu, logvar, eps):
            std = lib.exp(0.5 * logvar)
            return mu + eps * std

        def decode(self, z):
            h3 = F.relu(self.fc3(z))
            return lib.sigmoid(self.fc4(h3))

        def forward(self, x, eps):
            mu, logvar = self.encode(x.view(-1, 64))
            z = self.reparameterize(mu, logvar, eps)
            return self.decode(z), mu, logvar

    return VAE()


def vae(lib, shared, state, data, noise):
    torch, F = lib, lib.nn.functional
    model = load(lib, vae_model(lib), state)
    optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)

    def loss_function(recon_x, x, mu, logvar):
        BCE = F.binary_cross_entropy(recon_x, x.view(-1, 64), reduction="sum")
        KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return BCE + KLD

    model.train()
    losses = []
    for batch_idx in range(len(data)):
        x = torch.from_numpy(data[batch_idx])
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(x, torch.from_numpy(noise[batch_idx]))
        loss = loss_function(recon_batch, x, mu, logvar)
        loss.backward()
        losses.append(loss.item())
        optimizer.step()
    model.eval()
    with torch.no_grad():
        sample = model.decode(torch.from_numpy(noise[0]))
        losses.extend(sample.numpy().ravel()[:16].tolist())
    return losses, model


def test_vae_bce_sum_kl_reparameterize():
    rng = np.random.default_rng(0)
    data = rng.random((6, 16, 1, 8, 8)).astype("float32")
    noise = rng.standard_normal((6, 16, 8)).astype("float32")
    compare(vae, state=initial_state(vae_model), data=data, noise=noise)


# ---------------------------------------------------------------- mnist_hogwild

def hogwild_model(lib):
    nn, F = lib.nn, lib.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 4, kernel_size=3)
            self.conv2 = nn.Conv2d(4, 8, kernel_size=3)
            self.fc1 = nn.Linear(8, 16)
            self.fc2 = nn.Linear(16, 3)

        def forward(self, x):
            x = F.relu(F.max_pool2d(self.conv1(x), 2))
            x = F.relu(F.max_pool2d(self.conv2(x), 2))
            x = x.view(-1, 8)
            x = F.relu(self.fc1(x))
            return F.log_softmax(self.fc2(x), dim=1)

    return Net()


def hogwild_train(lib, model, data, target):
    optimizer = lib.optim.SGD(model.parameters(), lr=0.05, momentum=0.5)
    model.train()
    for batch_idx in range(len(data)):
        optimizer.zero_grad()
        output = model(lib.from_numpy(data[batch_idx]))
        loss = lib.nn.functional.nll_loss(output, lib.from_numpy(target[batch_idx]))
        loss.backward()
        optimizer.step()


def hogwild_torch_train(model, data, target):
    import torch
    hogwild_train(torch, model, data, target)


def hogwild_ours_train(model, data, target):
    hogwild_train(tg, model, data, target)


def mnist_hogwild(lib, shared, state, data, target):
    mp = lib.multiprocessing
    model = load(lib, hogwild_model(lib), state)
    model.share_memory()
    if lib.__name__ == "torch":
        # PyTorch's reference trains in this process: a forked child that runs PyTorch ops
        # deadlocks in libgomp once an earlier test has started PyTorch's OpenMP pool (more
        # than one thread), and one worker is deterministic, so the numbers are the same
        hogwild_torch_train(model, data, target)
    else:
        ctx = mp.get_context("fork")
        processes = []
        for rank in range(1):  # one worker: deterministic, so comparable with PyTorch's
            p = ctx.Process(target=hogwild_ours_train, args=(model, data, target))
            p.start()
            processes.append(p)
        for p in processes:
            p.join()
        assert [p.exitcode for p in processes] == [0]
    with lib.no_grad():
        out = model(lib.from_numpy(data[0]))
        loss = lib.nn.functional.nll_loss(out, lib.from_numpy(target[0]))
    return [loss.item()], model


def test_mnist_hogwild_share_memory_trains_the_parents_model():
    rng = np.random.default_rng(0)
    data = rng.standard_normal((5, 8, 1, 10, 10)).astype("float32")
    target = rng.integers(0, 3, size=(5, 8))
    state = initial_state(hogwild_model)
    compare(mnist_hogwild, state=state, data=data, target=target)
    # and the parent's model moved away from its initial weights
    model = load(tg, hogwild_model(tg), state)
    model.share_memory()
    p = tg.multiprocessing.get_context("fork").Process(target=hogwild_ours_train,
                                                        args=(model, data, target))
    p.start()
    p.join()
    assert not np.allclose(model.fc2.weight.detach().numpy(), state["fc2.weight"])


# ---------------------------------------------------------------- word_language_model

def rnn_model(lib, rnn_type, ntoken=30, ninp=16, nhid=16, nlayers=2, tie_weights=True):
    nn, F = lib.nn, lib.nn.functional

    class RNNModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.ntoken = ntoken
            self.drop = nn.Dropout(0.0)
            self.encoder = nn.Embedding(ntoken, ninp)
            if rnn_type in ["LSTM", "GRU"]:
                self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=0.0)
            else:
                nonlinearity = {"RNN_TANH": "tanh", "RNN_RELU": "relu"}[rnn_type]
                self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity=nonlinearity, dropout=0.0)
            self.decoder = nn.Linear(nhid, ntoken)
            if tie_weights:
                self.decoder.weight = self.encoder.weight
            self.init_weights()
            self.rnn_type, self.nhid, self.nlayers = rnn_type, nhid, nlayers

        def init_weights(self):
            initrange = 0.1
            nn.init.uniform_(self.encoder.weight, -initrange, initrange)
            nn.init.zeros_(self.decoder.bias)
            nn.init.uniform_(self.decoder.weight, -initrange, initrange)

        def forward(self, input, hidden):
            emb = self.drop(self.encoder(input))
            output, hidden = self.rnn(emb, hidden)
            output = self.drop(output)
            decoded = self.decoder(output).view(-1, self.ntoken)
            return F.log_softmax(decoded, dim=1), hidden

        def init_hidden(self, bsz):
            weight = next(self.parameters())
            if self.rnn_type == "LSTM":
                return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                        weight.new_zeros(self.nlayers, bsz, self.nhid))
            return weight.new_zeros(self.nlayers, bsz, self.nhid)

    return RNNModel()


def transformer_model(lib, ntoken=30, ninp=16, nhead=2, nhid=32, nlayers=2):
    nn, F = lib.nn, lib.nn.functional

    class PositionalEncoding(nn.Module):
        def __init__(self, d_model, dropout=0.0, max_len=64):
            super().__init__()
            self.dropout = nn.Dropout(p=dropout)
            pe = lib.zeros(max_len, d_model)
            position = lib.arange(0, max_len, dtype=lib.float).unsqueeze(1)
            div_term = lib.exp(lib.arange(0, d_model, 2).float()
                               * (-math.log(10000.0) / d_model))
            pe[:, 0::2] = lib.sin(position * div_term)
            pe[:, 1::2] = lib.cos(position * div_term)
            pe = pe.unsqueeze(0).transpose(0, 1)
            self.register_buffer("pe", pe)

        def forward(self, x):
            x = x + self.pe[:x.size(0), :]
            return self.dropout(x)

    class TransformerModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.model_type = "Transformer"
            self.src_mask = None
            self.pos_encoder = PositionalEncoding(ninp)
            encoder_layers = nn.TransformerEncoderLayer(ninp, nhead, nhid, 0.0)
            self.transformer_encoder = nn.TransformerEncoder(encoder_layers, nlayers,
                                                             enable_nested_tensor=False)
            self.input_emb = nn.Embedding(ntoken, ninp)
            self.ninp = ninp
            self.decoder = nn.Linear(ninp, ntoken)

        def _generate_square_subsequent_mask(self, sz):
            return lib.log(lib.tril(lib.ones(sz, sz)))

        def forward(self, src, has_mask=True):
            if has_mask:
                if self.src_mask is None or self.src_mask.size(0) != len(src):
                    self.src_mask = self._generate_square_subsequent_mask(len(src))
            else:
                self.src_mask = None
            src = self.input_emb(src) * math.sqrt(self.ninp)
            src = self.pos_encoder(src)
            output = self.transformer_encoder(src, self.src_mask)
            output = self.decoder(output)
            return F.log_softmax(output, dim=-1)

    return TransformerModel()


def repackage_hidden(h, lib):
    if isinstance(h, lib.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v, lib) for v in h)


def word_language_model(lib, shared, state, build, corpus, epochs=2, bptt=7, bsz=4):
    torch, nn = lib, lib.nn
    model = load(lib, build(lib), state)
    criterion = nn.NLLLoss()
    data = torch.from_numpy(corpus)
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz).view(bsz, -1).t().contiguous()
    lr, losses, is_transformer = 2.0, [], hasattr(model, "model_type")
    for epoch in range(epochs):
        model.train()
        if not is_transformer:
            hidden = model.init_hidden(bsz)
        for i in range(0, data.size(0) - 1, bptt):
            seq_len = min(bptt, len(data) - 1 - i)
            source, targets = data[i:i + seq_len], data[i + 1:i + 1 + seq_len].view(-1)
            model.zero_grad()
            if is_transformer:
                output = model(source).view(-1, model.decoder.out_features)
            else:
                hidden = repackage_hidden(hidden, lib)
                output, hidden = model(source, hidden)
            loss = criterion(output, targets)
            loss.backward()
            norm = nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-lr)
            losses += [loss.item(), norm.item()]
        lr /= 4.0
    return losses, model


@pytest.mark.parametrize("rnn_type", ["LSTM", "GRU", "RNN_TANH", "RNN_RELU"])
def test_word_language_model_rnns_tied_weights_clip_and_repackage(rnn_type):
    corpus = np.random.default_rng(0).integers(0, 30, size=120)
    build = lambda lib: rnn_model(lib, rnn_type)  # noqa: E731
    compare(word_language_model, state=initial_state(build), build=build, corpus=corpus)


def test_word_language_model_transformer():
    corpus = np.random.default_rng(0).integers(0, 30, size=120)
    compare(word_language_model, state=initial_state(transformer_model),
            build=transformer_model, corpus=corpus)


# ---------------------------------------------------------------- dcgan

def dcgan_models(lib, nz=8, ngf=8, ndf=8, nc=3):
    nn = lib.nn

    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            self.main = nn.Sequential(
                nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False),
                nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
                nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
                nn.ConvTranspose2d(ngf * 2, nc, 4, 2, 1, bias=False),
                nn.Tanh())

        def forward(self, input):
            return self.main(input)

    class Discriminator(nn.Module):
        def __init__(self):
            super().__init__()
            self.main = nn.Sequential(
                nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False),
                nn.Sigmoid())

        def forward(self, input):
            return self.main(input).view(-1, 1).squeeze(1)

    def weights_init(m):
        classname = m.__class__.__name__
        if classname.find("Conv") != -1:
            lib.nn.init.normal_(m.weight, 0.0, 0.02)
        elif classname.find("BatchNorm") != -1:
            lib.nn.init.normal_(m.weight, 1.0, 0.02)
            lib.nn.init.zeros_(m.bias)

    netG, netD = Generator(), Discriminator()
    netG.apply(weights_init)
    netD.apply(weights_init)
    return nn.ModuleDict({"G": netG, "D": netD})


def dcgan(lib, shared, state, real, noise):
    torch, nn = lib, lib.nn
    nets = load(lib, dcgan_models(lib), state)
    netG, netD = nets["G"], nets["D"]
    criterion = nn.BCELoss()
    fixed_noise = torch.from_numpy(noise[0])
    real_label, fake_label = 1, 0
    optimizerD = lib.optim.Adam(netD.parameters(), lr=2e-3, betas=(0.5, 0.999))
    optimizerG = lib.optim.Adam(netG.parameters(), lr=2e-3, betas=(0.5, 0.999))
    losses = []
    for i in range(len(real)):
        netD.zero_grad()
        real_cpu = torch.from_numpy(real[i])
        batch_size = real_cpu.size(0)
        label = torch.full((batch_size,), real_label, dtype=real_cpu.dtype)
        output = netD(real_cpu)
        errD_real = criterion(output, label)
        errD_real.backward()
        D_x = output.mean().item()
        fake = netG(torch.from_numpy(noise[i + 1]))
        label.fill_(fake_label)
        output = netD(fake.detach())
        errD_fake = criterion(output, label)
        errD_fake.backward()
        D_G_z1 = output.mean().item()
        errD = errD_real + errD_fake
        optimizerD.step()
        netG.zero_grad()
        label.fill_(real_label)
        output = netD(fake)
        errG = criterion(output, label)
        errG.backward()
        D_G_z2 = output.mean().item()
        optimizerG.step()
        losses += [errD.item(), errG.item(), D_x, D_G_z1, D_G_z2]
    netG.eval()
    with torch.no_grad():
        losses += netG(fixed_noise).numpy().ravel()[:20].tolist()
    return losses, nets


@pytest.mark.parametrize("dtype,steps", [("float64", 4), ("float32", 2)])
def test_dcgan_convtranspose_batchnorm_bce_two_optimizers(dtype, steps):
    """In float32 only two steps, and weights within 2.5 learning rates: Adam's first steps move
    each weight by about ``lr * sign(grad)``, and the generator's convolutions feeding BatchNorm
    have near-zero gradients (BatchNorm cancels their scale) whose float32 rounding flips that
    sign; the losses' differences grow ~100x a step (1e-4 at the third). In float64 everything
    agrees to 1e-14 after four steps."""
    rng = np.random.default_rng(0)
    real = np.tanh(rng.standard_normal((steps, 6, 3, 16, 16))).astype(dtype)
    noise = rng.standard_normal((steps + 1, 6, 8, 1, 1)).astype(dtype)
    state = {k: v.astype(dtype) if v.dtype.kind == "f" else v
             for k, v in initial_state(dcgan_models).items()}
    compare(dcgan, dtype, default_dtype=dtype, state=state, real=real, noise=noise,
            param_tol=dict(rtol=0, atol=5e-3) if dtype == "float32" else None)


# ---------------------------------------------------------------- siamese network

def siamese_model(lib):
    nn = lib.nn

    class SiameseNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.cnn = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(inplace=True),
                                     nn.MaxPool2d(2, stride=2), nn.Flatten(),
                                     nn.Linear(4 * 3 * 3, 16), nn.ReLU(inplace=True),
                                     nn.Linear(16, 5))

        def forward_once(self, x):
            return self.cnn(x)

        def forward(self, input1, input2, input3=None):
            out = (self.forward_once(input1), self.forward_once(input2))
            return out if input3 is None else out + (self.forward_once(input3),)

    return SiameseNetwork()


def siamese(lib, shared, state, a, b, c, same):
    torch, F = lib, lib.nn.functional
    net = load(lib, siamese_model(lib), state)
    triplet = lib.nn.TripletMarginLoss(margin=1.0, p=2)
    optimizer = lib.optim.RMSprop(net.parameters(), lr=1e-3, alpha=0.99, momentum=0.9)
    margin, losses = 2.0, []
    for i in range(len(a)):
        x1, x2, x3 = (torch.from_numpy(v[i]) for v in (a, b, c))
        label = torch.from_numpy(same[i])
        o1, o2, o3 = net(x1, x2, x3)
        d = F.pairwise_distance(o1, o2, keepdim=True)
        contrastive = torch.mean((1 - label) * torch.pow(d, 2)
                                 + label * torch.pow(torch.clamp(margin - d, min=0.0), 2))
        loss = contrastive + triplet(o1, o2, o3)
        loss += F.cosine_embedding_loss(o1, o3, 2 * label.squeeze(1) - 1, margin=0.1)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses += [contrastive.item(), loss.item()]
    return losses, net


def test_siamese_contrastive_and_triplet_losses():
    rng = np.random.default_rng(0)
    a, b, c = (rng.standard_normal((5, 6, 1, 8, 8)).astype("float32") for _ in range(3))
    same = rng.integers(0, 2, size=(5, 6, 1)).astype("float32")
    compare(siamese, state=initial_state(siamese_model), a=a, b=b, c=c, same=same)


# ---------------------------------------------------------------- Learning PyTorch with examples

def polynomial_nn(lib, shared, steps=300):
    """The tutorial's nn.Sequential polynomial fit, with manual updates under no_grad."""
    torch = lib
    x = torch.linspace(-math.pi, math.pi, 200)
    y = torch.sin(x)
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    model.load_state_dict({"0.weight": torch.tensor([[0.1, -0.2, 0.05]]),
                           "0.bias": torch.tensor([0.3])})
    loss_fn = torch.nn.MSELoss(reduction="sum")
    learning_rate, losses = 1e-6, []
    for t in range(steps):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        losses.append(loss.item())
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= learning_rate * param.grad
    return losses, model


def test_learning_pytorch_polynomial_nn_flatten():
    compare(polynomial_nn)


def legendre(lib, shared, steps=300):
    """The tutorial's custom autograd.Function LegendrePolynomial3."""
    torch = lib

    class LegendrePolynomial3(torch.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    dtype = torch.float
    x = torch.linspace(-math.pi, math.pi, 200, dtype=dtype)
    y = torch.sin(x)
    a = torch.full((), 0.0, dtype=dtype, requires_grad=True)
    b = torch.full((), -1.0, dtype=dtype, requires_grad=True)
    c = torch.full((), 0.0, dtype=dtype, requires_grad=True)
    d = torch.full((), 0.3, dtype=dtype, requires_grad=True)
    learning_rate, losses = 5e-6, []
    for t in range(steps):
        P3 = LegendrePolynomial3.apply
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            for v in (a, b, c, d):
                v -= learning_rate * v.grad
                v.grad = None
    return losses, {"a": a, "b": b, "c": c, "d": d}


def test_learning_pytorch_legendre_custom_function():
    compare(legendre)


# ---------------------------------------------------------------- PINN

def pinn_model(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(),
                         nn.Linear(16, 1)).double()


def pinn(lib, shared, state, steps=30):
    """Solve u'' = -pi^2 sin(pi x), u(0) = u(1) = 0, from the residual's autograd second
    derivative (autograd.grad with create_graph twice)."""
    torch = lib
    net = load(lib, pinn_model(lib), state)
    optimizer = lib.optim.Adam(net.parameters(), lr=1e-2)
    x = torch.linspace(0, 1, 25, dtype=torch.float64).unsqueeze(1).requires_grad_(True)
    xb = torch.tensor([[0.0], [1.0]], dtype=torch.float64)
    losses = []
    for step in range(steps):
        optimizer.zero_grad()
        u = net(x)
        u_x = torch.autograd.grad(u, x, grad_outputs=torch.ones_like(u), create_graph=True)[0]
        u_xx = torch.autograd.grad(u_x, x, grad_outputs=torch.ones_like(u_x),
                                   create_graph=True)[0]
        residual = u_xx + math.pi ** 2 * torch.sin(math.pi * x)
        loss = residual.pow(2).mean() + net(xb).pow(2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses, net


def test_pinn_second_derivative_with_create_graph():
    compare(pinn, "float64", state=initial_state(pinn_model))


# ---------------------------------------------------------------- per-sample gradients

def per_sample_model(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))


def per_sample_grads(lib, shared, state, data, targets):
    """torch.func: vmap(grad(loss)) over functional_call, against a loop of per-sample
    backward passes; then a DP-SGD-style clipped mean of the per-sample gradients."""
    torch, F = lib, lib.nn.functional
    from_func = lib.func
    model = load(lib, per_sample_model(lib), state)
    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = {k: v.detach() for k, v in model.named_buffers()}

    def compute_loss(params, buffers, sample, target):
        batch, targets = sample.unsqueeze(0), target.unsqueeze(0)
        predictions = from_func.functional_call(model, (params, buffers), (batch,))
        return F.cross_entropy(predictions, targets)

    ft_compute_sample_grad = from_func.vmap(from_func.grad(compute_loss),
                                            in_dims=(None, None, 0, 0))
    x, y = torch.from_numpy(data), torch.from_numpy(targets)
    ft = ft_compute_sample_grad(params, buffers, x, y)
    losses = []
    for i in range(len(data)):
        model.zero_grad()
        F.cross_entropy(model(x[i:i + 1]), y[i:i + 1]).backward()
        for k, p in model.named_parameters():
            np.testing.assert_allclose(ft[k][i].numpy(), p.grad.numpy(), rtol=1e-5, atol=1e-6)
    norms = torch.sqrt(sum(g.flatten(1).pow(2).sum(1) for g in ft.values()))
    scale = torch.clamp(1.0 / (norms + 1e-6), max=1.0)
    final = {k: params[k] - 0.1 * (g * scale.view(-1, *[1] * (g.dim() - 1))).mean(0)
             for k, g in ft.items()}
    losses += norms.tolist()
    return losses, final


def test_per_sample_gradients_vmap_grad_functional_call():
    rng = np.random.default_rng(0)
    data = rng.standard_normal((10, 6)).astype("float32")
    targets = rng.integers(0, 3, size=10)
    compare(per_sample_grads, state=initial_state(per_sample_model), data=data, targets=targets)


# ---------------------------------------------------------------- WGAN-GP

def wgan_models(lib):
    nn = lib.nn
    return nn.ModuleDict({
        "G": nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2)),
        "D": nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 16),
                           nn.LeakyReLU(0.2), nn.Linear(16, 1))})


def wgan_gp(lib, shared, state, real, noise, alphas, lambda_gp=10.0, n_critic=2):
    torch, autograd = lib, lib.autograd
    nets = load(lib, wgan_models(lib), state)
    G, D = nets["G"], nets["D"]
    optimizer_G = lib.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.9))
    optimizer_D = lib.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.9))

    def compute_gradient_penalty(D, real_samples, fake_samples, alpha):
        interpolates = (alpha * real_samples + ((1 - alpha) * fake_samples)).requires_grad_(True)
        d_interpolates = D(interpolates)
        fake = torch.ones(real_samples.shape[0], 1, requires_grad=False)
        gradients = autograd.grad(outputs=d_interpolates, inputs=interpolates,
                                  grad_outputs=fake, create_graph=True, retain_graph=True,
                                  only_inputs=True)[0]
        gradients = gradients.view(gradients.size(0), -1)
        return ((gradients.norm(2, dim=1) - 1) ** 2).mean()

    losses = []
    for i in range(len(real)):
        real_imgs = torch.from_numpy(real[i])
        optimizer_D.zero_grad()
        z = torch.from_numpy(noise[i])
        fake_imgs = G(z)
        gradient_penalty = compute_gradient_penalty(D, real_imgs.data, fake_imgs.data,
                                                    torch.from_numpy(alphas[i]))
        d_loss = -torch.mean(D(real_imgs)) + torch.mean(D(fake_imgs)) \
            + lambda_gp * gradient_penalty
        d_loss.backward()
        optimizer_D.step()
        optimizer_G.zero_grad()
        losses += [d_loss.item(), gradient_penalty.item()]
        if i % n_critic == 0:
            fake_imgs = G(z)
            g_loss = -torch.mean(D(fake_imgs))
            g_loss.backward()
            optimizer_G.step()
            losses.append(g_loss.item())
    return losses, nets


def test_wgan_gp_gradient_penalty_create_graph():
    rng = np.random.default_rng(0)
    real = (rng.standard_normal((8, 16, 2)) * 0.5 + [2.0, -1.0]).astype("float32")
    noise = rng.standard_normal((8, 16, 4)).astype("float32")
    alphas = rng.random((8, 16, 1)).astype("float32")
    compare(wgan_gp, state=initial_state(wgan_models), real=real, noise=noise, alphas=alphas)


# ---------------------------------------------------------------- mnist (Adadelta, StepLR)

def mnist_model(lib):
    nn, F = lib.nn, lib.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 4, 3, 1)
            self.conv2 = nn.Conv2d(4, 8, 3, 1)
            self.dropout1 = nn.Dropout(0.0)
            self.fc1 = nn.Linear(8 * 4 * 4, 16)
            self.fc2 = nn.Linear(16, 10)

        def forward(self, x):
            x = F.relu(self.conv1(x))
            x = F.relu(self.conv2(x))
            x = F.max_pool2d(x, 2)
            x = self.dropout1(x)
            x = lib.flatten(x, 1)
            x = F.relu(self.fc1(x))
            return F.log_softmax(self.fc2(x), dim=1)

    return Net()


def mnist(lib, shared, state, data, target, epochs=3):
    torch, F = lib, lib.nn.functional
    model = load(lib, mnist_model(lib), state)
    optimizer = lib.optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = lib.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    losses = []
    for epoch in range(1, epochs + 1):
        model.train()
        for batch_idx in range(len(data) - 1):
            x, y = torch.from_numpy(data[batch_idx]), torch.from_numpy(target[batch_idx])
            optimizer.zero_grad()
            loss = F.nll_loss(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        model.eval()
        test_loss, correct = 0, 0
        with torch.no_grad():
            x, y = torch.from_numpy(data[-1]), torch.from_numpy(target[-1])
            output = model(x)
            test_loss += F.nll_loss(output, y, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(y.view_as(pred)).sum().item()
        losses += [test_loss, correct, scheduler.get_last_lr()[0]]
        scheduler.step()
    return losses, model


def test_mnist_adadelta_steplr():
    rng = np.random.default_rng(0)
    data = rng.standard_normal((4, 16, 1, 12, 12)).astype("float32")
    target = rng.integers(0, 10, size=(4, 16))
    compare(mnist, state=initial_state(mnist_model), data=data, target=target)


def mnist_rnn_model(lib):
    nn, F = lib.nn, lib.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(input_size=12, hidden_size=16, batch_first=True)
            self.batchnorm = nn.BatchNorm1d(16)
            self.fc1 = nn.Linear(16, 10)

        def forward(self, input):
            input = input.reshape(-1, 12, 12)
            output, hidden = self.rnn(input)
            output = output[:, -1, :]
            output = self.batchnorm(output)
            return F.log_softmax(self.fc1(F.relu(output)), dim=1)

    return Net()


def mnist_rnn(lib, shared, state, data, target):
    model = load(lib, mnist_rnn_model(lib), state)
    optimizer = lib.optim.Adadelta(model.parameters(), lr=0.1)
    scheduler = lib.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.7)
    losses = []
    for i in range(len(data)):
        optimizer.zero_grad()
        loss = lib.nn.functional.nll_loss(model(lib.from_numpy(data[i])),
                                          lib.from_numpy(target[i]))
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    return losses, model


def test_mnist_rnn_lstm_batch_first_batchnorm1d():
    rng = np.random.default_rng(0)
    data = rng.standard_normal((4, 16, 1, 12, 12)).astype("float32")
    target = rng.integers(0, 10, size=(4, 16))
    compare(mnist_rnn, state=initial_state(mnist_rnn_model), data=data, target=target)


# ---------------------------------------------------------------- regression

def regression(lib, shared, W_target, b_target, xs, steps=40):
    """pytorch/examples regression: fit a polynomial's coefficients, manual updates on .data."""
    torch, F = lib, lib.nn.functional
    POLY_DEGREE = 4
    W_target, b_target = torch.from_numpy(W_target), torch.from_numpy(b_target)

    def make_features(x):
        x = x.unsqueeze(1)
        return torch.cat([x ** i for i in range(1, POLY_DEGREE + 1)], 1)

    def f(x):
        return x.mm(W_target) + b_target.item()

    fc = torch.nn.Linear(W_target.size(0), 1)
    fc.load_state_dict({"weight": torch.zeros(1, 4) + 0.1, "bias": torch.zeros(1)})
    losses = []
    for batch_idx in range(steps):
        x = make_features(torch.from_numpy(xs[batch_idx]))
        batch_x, batch_y = x, f(x)
        fc.zero_grad()
        output = F.smooth_l1_loss(fc(batch_x), batch_y)
        loss = output.item()
        output.backward()
        for param in fc.parameters():
            param.data.add_(-0.1 * param.grad)
        losses.append(loss)
    return losses, fc


def test_regression_polynomial_smooth_l1_data_updates():
    rng = np.random.default_rng(0)
    compare(regression, W_target=(rng.standard_normal((4, 1)) * 5).astype("float32"),
            b_target=(rng.standard_normal(1) * 5).astype("float32"),
            xs=rng.standard_normal((40, 32)).astype("float32"))


# ---------------------------------------------------------------- super_resolution

def super_resolution_model(lib, upscale_factor=2):
    nn, init = lib.nn, lib.nn.init

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.relu = nn.ReLU()
            self.conv1 = nn.Conv2d(1, 16, (5, 5), (1, 1), (2, 2))
            self.conv2 = nn.Conv2d(16, 16, (3, 3), (1, 1), (1, 1))
            self.conv3 = nn.Conv2d(16, 8, (3, 3), (1, 1), (1, 1))
            self.conv4 = nn.Conv2d(8, upscale_factor ** 2, (3, 3), (1, 1), (1, 1))
            self.pixel_shuffle = nn.PixelShuffle(upscale_factor)
            self._initialize_weights()

        def forward(self, x):
            x = self.relu(self.conv1(x))
            x = self.relu(self.conv2(x))
            x = self.relu(self.conv3(x))
            return self.pixel_shuffle(self.conv4(x))

        def _initialize_weights(self):
            init.orthogonal_(self.conv1.weight, init.calculate_gain("relu"))
            init.orthogonal_(self.conv2.weight, init.calculate_gain("relu"))
            init.orthogonal_(self.conv3.weight, init.calculate_gain("relu"))
            init.orthogonal_(self.conv4.weight)

    return Net()


def super_resolution(lib, shared, state, low, high):
    torch = lib
    model = load(lib, super_resolution_model(lib), state)
    criterion = torch.nn.MSELoss()
    optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for i in range(len(low)):
        optimizer.zero_grad()
        loss = criterion(model(torch.from_numpy(low[i])), torch.from_numpy(high[i]))
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            mse = criterion(model(torch.from_numpy(low[i])), torch.from_numpy(high[i]))
            losses.append(10 * math.log10(1 / mse.item()))
    return losses, model


def test_super_resolution_pixel_shuffle_orthogonal_init():
    rng = np.random.default_rng(0)
    high = rng.random((4, 4, 1, 12, 12)).astype("float32")
    low = high.reshape(4, 4, 1, 6, 2, 6, 2).mean((4, 6))
    compare(super_resolution, state=initial_state(super_resolution_model), low=low, high=high)


# ---------------------------------------------------------------- fast_neural_style

def style_model(lib):
    nn = lib.nn

    class ConvLayer(nn.Module):
        def __init__(self, in_channels, out_channels, kernel_size, stride):
            super().__init__()
            self.reflection_pad = nn.ReflectionPad2d(kernel_size // 2)
            self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size, stride)

        def forward(self, x):
            return self.conv2d(self.reflection_pad(x))

    class ResidualBlock(nn.Module):
        def __init__(self, channels):
            super().__init__()
            self.conv1 = ConvLayer(channels, channels, kernel_size=3, stride=1)
            self.in1 = nn.InstanceNorm2d(channels, affine=True)
            self.conv2 = ConvLayer(channels, channels, kernel_size=3, stride=1)
            self.in2 = nn.InstanceNorm2d(channels, affine=True)
            self.relu = nn.ReLU()

        def forward(self, x):
            residual = x
            out = self.relu(self.in1(self.conv1(x)))
            out = self.in2(self.conv2(out))
            return out + residual

    class UpsampleConvLayer(nn.Module):
        def __init__(self, in_channels, out_channels, kernel_size, stride, upsample=None):
            super().__init__()
            self.upsample = upsample
            self.reflection_pad = nn.ReflectionPad2d(kernel_size // 2)
            self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size, stride)

        def forward(self, x):
            if self.upsample:
                x = lib.nn.functional.interpolate(x, mode="nearest", scale_factor=self.upsample)
            return self.conv2d(self.reflection_pad(x))

    class TransformerNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = ConvLayer(3, 8, kernel_size=5, stride=1)
            self.in1 = nn.InstanceNorm2d(8, affine=True)
            self.conv2 = ConvLayer(8, 16, kernel_size=3, stride=2)
            self.in2 = nn.InstanceNorm2d(16, affine=True)
            self.res1 = ResidualBlock(16)
            self.deconv1 = UpsampleConvLayer(16, 8, kernel_size=3, stride=1, upsample=2)
            self.in4 = nn.InstanceNorm2d(8, affine=True)
            self.deconv3 = ConvLayer(8, 3, kernel_size=5, stride=1)
            self.relu = nn.ReLU()

        def forward(self, X):
            y = self.relu(self.in1(self.conv1(X)))
            y = self.relu(self.in2(self.conv2(y)))
            y = self.res1(y)
            y = self.relu(self.in4(self.deconv1(y)))
            return self.deconv3(y)

    features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(inplace=True),
                             nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(inplace=True),
                             nn.MaxPool2d(2, 2), nn.Conv2d(8, 16, 3, padding=1),
                             nn.ReLU(inplace=True))
    return nn.ModuleDict({"net": TransformerNet(), "vgg": features})


def fast_neural_style(lib, shared, state, images, style, content_weight=1e5, style_weight=1e10):
    torch = lib
    models = load(lib, style_model(lib), state)
    transformer, vgg = models["net"], models["vgg"]
    for p in vgg.parameters():
        p.requires_grad_(False)
    optimizer = lib.optim.Adam(transformer.parameters(), 1e-3)
    mse_loss = torch.nn.MSELoss()

    def gram_matrix(y):
        (b, ch, h, w) = y.size()
        features = y.view(b, ch, w * h)
        features_t = features.transpose(1, 2)
        return features.bmm(features_t) / (ch * h * w)

    def normalize_batch(batch):
        mean = batch.new_tensor([0.485, 0.456, 0.406]).view(-1, 1, 1)
        std = batch.new_tensor([0.229, 0.224, 0.225]).view(-1, 1, 1)
        batch = batch.div_(255.0)
        return (batch - mean) / std

    def vgg_features(x):  # relu1_2 and relu2_1
        out, feats = x, []
        for i, layer in enumerate(vgg):
            out = layer(out)
            if i in (3, 6):
                feats.append(out)
        return feats

    style = torch.from_numpy(style).repeat(images.shape[1], 1, 1, 1)
    gram_style = [gram_matrix(y) for y in vgg_features(normalize_batch(style))]
    losses = []
    transformer.train()
    for i in range(len(images)):
        x = torch.from_numpy(images[i])
        n_batch = len(x)
        optimizer.zero_grad()
        y = transformer(x)
        y = normalize_batch(y)
        x = normalize_batch(x)
        features_y, features_x = vgg_features(y), vgg_features(x)
        content_loss = content_weight * mse_loss(features_y[1], features_x[1])
        style_loss = 0.0
        for ft_y, gm_s in zip(features_y, gram_style):
            gm_y = gram_matrix(ft_y)
            style_loss += mse_loss(gm_y, gm_s[:n_batch, :, :])
        style_loss *= style_weight
        total_loss = content_loss + style_loss
        total_loss.backward()
        optimizer.step()
        losses += [content_loss.item(), style_loss.item()]
    return losses, models


def test_fast_neural_style_instance_norm_reflection_pad_gram():
    """In float64: the biases before InstanceNorm (per-channel constants it removes) get
    gradients that are zero but for rounding, and Adam turns float32 rounding noise (1e-9, near
    its eps) into steps of a tenth of the learning rate, different in each library; in float64
    (with the losses' weights of 1e10) that noise still moves those biases by up to 3e-7, so
    they are not compared (the rest agree to 1e-9)."""
    rng = np.random.default_rng(0)
    images = rng.random((3, 2, 3, 16, 16)) * 255
    style = rng.random((1, 3, 16, 16)) * 255
    state = {k: v.astype("float64") for k, v in initial_state(style_model).items()}
    compare(fast_neural_style, "float64", default_dtype="float64", state=state, images=images,
            style=style, ignore=dict.fromkeys(
                ["net.conv1.conv2d.bias", "net.conv2.conv2d.bias", "net.res1.conv1.conv2d.bias",
                 "net.res1.conv2.conv2d.bias", "net.deconv1.conv2d.bias", "net.in2.bias",
                 "net.res1.in2.bias"], slice(None)))


# ---------------------------------------------------------------- word_language_model generate

def generate(lib, shared, state, words=12, temperature=0.8):
    """generate.py: sample words with torch.multinomial (PyTorch's draws replayed in ours)."""
    torch = lib
    model = load(lib, rnn_model(lib, "LSTM"), state)
    model.eval()
    hidden = model.init_hidden(1)
    input = torch.tensor([[3]], dtype=torch.long)
    out = []
    with torch.no_grad():
        for i in range(words):
            output, hidden = model(input, hidden)
            word_weights = output.squeeze().div(temperature).exp().cpu()
            if lib.__name__ == "torch":
                word_idx = torch.multinomial(word_weights, 1)[0]
                shared.setdefault("words", []).append(int(word_idx))
            else:
                word_idx = shared["words"][i]
            input.fill_(word_idx)
            out += word_weights[:5].tolist()
    return out, model


def test_word_language_model_generate_multinomial():
    compare(generate, state=initial_state(lambda lib: rnn_model(lib, "LSTM")))


# ---------------------------------------------------------------- forward_forward

def ff_model(lib):
    nn = lib.nn

    class Layer(nn.Linear):
        def __init__(self, in_features, out_features):
            super().__init__(in_features, out_features)
            self.relu = nn.ReLU()
            self.threshold = 2.0

        def forward(self, x):
            x_direction = x / (x.norm(2, 1, keepdim=True) + 1e-4)
            return self.relu(lib.mm(x_direction, self.weight.T) + self.bias.unsqueeze(0))

    class Net(nn.Module):
        def __init__(self, dims):
            super().__init__()
            self.layers = nn.ModuleList([Layer(dims[d], dims[d + 1])
                                         for d in range(len(dims) - 1)])

    return Net([20, 16, 16])


def forward_forward(lib, shared, state, x, y, num_epochs=15):
    torch = lib
    net = load(lib, ff_model(lib), state)
    x, y = torch.from_numpy(x), torch.from_numpy(y)

    def overlay_y_on_x(x, y):
        x_ = x.clone()
        x_[:, :4] *= 0.0
        x_[range(x.shape[0]), y] = x.max()
        return x_

    x_pos = overlay_y_on_x(x, y)
    x_neg = overlay_y_on_x(x, (y + 1) % 4)
    losses = []
    h_pos, h_neg = x_pos, x_neg
    for layer in net.layers:
        opt = lib.optim.Adam(layer.parameters(), lr=0.03)
        for i in range(num_epochs):
            g_pos = layer.forward(h_pos).pow(2).mean(1)
            g_neg = layer.forward(h_neg).pow(2).mean(1)
            loss = torch.log(1 + torch.exp(torch.cat([-g_pos + layer.threshold,
                                                      g_neg - layer.threshold]))).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        h_pos, h_neg = layer.forward(h_pos).detach(), layer.forward(h_neg).detach()
    goodness_per_label = []
    for label in range(4):
        h = overlay_y_on_x(x, torch.full((x.shape[0],), label, dtype=torch.long))
        goodness = []
        for layer in net.layers:
            h = layer(h)
            goodness += [h.pow(2).mean(1)]
        goodness_per_label += [sum(goodness).unsqueeze(1)]
    losses += torch.cat(goodness_per_label, 1).argmax(1).tolist()
    return losses, net


def test_forward_forward_layerwise_training():
    rng = np.random.default_rng(0)
    compare(forward_forward, state=initial_state(ff_model),
            x=rng.random((32, 20)).astype("float32"), y=rng.integers(0, 4, size=32))


# ---------------------------------------------------------------- spatial transformer tutorial

def stn_model(lib):
    nn, F = lib.nn, lib.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 4, kernel_size=3)
            self.fc1 = nn.Linear(4 * 5 * 5, 10)
            self.localization = nn.Sequential(nn.Conv2d(1, 4, kernel_size=3), nn.MaxPool2d(2, 2),
                                              nn.ReLU(True))
            self.fc_loc = nn.Sequential(nn.Linear(4 * 5 * 5, 8), nn.ReLU(True), nn.Linear(8, 6))
            self.fc_loc[2].weight.data.zero_()
            self.fc_loc[2].bias.data.copy_(lib.tensor([1, 0, 0, 0, 1, 0], dtype=lib.float))

        def stn(self, x):
            xs = self.localization(x)
            xs = xs.view(-1, 4 * 5 * 5)
            theta = self.fc_loc(xs).view(-1, 2, 3)
            grid = F.affine_grid(theta, x.size(), align_corners=False)
            return F.grid_sample(x, grid, align_corners=False)

        def forward(self, x):
            x = self.stn(x)
            x = F.relu(F.max_pool2d(self.conv1(x), 2))
            x = x.view(-1, 4 * 5 * 5)
            return F.log_softmax(self.fc1(x), dim=1)

    return Net()


def spatial_transformer(lib, shared, state, data, target):
    model = load(lib, stn_model(lib), state)
    optimizer = lib.optim.SGD(model.parameters(), lr=0.05)
    losses = []
    for i in range(len(data)):
        optimizer.zero_grad()
        loss = lib.nn.functional.nll_loss(model(lib.from_numpy(data[i])),
                                          lib.from_numpy(target[i]))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses, model


def test_spatial_transformer_affine_grid_grid_sample():
    rng = np.random.default_rng(0)
    data = rng.standard_normal((4, 8, 1, 12, 12)).astype("float32")
    target = rng.integers(0, 10, size=(4, 8))
    state = initial_state(stn_model)
    state["fc_loc.2.weight"] = rng.standard_normal((6, 8)).astype("float32") * 0.1
    compare(spatial_transformer, state=state, data=data, target=target)


# ---------------------------------------------------------------- text classification tutorial

def text_model(lib, vocab_size=40, embed_dim=8, num_class=4):
    nn = lib.nn

    class TextClassificationModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, sparse=False)
            self.fc = nn.Linear(embed_dim, num_class)
            self.init_weights()

        def init_weights(self):
            initrange = 0.5
            self.embedding.weight.data.uniform_(-initrange, initrange)
            self.fc.weight.data.uniform_(-initrange, initrange)
            self.fc.bias.data.zero_()

        def forward(self, text, offsets):
            return self.fc(self.embedding(text, offsets))

    return TextClassificationModel()


def text_classification(lib, shared, state, batches, epochs=3):
    torch = lib
    model = load(lib, text_model(lib), state)
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=5)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.1)
    total_accu, losses = None, []

    def collate_batch(batch):
        label_list, text_list, offsets = [], [], [0]
        for _label, _text in batch:
            label_list.append(_label)
            processed_text = torch.tensor(_text, dtype=torch.int64)
            text_list.append(processed_text)
            offsets.append(processed_text.size(0))
        label_list = torch.tensor(label_list, dtype=torch.int64)
        offsets = torch.tensor(offsets[:-1]).cumsum(dim=0)
        return label_list, torch.cat(text_list), offsets

    for epoch in range(epochs):
        model.train()
        for batch in batches[:-1]:
            label, text, offsets = collate_batch(batch)
            optimizer.zero_grad()
            predicted_label = model(text, offsets)
            loss = criterion(predicted_label, label)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
            optimizer.step()
            losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            label, text, offsets = collate_batch(batches[-1])
            predicted_label = model(text, offsets)
            accu_val = (predicted_label.argmax(1) == label).sum().item() / label.size(0)
        if total_accu is not None and total_accu > accu_val:
            scheduler.step()
        else:
            total_accu = accu_val
        losses += [accu_val, optimizer.param_groups[0]["lr"]]
    return losses, model


def test_text_classification_embedding_bag_offsets():
    rng = np.random.default_rng(0)
    batches = [[(int(rng.integers(0, 4)), rng.integers(0, 40, size=rng.integers(1, 9)).tolist())
                for _ in range(8)] for _ in range(5)]
    compare(text_classification, state=initial_state(text_model), batches=batches)


# ---------------------------------------------------------------- packed sequences

def packed_model(lib):
    nn = lib.nn

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(20, 6, padding_idx=0)
            self.lstm = nn.LSTM(6, 8, num_layers=2, bidirectional=True, batch_first=True)
            self.fc = nn.Linear(16, 3)

        def forward(self, text, lengths):
            embedded = self.embedding(text)
            packed = nn.utils.rnn.pack_padded_sequence(embedded, lengths, batch_first=True,
                                                       enforce_sorted=False)
            packed_output, (hidden, cell) = self.lstm(packed)
            output, output_lengths = nn.utils.rnn.pad_packed_sequence(packed_output,
                                                                      batch_first=True)
            hidden = lib.cat((hidden[-2, :, :], hidden[-1, :, :]), dim=1)
            return self.fc(hidden), output, output_lengths

    return Classifier()


def packed_sequences(lib, shared, state, seqs, labels):
    torch = lib
    model = load(lib, packed_model(lib), state)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for batch, label in zip(seqs, labels):
        tensors = [torch.tensor(s) for s in batch]
        lengths = torch.tensor([len(s) for s in batch])
        text = torch.nn.utils.rnn.pad_sequence(tensors, batch_first=True, padding_value=0)
        optimizer.zero_grad()
        logits, output, output_lengths = model(text, lengths)
        loss = torch.nn.functional.cross_entropy(logits, torch.tensor(label))
        loss = loss + 0.01 * output.pow(2).sum()
        loss.backward()
        optimizer.step()
        losses += [loss.item()] + output_lengths.tolist() + list(output.shape)
    return losses, model


def test_lstm_pack_padded_sequence_bidirectional():
    rng = np.random.default_rng(0)
    seqs = [[rng.integers(1, 20, size=rng.integers(1, 7)).tolist() for _ in range(5)]
            for _ in range(4)]
    labels = [rng.integers(0, 3, size=5).tolist() for _ in range(4)]
    compare(packed_sequences, state=initial_state(packed_model), seqs=seqs, labels=labels)


# ---------------------------------------------------------------- seq2seq with attention

def seq2seq_models(lib, vocab=12, hidden=10):
    nn, F = lib.nn, lib.nn.functional

    class EncoderRNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(vocab, hidden)
            self.gru = nn.GRU(hidden, hidden, batch_first=True)

        def forward(self, input):
            return self.gru(self.embedding(input))

    class BahdanauAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.Wa = nn.Linear(hidden, hidden)
            self.Ua = nn.Linear(hidden, hidden)
            self.Va = nn.Linear(hidden, 1)

        def forward(self, query, keys):
            scores = self.Va(lib.tanh(self.Wa(query) + self.Ua(keys)))
            scores = scores.squeeze(2).unsqueeze(1)
            weights = F.softmax(scores, dim=-1)
            return lib.bmm(weights, keys), weights

    class AttnDecoderRNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(vocab, hidden)
            self.attention = BahdanauAttention()
            self.gru = nn.GRU(2 * hidden, hidden, batch_first=True)
            self.out = nn.Linear(hidden, vocab)

        def forward(self, encoder_outputs, encoder_hidden, target_tensor=None, max_len=6):
            batch_size = encoder_outputs.size(0)
            decoder_input = lib.empty(batch_size, 1, dtype=lib.long).fill_(0)
            decoder_hidden, decoder_outputs, attentions = encoder_hidden, [], []
            for i in range(max_len):
                embedded = self.embedding(decoder_input)
                query = decoder_hidden.permute(1, 0, 2)
                context, attn_weights = self.attention(query, encoder_outputs)
                input_gru = lib.cat((embedded, context), dim=2)
                output, decoder_hidden = self.gru(input_gru, decoder_hidden)
                decoder_output = self.out(output)
                decoder_outputs.append(decoder_output)
                attentions.append(attn_weights)
                if target_tensor is not None:
                    decoder_input = target_tensor[:, i].unsqueeze(1)  # teacher forcing
                else:
                    _, topi = decoder_output.topk(1)
                    decoder_input = topi.squeeze(-1).detach()
            decoder_outputs = F.log_softmax(lib.cat(decoder_outputs, dim=1), dim=-1)
            return decoder_outputs, decoder_hidden, lib.cat(attentions, dim=1)

    return nn.ModuleDict({"encoder": EncoderRNN(), "decoder": AttnDecoderRNN()})


def seq2seq(lib, shared, state, inputs, targets):
    torch = lib
    models = load(lib, seq2seq_models(lib), state)
    encoder, decoder = models["encoder"], models["decoder"]
    encoder_optimizer = torch.optim.Adam(encoder.parameters(), lr=1e-2)
    decoder_optimizer = torch.optim.Adam(decoder.parameters(), lr=1e-2)
    criterion = torch.nn.NLLLoss()
    losses = []
    for input_tensor, target_tensor in zip(inputs, targets):
        input_tensor, target_tensor = torch.from_numpy(input_tensor), torch.from_numpy(
            target_tensor)
        encoder_optimizer.zero_grad()
        decoder_optimizer.zero_grad()
        encoder_outputs, encoder_hidden = encoder(input_tensor)
        decoder_outputs, _, _ = decoder(encoder_outputs, encoder_hidden, target_tensor)
        loss = criterion(decoder_outputs.view(-1, decoder_outputs.size(-1)),
                         target_tensor.view(-1))
        loss.backward()
        encoder_optimizer.step()
        decoder_optimizer.step()
        losses.append(loss.item())
    with torch.no_grad():
        encoder_outputs, encoder_hidden = encoder(torch.from_numpy(inputs[0]))
        decoder_outputs, _, attn = decoder(encoder_outputs, encoder_hidden)
        _, topi = decoder_outputs.topk(1)
        losses += topi.flatten().tolist() + attn.flatten().tolist()
    return losses, models


def test_seq2seq_gru_bahdanau_attention_teacher_forcing():
    rng = np.random.default_rng(0)
    inputs = rng.integers(1, 12, size=(6, 4, 7))
    targets = rng.integers(1, 12, size=(6, 4, 6))
    compare(seq2seq, state=initial_state(seq2seq_models), inputs=inputs, targets=targets,
            ignore={"decoder.attention.Va.bias": slice(None)})  # softmax's shift


# ---------------------------------------------------------------- language_translation

def translation_model(lib, vocab=15, d_model=16):
    nn = lib.nn

    class Translator(nn.Module):
        def __init__(self):
            super().__init__()
            self.src_embedding = nn.Embedding(vocab, d_model)
            self.tgt_embedding = nn.Embedding(vocab, d_model)
            self.transformer = nn.Transformer(d_model=d_model, nhead=2, num_encoder_layers=2,
                                              num_decoder_layers=2, dim_feedforward=32,
                                              dropout=0.0, batch_first=True)
            self.ff = nn.Linear(d_model, vocab)

        def forward(self, src, trg, src_mask, tgt_mask, src_padding_mask, tgt_padding_mask,
                    memory_key_padding_mask):
            src_emb = self.src_embedding(src) * math.sqrt(d_model)
            tgt_emb = self.tgt_embedding(trg) * math.sqrt(d_model)
            outs = self.transformer(src_emb, tgt_emb, src_mask, tgt_mask, None,
                                    src_padding_mask, tgt_padding_mask, memory_key_padding_mask)
            return self.ff(outs)

    return Translator()


def language_translation(lib, shared, state, srcs, tgts, PAD=0):
    torch = lib
    model = load(lib, translation_model(lib), state)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.98), eps=1e-9)
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=PAD, label_smoothing=0.1)

    def create_mask(src, tgt):
        src_seq_len, tgt_seq_len = src.shape[1], tgt.shape[1]
        tgt_mask = torch.nn.Transformer.generate_square_subsequent_mask(tgt_seq_len)
        src_mask = torch.zeros((src_seq_len, src_seq_len)).type(torch.bool)
        return src_mask, tgt_mask, (src == PAD), (tgt == PAD)

    losses = []
    model.train()
    for src, tgt in zip(srcs, tgts):
        src, tgt = torch.from_numpy(src), torch.from_numpy(tgt)
        tgt_input = tgt[:, :-1]
        src_mask, tgt_mask, src_padding_mask, tgt_padding_mask = create_mask(src, tgt_input)
        logits = model(src, tgt_input, src_mask, tgt_mask, src_padding_mask, tgt_padding_mask,
                       src_padding_mask)
        optimizer.zero_grad()
        tgt_out = tgt[:, 1:]
        loss = loss_fn(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses, model


def test_language_translation_transformer_padding_masks_label_smoothing():
    rng = np.random.default_rng(0)
    srcs = rng.integers(1, 15, size=(4, 3, 7))
    tgts = rng.integers(1, 15, size=(4, 3, 6))
    srcs[:, 0, 5:] = 0  # padding at the ends
    tgts[:, 1, 4:] = 0
    key_biases = {f"transformer.{stack}.layers.{i}.{attn}.in_proj_bias": slice(16, 32)
                  for stack, attns in (("encoder", ["self_attn"]),
                                       ("decoder", ["self_attn", "multihead_attn"]))
                  for i in range(2) for attn in attns}  # softmax's shift: zero gradient
    compare(language_translation, state=initial_state(translation_model), srcs=srcs, tgts=tgts,
            ignore=key_biases)


# ---------------------------------------------------------------- gcn / gat

def gcn_model(lib, nfeat=10, nhid=8, nclass=3, sparse=False):
    nn, F = lib.nn, lib.nn.functional

    class GraphConv(nn.Module):
        def __init__(self, input_dim, output_dim, use_bias=False):
            super().__init__()
            self.kernel = nn.Parameter(lib.empty(input_dim, output_dim))
            nn.init.xavier_normal_(self.kernel)
            self.bias = nn.Parameter(lib.zeros(output_dim)) if use_bias else None

        def forward(self, input_tensor, adj_mat):
            support = lib.mm(input_tensor, self.kernel)
            output = lib.sparse.mm(adj_mat, support) if sparse else lib.mm(adj_mat, support)
            return output + self.bias if self.bias is not None else output

    class GCN(nn.Module):
        def __init__(self):
            super().__init__()
            self.gc1 = GraphConv(nfeat, nhid, use_bias=True)
            self.gc2 = GraphConv(nhid, nclass, use_bias=True)
            self.dropout = nn.Dropout(0.0)

        def forward(self, input_tensor, adj_mat):
            x = F.relu(self.gc1(input_tensor, adj_mat))
            x = self.dropout(x)
            return F.log_softmax(self.gc2(x, adj_mat), dim=1)

    return GCN()


def normalized_adjacency(n=12, seed=0):
    rng = np.random.default_rng(seed)
    a = (rng.random((n, n)) < 0.25).astype("float32")
    a = np.maximum(a, a.T) + np.eye(n, dtype="float32")
    d = a.sum(1) ** -0.5
    return (a * d[:, None] * d[None, :]).astype("float32")


def gcn(lib, shared, state, features, adj, labels, sparse=False, epochs=20):
    torch, F = lib, lib.nn.functional
    model = load(lib, gcn_model(lib, sparse=sparse), state)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    features, labels = torch.from_numpy(features), torch.from_numpy(labels)
    adj = torch.from_numpy(adj)
    if sparse:
        idx = adj.nonzero().t()
        adj = torch.sparse_coo_tensor(idx, adj[idx[0], idx[1]], adj.shape,
                                      check_invariants=True)
        assert adj.is_sparse
    idx_train, idx_val = torch.arange(0, 8), torch.arange(8, 12)
    losses = []
    for epoch in range(epochs):
        model.train()
        optimizer.zero_grad()
        output = model(features, adj)
        loss = F.nll_loss(output[idx_train], labels[idx_train])
        loss.backward()
        optimizer.step()
        model.eval()
        with torch.no_grad():
            output = model(features, adj)
            val = F.nll_loss(output[idx_val], labels[idx_val])
            acc = output[idx_val].max(1)[1].eq(labels[idx_val]).double().mean()
        losses += [loss.item(), val.item(), acc.item()]
    return losses, model


def gcn_data():
    rng = np.random.default_rng(0)
    return dict(features=rng.random((12, 10)).astype("float32"), adj=normalized_adjacency(),
                labels=rng.integers(0, 3, size=12))


def test_gcn_dense_adjacency():
    compare(gcn, state=initial_state(gcn_model), **gcn_data())


def test_gcn_sparse_adjacency():
    compare(gcn, state=initial_state(gcn_model), sparse=True, **gcn_data())


def gat_model(lib, in_features=10, n_hidden=8, n_heads=2, num_classes=3):
    nn, F = lib.nn, lib.nn.functional

    class GraphAttentionLayer(nn.Module):
        def __init__(self, in_features, out_features, n_heads, concat=False, leaky_relu_slope=0.2):
            super().__init__()
            self.n_heads, self.concat = n_heads, concat
            self.n_hidden = out_features // n_heads if concat else out_features
            self.W = nn.Parameter(lib.empty(size=(in_features, self.n_hidden * n_heads)))
            self.a = nn.Parameter(lib.empty(size=(n_heads, 2 * self.n_hidden, 1)))
            self.leakyrelu = nn.LeakyReLU(leaky_relu_slope)
            self.softmax = nn.Softmax(dim=1)
            nn.init.xavier_normal_(self.W)
            nn.init.xavier_normal_(self.a)

        def _get_attention_scores(self, h_transformed):
            source_scores = lib.matmul(h_transformed, self.a[:, :self.n_hidden, :])
            target_scores = lib.matmul(h_transformed, self.a[:, self.n_hidden:, :])
            e = source_scores + target_scores.mT
            return self.leakyrelu(e)

        def forward(self, h, adj_mat):
            n_nodes = h.shape[0]
            h_transformed = lib.mm(h, self.W)
            h_transformed = h_transformed.view(n_nodes, self.n_heads, self.n_hidden).permute(
                1, 0, 2)
            e = self._get_attention_scores(h_transformed)
            connectivity_mask = -9e16 * lib.ones_like(e)
            e = lib.where(adj_mat > 0, e, connectivity_mask)
            attention = F.softmax(e, dim=-1)
            h_prime = lib.matmul(attention, h_transformed)
            if self.concat:
                return h_prime.permute(1, 0, 2).contiguous().view(n_nodes, -1)
            return h_prime.mean(dim=0)

    class GAT(nn.Module):
        def __init__(self):
            super().__init__()
            self.gat1 = GraphAttentionLayer(in_features, n_hidden, n_heads, concat=True)
            self.gat2 = GraphAttentionLayer(n_hidden, num_classes, 1, concat=False)

        def forward(self, input_tensor, adj_mat):
            x = F.elu(self.gat1(input_tensor, adj_mat))
            return F.log_softmax(self.gat2(x, adj_mat), dim=1)

    return GAT()


def gat(lib, shared, state, features, adj, labels, epochs=20):
    torch, F = lib, lib.nn.functional
    model = load(lib, gat_model(lib), state)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.005, weight_decay=5e-4)
    features, labels, adj = (torch.from_numpy(v) for v in (features, labels, adj))
    idx_train = torch.arange(0, 8)
    losses = []
    for epoch in range(epochs):
        model.train()
        optimizer.zero_grad()
        y_hat = model(features, adj)
        loss = F.nll_loss(y_hat[idx_train], labels[idx_train])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses, model


def test_gat_masked_multihead_attention():
    compare(gat, state=initial_state(gat_model), **gcn_data())


# ---------------------------------------------------------------- transfer learning pattern

def finetune_model(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(),
                         nn.AdaptiveAvgPool2d((2, 2)), nn.Flatten(), nn.Linear(24, 5))


def transfer_learning(lib, shared, state, data, target, epochs=3):
    """Freeze the backbone, replace the head, two parameter groups, ReduceLROnPlateau,
    best weights kept with copy.deepcopy(state_dict) and loaded back."""
    torch, nn = lib, lib.nn
    model = load(lib, finetune_model(lib), state)
    for param in model.parameters():
        param.requires_grad = False
    model[1].weight.requires_grad_(True)
    model[1].bias.requires_grad_(True)
    num_ftrs = model[5].in_features
    model[5] = nn.Linear(num_ftrs, 3)
    model[5].load_state_dict({"weight": torch.from_numpy(shared["head_w"]),
                              "bias": torch.from_numpy(shared["head_b"])})
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD([{"params": model[5].parameters()},
                                 {"params": model[1].parameters(), "lr": 1e-3}],
                                lr=0.05, momentum=0.9, nesterov=True)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.5,
                                                           patience=0)
    best_model_wts, best_loss, losses = copy.deepcopy(model.state_dict()), float("inf"), []
    for epoch in range(epochs):
        model.train()
        running_loss, running_corrects = 0.0, 0
        for x, y in zip(data[:-1], target[:-1]):
            inputs, labels = torch.from_numpy(x), torch.from_numpy(y)
            optimizer.zero_grad()
            with torch.set_grad_enabled(True):
                outputs = model(inputs)
                _, preds = torch.max(outputs, 1)
                loss = criterion(outputs, labels)
                loss.backward()
                optimizer.step()
            running_loss += loss.item() * inputs.size(0)
            running_corrects += torch.sum(preds == labels.data)
        model.eval()
        with torch.no_grad():
            val = criterion(model(torch.from_numpy(data[-1])), torch.from_numpy(target[-1]))
        scheduler.step(val)
        if val.item() < best_loss:
            best_loss, best_model_wts = val.item(), copy.deepcopy(model.state_dict())
        losses += [running_loss, running_corrects.item(), val.item(),
                   optimizer.param_groups[0]["lr"], optimizer.param_groups[1]["lr"]]
    model.load_state_dict(best_model_wts)
    return losses, model


def test_transfer_learning_frozen_backbone_param_groups_plateau():
    rng = np.random.default_rng(0)
    data = rng.standard_normal((4, 8, 3, 6, 6)).astype("float32")
    target = rng.integers(0, 3, size=(4, 8))
    with_head = dict(head_w=(rng.standard_normal((3, 24)) * 0.2).astype("float32"),
                     head_b=np.zeros(3, "float32"))

    def program(lib, shared, **kw):
        shared.update(with_head)
        return transfer_learning(lib, shared, **kw)
    compare(program, state=initial_state(finetune_model), data=data, target=target)


# ---------------------------------------------------------------- knowledge distillation

def distill_models(lib):
    nn = lib.nn
    return nn.ModuleDict({"teacher": nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 4)),
                          "student": nn.Sequential(nn.Linear(8, 6), nn.ReLU(), nn.Linear(6, 4))})


def distillation(lib, shared, state, data, target, T=2.0, soft_target_loss_weight=0.25):
    torch, nn, F = lib, lib.nn, lib.nn.functional
    models = load(lib, distill_models(lib), state)
    teacher, student = models["teacher"], models["student"]
    ce_loss = nn.CrossEntropyLoss()
    optimizer = torch.optim.AdamW(student.parameters(), lr=1e-2)
    teacher.eval()
    student.train()
    losses = []
    for x, y in zip(data, target):
        inputs, labels = torch.from_numpy(x), torch.from_numpy(y)
        optimizer.zero_grad()
        with torch.no_grad():
            teacher_logits = teacher(inputs)
        student_logits = student(inputs)
        soft_targets = F.softmax(teacher_logits / T, dim=-1)
        soft_prob = F.log_softmax(student_logits / T, dim=-1)
        soft_targets_loss = torch.sum(soft_targets * (soft_targets.log() - soft_prob)) \
            / soft_prob.size()[0] * (T ** 2)
        kl = F.kl_div(soft_prob, soft_targets, reduction="batchmean") * T ** 2
        label_loss = ce_loss(student_logits, labels)
        loss = soft_target_loss_weight * soft_targets_loss + (1 - soft_target_loss_weight) \
            * label_loss + 0.1 * kl
        loss.backward()
        optimizer.step()
        losses += [loss.item(), kl.item()]
    return losses, models


def test_knowledge_distillation_soft_targets_kl_div():
    rng = np.random.default_rng(0)
    compare(distillation, state=initial_state(distill_models),
            data=rng.standard_normal((10, 16, 8)).astype("float32"),
            target=rng.integers(0, 4, size=(10, 16)))


# ---------------------------------------------------------------- checkpoint and resume

def resume(lib, shared, state, data, target, tmp):
    """Train, torch.save model+optimizer+scheduler state, load into fresh objects, continue:
    must equal training straight through."""
    torch = lib
    out = {}
    for interrupted in (False, True):
        model = load(lib, mnist_rnn_model(lib), state)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, amsgrad=True)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=6)
        losses = []
        for i in range(len(data)):
            if interrupted and i == 3:
                path = f"{tmp}/{lib.__name__}.pt"
                torch.save({"epoch": i, "model_state_dict": model.state_dict(),
                            "optimizer_state_dict": optimizer.state_dict(),
                            "scheduler": scheduler.state_dict(), "loss": losses}, path)
                model = mnist_rnn_model(lib)
                optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, amsgrad=True)
                scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=6)
                checkpoint = torch.load(path, weights_only=True)
                model.load_state_dict(checkpoint["model_state_dict"])
                optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
                scheduler.load_state_dict(checkpoint["scheduler"])
                losses = checkpoint["loss"]
                assert checkpoint["epoch"] == 3
            model.train()
            optimizer.zero_grad()
            loss = torch.nn.functional.nll_loss(model(torch.from_numpy(data[i])),
                                                torch.from_numpy(target[i]))
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses += [loss.item(), scheduler.get_last_lr()[0]]
        out[interrupted] = (losses, model)
    straight, resumed = out[False], out[True]
    assert straight[0] == resumed[0]
    for (k, a), (_, b) in zip(straight[1].state_dict().items(), resumed[1].state_dict().items()):
        np.testing.assert_array_equal(numpy_of(a), numpy_of(b), err_msg=k)
    return resumed


def test_checkpoint_resume_save_load_optimizer_and_scheduler(tmp_path):
    rng = np.random.default_rng(0)
    data = rng.standard_normal((6, 16, 1, 12, 12)).astype("float32")
    target = rng.integers(0, 10, size=(6, 16))
    compare(resume, state=initial_state(mnist_rnn_model), data=data, target=target,
            tmp=str(tmp_path))


# ---------------------------------------------------------------- DataLoader and accumulation

def loader_training(lib, shared, state, x, y, accumulation_steps=2):
    """TensorDataset + DataLoader (no shuffle, drop_last), gradient accumulation, OneCycleLR,
    AdamW, and a mean over an epoch kept as a running tensor."""
    torch = lib
    from_data = lib.utils.data
    model = load(lib, per_sample_model(lib), state)
    dataset = from_data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    loader = from_data.DataLoader(dataset, batch_size=6, shuffle=False, drop_last=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.05)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.05, epochs=3,
                                                    steps_per_epoch=len(loader)
                                                    // accumulation_steps)
    losses = []
    for epoch in range(3):
        total = torch.zeros(())
        for i, (inputs, labels) in enumerate(loader):
            loss = torch.nn.functional.cross_entropy(model(inputs), labels) / accumulation_steps
            loss.backward()
            total += loss.detach()
            if (i + 1) % accumulation_steps == 0:
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
        losses += [total.item(), scheduler.get_last_lr()[0], len(loader)]
    return losses, model


def test_dataloader_gradient_accumulation_onecycle():
    rng = np.random.default_rng(0)
    compare(loader_training, state=initial_state(per_sample_model),
            x=rng.standard_normal((50, 6)).astype("float32"), y=rng.integers(0, 3, size=50))


# ---------------------------------------------------------------- DQN tutorial

def dqn_model(lib, n_observations=4, n_actions=2):
    nn, F = lib.nn, lib.nn.functional

    class DQN(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer1 = nn.Linear(n_observations, 32)
            self.layer2 = nn.Linear(32, 32)
            self.layer3 = nn.Linear(32, n_actions)

        def forward(self, x):
            x = F.relu(self.layer1(x))
            x = F.relu(self.layer2(x))
            return self.layer3(x)

    return DQN()


def dqn(lib, shared, state, episodes=4, BATCH_SIZE=16, GAMMA=0.99, TAU=0.005):
    """The reinforcement-learning (DQN) tutorial: replay memory sampled with Python's random
    (seeded the same for both), epsilon-greedy, target network soft updates through the
    state_dicts, gather, boolean-mask assignment, SmoothL1Loss, AdamW(amsgrad) and
    clip_grad_value_."""
    import random
    from collections import deque
    torch, nn = lib, lib.nn
    Transition = namedtuple("Transition", ("state", "action", "next_state", "reward"))
    rnd = random.Random(0)
    memory = deque([], maxlen=1000)
    policy_net = load(lib, dqn_model(lib), state)
    target_net = dqn_model(lib)
    target_net.load_state_dict(policy_net.state_dict())
    optimizer = torch.optim.AdamW(policy_net.parameters(), lr=1e-3, amsgrad=True)
    steps_done, losses = 0, []

    def select_action(s):
        nonlocal steps_done
        eps_threshold = 0.05 + (0.9 - 0.05) * math.exp(-1.0 * steps_done / 100)
        steps_done += 1
        if rnd.random() > eps_threshold:
            with torch.no_grad():
                return policy_net(s).max(1).indices.view(1, 1)
        return torch.tensor([[rnd.randrange(2)]], dtype=torch.long)

    def optimize_model():
        if len(memory) < BATCH_SIZE:
            return
        transitions = rnd.sample(memory, BATCH_SIZE)
        batch = Transition(*zip(*transitions))
        non_final_mask = torch.tensor(tuple(map(lambda s: s is not None, batch.next_state)),
                                      dtype=torch.bool)
        non_final_next_states = torch.cat([s for s in batch.next_state if s is not None])
        state_batch = torch.cat(batch.state)
        action_batch = torch.cat(batch.action)
        reward_batch = torch.cat(batch.reward)
        state_action_values = policy_net(state_batch).gather(1, action_batch)
        next_state_values = torch.zeros(BATCH_SIZE)
        with torch.no_grad():
            next_state_values[non_final_mask] = target_net(non_final_next_states).max(1).values
        expected_state_action_values = (next_state_values * GAMMA) + reward_batch
        criterion = nn.SmoothL1Loss()
        loss = criterion(state_action_values, expected_state_action_values.unsqueeze(1))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_value_(policy_net.parameters(), 100)
        optimizer.step()
        losses.append(loss.item())

    env = CartPole(3)
    for i_episode in range(episodes):
        s = torch.tensor(env.reset(), dtype=torch.float32).unsqueeze(0)
        for t in range(40):
            action = select_action(s)
            observation, reward, terminated = env.step(action.item())
            reward = torch.tensor([reward])
            next_state = None if terminated else torch.tensor(
                observation, dtype=torch.float32).unsqueeze(0)
            memory.append(Transition(s, action, next_state, reward))
            s = next_state
            optimize_model()
            target_net_state_dict = target_net.state_dict()
            policy_net_state_dict = policy_net.state_dict()
            for key in policy_net_state_dict:
                target_net_state_dict[key] = policy_net_state_dict[key] * TAU \
                    + target_net_state_dict[key] * (1 - TAU)
            target_net.load_state_dict(target_net_state_dict)
            if terminated:
                break
        losses.append(t)
    return losses, nn.ModuleDict({"policy": policy_net, "target": target_net})


def test_dqn_replay_memory_target_network_soft_update():
    compare(dqn, state=initial_state(dqn_model))


# ---------------------------------------------------------------- neural style transfer (Gatys)

def nst_cnn(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(), nn.Conv2d(6, 6, 3, padding=1),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 8, 3, padding=1), nn.ReLU())


def neural_style_transfer(lib, shared, state, content, style, num_steps=3):
    """The neural-transfer tutorial: loss modules inserted into a rebuilt nn.Sequential, the
    input image optimized by LBFGS, clamped in place under no_grad inside the closure."""
    torch, nn, F = lib, lib.nn, lib.nn.functional
    cnn = load(lib, nst_cnn(lib), state).eval()
    content_img, style_img = torch.from_numpy(content), torch.from_numpy(style)

    class ContentLoss(nn.Module):
        def __init__(self, target):
            super().__init__()
            self.target = target.detach()

        def forward(self, input):
            self.loss = F.mse_loss(input, self.target)
            return input

    def gram_matrix(input):
        a, b, c, d = input.size()
        features = input.view(a * b, c * d)
        G = torch.mm(features, features.t())
        return G.div(a * b * c * d)

    class StyleLoss(nn.Module):
        def __init__(self, target_feature):
            super().__init__()
            self.target = gram_matrix(target_feature).detach()

        def forward(self, input):
            self.loss = F.mse_loss(gram_matrix(input), self.target)
            return input

    class Normalization(nn.Module):
        def __init__(self, mean, std):
            super().__init__()
            self.mean = torch.tensor(mean).view(-1, 1, 1)
            self.std = torch.tensor(std).view(-1, 1, 1)

        def forward(self, img):
            return (img - self.mean) / self.std

    normalization = Normalization([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    content_losses, style_losses = [], []
    model = nn.Sequential(normalization)
    i = 0
    for layer in cnn.children():
        if isinstance(layer, nn.Conv2d):
            i += 1
            name = "conv_{}".format(i)
        elif isinstance(layer, nn.ReLU):
            name = "relu_{}".format(i)
            layer = nn.ReLU(inplace=False)
        elif isinstance(layer, nn.MaxPool2d):
            name = "pool_{}".format(i)
        model.add_module(name, layer)
        if name == "conv_2":
            target = model(content_img).detach()
            content_loss = ContentLoss(target)
            model.add_module("content_loss_{}".format(i), content_loss)
            content_losses.append(content_loss)
        if name in ("conv_1", "conv_2", "conv_3"):
            target_feature = model(style_img).detach()
            style_loss = StyleLoss(target_feature)
            model.add_module("style_loss_{}".format(i), style_loss)
            style_losses.append(style_loss)
    input_img = content_img.clone()
    input_img.requires_grad_(True)
    model.eval()
    model.requires_grad_(False)
    optimizer = torch.optim.LBFGS([input_img])
    run, losses = [0], []
    while run[0] <= num_steps:
        def closure():
            with torch.no_grad():
                input_img.clamp_(0, 1)
            optimizer.zero_grad()
            model(input_img)
            style_score = sum(sl.loss for sl in style_losses) * 1e5
            content_score = sum(cl.loss for cl in content_losses)
            loss = style_score + content_score
            loss.backward()
            run[0] += 1
            losses.append(loss.item())
            return style_score + content_score
        optimizer.step(closure)
    with torch.no_grad():
        input_img.clamp_(0, 1)
    return losses, {"input_img": input_img}


def test_neural_style_transfer_lbfgs_on_the_image():
    rng = np.random.default_rng(0)
    content = rng.random((1, 3, 12, 12))
    style = rng.random((1, 3, 12, 12))
    state = {k: v.astype("float64") for k, v in initial_state(nst_cnn).items()}
    compare(neural_style_transfer, "float64", default_dtype="float64", state=state,
            content=content, style=style)


# ---------------------------------------------------------------- LBFGS strong Wolfe

def rosenbrock_fit(lib, shared, x0, steps=5):
    torch = lib
    x = torch.tensor(x0, requires_grad=True)
    optimizer = torch.optim.LBFGS([x], lr=1, max_iter=20, history_size=7,
                                  line_search_fn="strong_wolfe")
    losses = []

    def closure():
        optimizer.zero_grad()
        loss = ((1 - x[0::2]) ** 2 + 100 * (x[1::2] - x[0::2] ** 2) ** 2).sum()
        loss.backward()
        losses.append(loss.item())
        return loss

    for _ in range(steps):
        optimizer.step(closure)
    return losses, {"x": x}


def test_lbfgs_strong_wolfe_rosenbrock():
    """Two steps (40 evaluations, agreeing to 3e-11): on Rosenbrock's valley the two runs'
    float64 rounding grows steadily, to 1e-7 by the 60th evaluation and 3e-2 by the 100th,
    with the same number of evaluations in each step."""
    compare(rosenbrock_fit, "float64", x0=np.array([-1.2, 1.0, 0.5, -0.3, 2.0, 1.5]), steps=2)


# ---------------------------------------------------------------- PPO with a Gaussian policy

def ppo_model(lib):
    nn = lib.nn

    class ActorCritic(nn.Module):
        def __init__(self):
            super().__init__()
            self.actor = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 1))
            self.critic = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 1))
            self.log_std = nn.Parameter(lib.zeros(1) - 0.5)

    return ActorCritic()


def ppo(lib, shared, state, obs, actions, advantages, returns, epochs=4, clip=0.2):
    torch = lib
    Normal = lib.distributions.Normal
    model = load(lib, ppo_model(lib), state)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    obs, actions = torch.from_numpy(obs), torch.from_numpy(actions)
    advantages, returns = torch.from_numpy(advantages), torch.from_numpy(returns)
    with torch.no_grad():
        old_log_probs = Normal(model.actor(obs), model.log_std.exp()).log_prob(actions).sum(-1)
    losses = []
    for _ in range(epochs):
        dist = Normal(model.actor(obs), model.log_std.exp())
        log_probs = dist.log_prob(actions).sum(-1)
        ratio = torch.exp(log_probs - old_log_probs)
        surr1 = ratio * advantages
        surr2 = torch.clamp(ratio, 1 - clip, 1 + clip) * advantages
        value_loss = (model.critic(obs).squeeze(-1) - returns).pow(2).mean()
        loss = -torch.min(surr1, surr2).mean() + 0.5 * value_loss \
            - 0.01 * dist.entropy().mean()
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        optimizer.step()
        losses.append(loss.item())
    return losses, model


def test_ppo_normal_policy_clipped_surrogate():
    rng = np.random.default_rng(0)
    compare(ppo, state=initial_state(ppo_model),
            obs=rng.standard_normal((32, 3)).astype("float32"),
            actions=rng.standard_normal((32, 1)).astype("float32"),
            advantages=rng.standard_normal(32).astype("float32"),
            returns=rng.standard_normal(32).astype("float32"))


# ---------------------------------------------------------------- Hogwild with two workers

def test_mnist_hogwild_two_workers_both_train_the_shared_model():
    """Two processes train one shared model (not comparable step for step: their updates
    interleave), and the parent's model ends up trained: its loss on the data fell."""
    rng = np.random.default_rng(0)
    data = rng.standard_normal((6, 8, 1, 10, 10)).astype("float32")
    target = (data.mean((2, 3, 4)) > 0).astype("int64")
    model = hogwild_model(tg)
    model.share_memory()

    def loss():
        with tg.no_grad():
            return sum(tg.nn.functional.nll_loss(model(tg.from_numpy(x)), tg.from_numpy(y)).item()
                       for x, y in zip(data, target))

    before = loss()
    ctx = tg.multiprocessing.get_context("fork")
    processes = [ctx.Process(target=hogwild_ours_train, args=(model, data, target))
                 for _ in range(2)]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    assert [p.exitcode for p in processes] == [0, 0]
    assert loss() < before


# ---------------------------------------------------------------- ResNet on CIFAR-like data

def resnet_model(lib, num_classes=4):
    nn, F = lib.nn, lib.nn.functional

    class BasicBlock(nn.Module):
        expansion = 1

        def __init__(self, in_planes, planes, stride=1):
            super().__init__()
            self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.shortcut = nn.Sequential()
            if stride != 1 or in_planes != planes:
                self.shortcut = nn.Sequential(
                    nn.Conv2d(in_planes, planes, kernel_size=1, stride=stride, bias=False),
                    nn.BatchNorm2d(planes))

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            out += self.shortcut(x)
            return F.relu(out)

    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 8, 3, stride=1, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(8)
            self.layer1 = BasicBlock(8, 8)
            self.layer2 = BasicBlock(8, 16, stride=2)
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.linear = nn.Linear(16, num_classes)
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.layer2(self.layer1(out))
            out = self.avgpool(out)
            return self.linear(lib.flatten(out, 1))

    return ResNet()


def resnet(lib, shared, state, data, target, lams, perms, epochs=2):
    """SGD (momentum, nesterov, weight decay on all but norms and biases), MultiStepLR, label
    smoothing, mixup with pre-drawn lambdas and permutations, eval accuracy."""
    torch, nn = lib, lib.nn
    model = load(lib, resnet_model(lib), state)
    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
    optimizer = torch.optim.SGD([{"params": decay, "weight_decay": 5e-4},
                                 {"params": no_decay, "weight_decay": 0.0}],
                                lr=0.1, momentum=0.9, nesterov=True)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[1], gamma=0.1)
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    losses, step = [], 0
    for epoch in range(epochs):
        model.train()
        for x, y in zip(data[:-1], target[:-1]):
            inputs, targets = torch.from_numpy(x), torch.from_numpy(y)
            lam, index = float(lams[step]), torch.from_numpy(perms[step])
            mixed = lam * inputs + (1 - lam) * inputs[index, :]
            outputs = model(mixed)
            loss = lam * criterion(outputs, targets) + (1 - lam) * criterion(outputs,
                                                                             targets[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            step += 1
        scheduler.step()
        model.eval()
        with torch.no_grad():
            outputs = model(torch.from_numpy(data[-1]))
            _, predicted = outputs.max(1)
            correct = predicted.eq(torch.from_numpy(target[-1])).sum().item()
        losses += [correct, scheduler.get_last_lr()[0]]
    return losses, model


def test_resnet_mixup_nesterov_multistep_label_smoothing():
    rng = np.random.default_rng(0)
    data = rng.standard_normal((4, 8, 3, 8, 8)).astype("float32")
    target = rng.integers(0, 4, size=(4, 8))
    lams = rng.beta(1.0, 1.0, size=6)
    perms = np.stack([rng.permutation(8) for _ in range(6)])
    compare(resnet, state=initial_state(resnet_model), data=data, target=target, lams=lams,
            perms=perms)


# ---------------------------------------------------------------- Grad-CAM with hooks

def gradcam(lib, shared, state, images):
    """Grad-CAM: a forward hook keeps the last block's activations, a tensor hook registered
    in it keeps their gradient; the map is upsampled bilinearly. Also a full backward hook."""
    torch, F = lib, lib.nn.functional
    model = load(lib, resnet_model(lib), state).eval()
    store, grads_in = {}, []

    def forward_hook(module, inputs, output):
        store["act"] = output
        output.register_hook(lambda g: store.__setitem__("grad", g))

    def backward_hook(module, grad_input, grad_output):
        grads_in.append(grad_output[0].sum().item())

    handle = model.layer2.register_forward_hook(forward_hook)
    handle_b = model.linear.register_full_backward_hook(backward_hook)
    x = torch.from_numpy(images).requires_grad_(True)
    logits = model(x)
    class_idx = logits.argmax(dim=1)
    score = logits.gather(1, class_idx.unsqueeze(1)).sum()
    model.zero_grad()
    score.backward()
    weights = store["grad"].mean(dim=(2, 3), keepdim=True)
    cam = F.relu((weights * store["act"]).sum(dim=1, keepdim=True))
    cam = F.interpolate(cam, size=images.shape[2:], mode="bilinear", align_corners=False)
    cam = cam - cam.amin(dim=(2, 3), keepdim=True)
    cam = cam / (cam.amax(dim=(2, 3), keepdim=True) + 1e-8)
    handle.remove()
    handle_b.remove()
    model(x)  # hooks removed: nothing more stored
    return [score.item()] + grads_in + class_idx.tolist(), {"cam": cam.detach(),
                                                             "input_grad": x.grad}


def test_gradcam_forward_hook_tensor_hook_backward_hook():
    rng = np.random.default_rng(0)
    compare(gradcam, state=initial_state(resnet_model),
            images=rng.standard_normal((3, 3, 8, 8)).astype("float32"))


# ---------------------------------------------------------------- SNGAN (spectral_norm)

def sngan_models(lib):
    nn = lib.nn
    SN = nn.utils.spectral_norm
    return nn.ModuleDict({
        "G": nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2)),
        "D": nn.Sequential(SN(nn.Linear(2, 16)), nn.LeakyReLU(0.1), SN(nn.Linear(16, 1)))})


def sngan(lib, shared, state, real, noise):
    """Hinge-loss GAN with spectral normalization (its power-iteration vectors u, v are in the
    state_dict, so both start from the same ones)."""
    torch, F = lib, lib.nn.functional
    nets = load(lib, sngan_models(lib), state)
    G, D = nets["G"], nets["D"]
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.0, 0.9))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.0, 0.9))
    losses = []
    for x, z in zip(real, noise):
        x, z = torch.from_numpy(x), torch.from_numpy(z)
        fake = G(z)
        d_loss = F.relu(1.0 - D(x)).mean() + F.relu(1.0 + D(fake.detach())).mean()
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        g_loss = -D(G(z)).mean()
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        losses += [d_loss.item(), g_loss.item()]
    D.eval()
    with torch.no_grad():
        losses += D(torch.from_numpy(real[0])).flatten().tolist()
    return losses, nets


def test_sngan_spectral_norm_hinge_loss():
    rng = np.random.default_rng(0)
    real = (rng.standard_normal((6, 16, 2)) + [1.0, -2.0]).astype("float32")
    noise = rng.standard_normal((6, 16, 4)).astype("float32")
    compare(sngan, state=initial_state(sngan_models), real=real, noise=noise)


# ---------------------------------------------------------------- Vision Transformer

def vit_model(lib, image_size=8, patch=4, dim=16, depth=2, heads=2, classes=3):
    nn = lib.nn

    class ViT(nn.Module):
        def __init__(self):
            super().__init__()
            n = (image_size // patch) ** 2
            self.patch_embed = nn.Conv2d(3, dim, kernel_size=patch, stride=patch)
            self.cls_token = nn.Parameter(lib.zeros(1, 1, dim))
            self.pos_embedding = nn.Parameter(lib.randn(1, n + 1, dim) * 0.02)
            layer = nn.TransformerEncoderLayer(dim, heads, dim * 2, dropout=0.0,
                                               activation="gelu", batch_first=True,
                                               norm_first=True)
            self.transformer = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(dim)
            self.head = nn.Linear(dim, classes)

        def forward(self, img):
            x = self.patch_embed(img).flatten(2).transpose(1, 2)
            cls = self.cls_token.expand(x.shape[0], -1, -1)
            x = lib.cat((cls, x), dim=1) + self.pos_embedding
            x = self.transformer(x)
            return self.head(self.norm(x[:, 0]))

    return ViT()


def vit(lib, shared, state, data, target, warmup=2, total=6):
    torch = lib
    model = load(lib, vit_model(lib), state)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: (s + 1) / warmup if s < warmup
        else 0.5 * (1 + math.cos(math.pi * (s - warmup) / (total - warmup))))
    losses = []
    for x, y in zip(data, target):
        loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses += [loss.item(), scheduler.get_last_lr()[0]]
    return losses, model


def test_vision_transformer_norm_first_gelu_warmup_cosine():
    rng = np.random.default_rng(0)
    data = rng.standard_normal((6, 8, 3, 8, 8)).astype("float32")
    target = rng.integers(0, 3, size=(6, 8))
    compare(vit, state=initial_state(vit_model), data=data, target=target)


# ---------------------------------------------------------------- char-RNN generation

def char_rnn_model(lib, n_chars=10, hidden=12):
    nn = lib.nn

    class CharRNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(n_chars, 8)
            self.cell = nn.GRUCell(8, hidden)
            self.i2o = nn.Linear(hidden + 8, n_chars)
            self.softmax = nn.LogSoftmax(dim=1)

        def forward(self, input, hidden):
            emb = self.embed(input)
            hidden = self.cell(emb, hidden)
            return self.softmax(self.i2o(lib.cat((hidden, emb), 1))), hidden

    return CharRNN()


def char_rnn(lib, shared, state, words, max_length=8):
    torch = lib
    rnn = load(lib, char_rnn_model(lib), state)
    criterion = torch.nn.NLLLoss()
    losses = []
    for word in words:
        input_line = torch.tensor(word[:-1]).unsqueeze(1)
        target_line = torch.tensor(word[1:])
        hidden = torch.zeros(1, 12)
        rnn.zero_grad()
        loss = torch.tensor(0.0)
        for i in range(input_line.size(0)):
            output, hidden = rnn(input_line[i], hidden)
            loss += criterion(output, target_line[i].unsqueeze(0))
        loss.backward()
        for p in rnn.parameters():
            p.data.add_(p.grad.data, alpha=-0.05)
        losses.append(loss.item() / input_line.size(0))
    with torch.no_grad():  # sample, PyTorch's draws replayed
        input, hidden, sampled = torch.tensor([1]), torch.zeros(1, 12), []
        for i in range(max_length):
            output, hidden = rnn(input, hidden)
            if lib.__name__ == "torch":
                c = torch.multinomial(output.exp(), 1)[0, 0].item()
                shared.setdefault("chars", []).append(c)
            else:
                c = shared["chars"][i]
            sampled.append(output[0, c].item())
            input = torch.tensor([c])
    return losses + sampled, rnn


def test_char_rnn_grucell_manual_sgd_sampling():
    rng = np.random.default_rng(0)
    words = [rng.integers(0, 10, size=rng.integers(3, 8)).tolist() for _ in range(10)]
    compare(char_rnn, state=initial_state(char_rnn_model), words=words)


# spawned workers unpickle the model by its class's qualified name: ours made at import time
OursHogwildNet = type(hogwild_model(tg))
OursHogwildNet.__qualname__ = OursHogwildNet.__name__ = "OursHogwildNet"


@pytest.mark.parametrize("start_method", ["spawn", "forkserver"])
def test_mnist_hogwild_with_spawned_workers_trains_the_parents_model(start_method):
    """As with fork, under spawn and forkserver (the model's shared memory travels by pickle):
    the parent's model equals PyTorch's (trained in this process) after ours trained it."""
    rng = np.random.default_rng(0)
    data = rng.standard_normal((3, 8, 1, 10, 10)).astype("float32")
    target = rng.integers(0, 3, size=(3, 8))
    state = initial_state(hogwild_model)
    _, theirs = mnist_hogwild(pytest.importorskip("torch"), {}, state, data, target)
    model = load(tg, OursHogwildNet(), state)
    model.share_memory()
    p = tg.multiprocessing.get_context(start_method).Process(target=hogwild_ours_train,
                                                             args=(model, data, target))
    p.start()
    p.join()
    assert p.exitcode == 0
    assert not np.allclose(model.fc2.weight.detach().numpy(), state["fc2.weight"])
    for k, v in theirs.state_dict().items():
        np.testing.assert_allclose(numpy_of(model.state_dict()[k]), numpy_of(v), err_msg=k,
                                   **TOL["float32"])


# ---------------------------------------------------------------- torch.func tutorials

def ensemble_models(lib, num_models=3):
    nn = lib.nn
    return nn.ModuleList([nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))
                          for _ in range(num_models)])


def model_ensembling(lib, shared, state, minibatches, meta=True):
    """The model-ensembling tutorial: stack_module_state, a 'meta' base model, vmap over
    functional_call with in_dims=(0, 0, None) and (0, 0, 0); then one SGD step on the stacked
    parameters of a mean loss. ``meta=False`` keeps the base model's copy on the CPU."""
    torch = lib
    from_func = lib.func
    models = load(lib, ensemble_models(lib), state)
    params, buffers = from_func.stack_module_state(models)
    base_model = copy.deepcopy(models[0])
    if meta:
        base_model = base_model.to("meta")

    def fmodel(params, buffers, x):
        return from_func.functional_call(base_model, (params, buffers), (x,))

    minibatches = torch.from_numpy(minibatches)
    same = from_func.vmap(fmodel, in_dims=(0, 0, None))(params, buffers, minibatches[0])
    different = from_func.vmap(fmodel)(params, buffers, minibatches)
    for i, model in enumerate(models):
        np.testing.assert_allclose(different[i].detach().numpy(),
                                   model(minibatches[i]).detach().numpy(), rtol=1e-5, atol=1e-6)
    loss = different.pow(2).mean() + same.sum(-1).abs().mean()
    grads = torch.autograd.grad(loss, list(params.values()))
    final = {k: (v - 0.1 * g).detach() for (k, v), g in zip(params.items(), grads)}
    return same.flatten().tolist() + [loss.item()], final


@pytest.mark.parametrize("meta", [
    pytest.param(True, marks=pytest.mark.xfail(
        strict=True, raises=RuntimeError,
        reason="no 'meta' device: Module.to('meta') raises 'tinygrad_bn runs on the CPU only'")),
    False])
def test_model_ensembling_stack_module_state_vmap(meta):
    rng = np.random.default_rng(0)
    compare(model_ensembling, state=initial_state(ensemble_models),
            minibatches=rng.standard_normal((3, 5, 6)).astype("float32"), meta=meta)


def ntk_model(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))


def neural_tangent_kernel(lib, shared, state, x1, x2):
    """The NTK tutorial: per-example Jacobians by vmap(jacrev(functional_call)), contracted with
    einsum into the empirical NTK."""
    torch = lib
    from_func = lib.func
    net = load(lib, ntk_model(lib), state).double()
    params = {k: v.detach() for k, v in net.named_parameters()}

    def fnet_single(params, x):
        return from_func.functional_call(net, params, (x.unsqueeze(0),)).squeeze(0)

    def empirical_ntk_jacobian_contraction(params, x1, x2):
        jac1 = from_func.vmap(from_func.jacrev(fnet_single), (None, 0))(params, x1)
        jac1 = [j.flatten(2) for j in jac1.values()]
        jac2 = from_func.vmap(from_func.jacrev(fnet_single), (None, 0))(params, x2)
        jac2 = [j.flatten(2) for j in jac2.values()]
        result = torch.stack([torch.einsum("Naf,Mbf->NMab", j1, j2)
                              for j1, j2 in zip(jac1, jac2)])
        return result.sum(0)

    ntk = empirical_ntk_jacobian_contraction(params, torch.from_numpy(x1), torch.from_numpy(x2))
    return ntk.flatten().tolist(), {"ntk": ntk}


def test_neural_tangent_kernel_vmap_jacrev():
    rng = np.random.default_rng(0)
    state = {k: v.astype("float64") for k, v in initial_state(ntk_model).items()}
    compare(neural_tangent_kernel, "float64", state=state, x1=rng.standard_normal((3, 4)),
            x2=rng.standard_normal((2, 4)))


# ---------------------------------------------------------------- MAML

def maml_model(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(1, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(),
                         nn.Linear(16, 1))


def maml(lib, shared, state, tasks, inner_lr=0.01, inner_steps=2):
    """MAML on sine regression: inner SGD steps on functional_call'd parameters with
    create_graph=True, the meta-gradient through them, Adam on the meta-parameters."""
    torch, F = lib, lib.nn.functional
    model = load(lib, maml_model(lib), state)
    meta_opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for batch in tasks:
        meta_opt.zero_grad()
        meta_loss = 0.0
        for xs, ys, xq, yq in batch:
            xs, ys, xq, yq = (torch.from_numpy(v) for v in (xs, ys, xq, yq))
            fast = dict(model.named_parameters())
            for _ in range(inner_steps):
                loss = F.mse_loss(torch.func.functional_call(model, fast, (xs,)), ys)
                grads = torch.autograd.grad(loss, list(fast.values()), create_graph=True)
                fast = {k: w - inner_lr * g for (k, w), g in zip(fast.items(), grads)}
            meta_loss = meta_loss + F.mse_loss(torch.func.functional_call(model, fast, (xq,)),
                                               yq)
        meta_loss = meta_loss / len(batch)
        meta_loss.backward()
        meta_opt.step()
        losses.append(meta_loss.item())
    return losses, model


def test_maml_second_order_inner_loop():
    rng = np.random.default_rng(0)

    def task():
        a, p = rng.uniform(0.1, 5.0), rng.uniform(0, np.pi)
        xs, xq = rng.uniform(-5, 5, (10, 1)), rng.uniform(-5, 5, (10, 1))
        return tuple(v.astype("float32") for v in (xs, a * np.sin(xs + p), xq,
                                                   a * np.sin(xq + p)))
    tasks = [[task() for _ in range(3)] for _ in range(4)]
    compare(maml, state=initial_state(maml_model), tasks=tasks)


# ---------------------------------------------------------------- word2vec (negative sampling)

def skipgram_model(lib, vocab=30, dim=8):
    nn = lib.nn

    class SkipGram(nn.Module):
        def __init__(self):
            super().__init__()
            self.u_embeddings = nn.Embedding(vocab, dim, sparse=True)
            self.v_embeddings = nn.Embedding(vocab, dim, sparse=True)

        def forward(self, pos_u, pos_v, neg_v):
            F = lib.nn.functional
            emb_u = self.u_embeddings(pos_u)
            emb_v = self.v_embeddings(pos_v)
            score = F.logsigmoid(lib.clamp(lib.sum(lib.mul(emb_u, emb_v), dim=1), -10, 10))
            emb_neg_v = self.v_embeddings(neg_v)
            neg_score = lib.bmm(emb_neg_v, emb_u.unsqueeze(2)).squeeze()
            neg_score = F.logsigmoid(-lib.clamp(neg_score, -10, 10))
            return -(score + lib.sum(neg_score, dim=1)).mean()

    return SkipGram()


def word2vec(lib, shared, state, batches, optimizer="SGD"):
    torch = lib
    model = load(lib, skipgram_model(lib), state)
    opt = getattr(torch.optim, optimizer)(list(model.parameters()), lr=0.2 if optimizer == "SGD"
                                          else 0.01)
    losses = []
    for pos_u, pos_v, neg_v in batches:
        opt.zero_grad()
        loss = model(torch.from_numpy(pos_u), torch.from_numpy(pos_v), torch.from_numpy(neg_v))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, model


def word2vec_batches():
    rng = np.random.default_rng(0)
    return [(rng.integers(0, 30, 12), rng.integers(0, 30, 12), rng.integers(0, 30, (12, 5)))
            for _ in range(8)]


def test_word2vec_sparse_embeddings_sgd():
    compare(word2vec, state=initial_state(skipgram_model), batches=word2vec_batches())


def test_word2vec_sparse_adam():
    compare(word2vec, state=initial_state(skipgram_model), batches=word2vec_batches(),
            optimizer="SparseAdam")


# ---------------------------------------------------------------- SimCLR NT-Xent

def simclr_model(lib):
    nn = lib.nn
    return nn.ModuleDict({"encoder": nn.Sequential(nn.Linear(10, 16), nn.BatchNorm1d(16),
                                                   nn.ReLU(), nn.Linear(16, 12)),
                          "projector": nn.Sequential(nn.Linear(12, 12), nn.ReLU(),
                                                     nn.Linear(12, 6))})


def simclr(lib, shared, state, views, temperature=0.5):
    torch, F = lib, lib.nn.functional
    model = load(lib, simclr_model(lib), state)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-6)
    losses = []
    for a, b in views:
        x = torch.cat([torch.from_numpy(a), torch.from_numpy(b)], dim=0)
        z = F.normalize(model["projector"](model["encoder"](x)), dim=1)
        n = a.shape[0]
        similarity = torch.matmul(z, z.T) / temperature
        mask = torch.eye(2 * n, dtype=torch.bool)
        similarity = similarity.masked_fill(mask, float("-inf"))
        labels = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
        loss = F.cross_entropy(similarity, labels)
        top1 = (similarity.argmax(1) == labels).float().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses += [loss.item(), top1.item()]
    return losses, model


def test_simclr_nt_xent_masked_similarity():
    rng = np.random.default_rng(0)
    base = rng.standard_normal((5, 8, 10))
    views = [((b + 0.1 * rng.standard_normal(b.shape)).astype("float32"),
              (b + 0.1 * rng.standard_normal(b.shape)).astype("float32")) for b in base]
    compare(simclr, state=initial_state(simclr_model), views=views)


# ---------------------------------------------------------------- Gaussian process regression

def gp_regression(lib, shared, x, y, steps=25):
    """Exact GP: RBF kernel with learned log length-scale, signal and noise, the negative log
    marginal likelihood from a Cholesky factor, Adam; then the posterior mean."""
    torch = lib
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    log_ls = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    log_sf = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    log_sn = torch.tensor(-1.0, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.Adam([log_ls, log_sf, log_sn], lr=0.05)

    def kernel(a, b):
        d2 = torch.cdist(a, b).pow(2)
        return log_sf.exp().pow(2) * torch.exp(-0.5 * d2 / log_ls.exp().pow(2))

    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        K = kernel(x, x) + log_sn.exp().pow(2) * torch.eye(len(x), dtype=torch.float64)
        L = torch.linalg.cholesky(K)
        alpha = torch.cholesky_solve(y.unsqueeze(1), L)
        nll = 0.5 * (y.unsqueeze(1) * alpha).sum() + torch.log(torch.diagonal(L)).sum() \
            + 0.5 * len(x) * math.log(2 * math.pi)
        nll.backward()
        optimizer.step()
        losses.append(nll.item())
    with torch.no_grad():
        xs = torch.linspace(-3, 3, 7, dtype=torch.float64).unsqueeze(1)
        K = kernel(x, x) + log_sn.exp().pow(2) * torch.eye(len(x), dtype=torch.float64)
        mean = kernel(xs, x) @ torch.linalg.solve(K, y)
    return losses + mean.tolist(), {"log_ls": log_ls, "log_sf": log_sf, "log_sn": log_sn}


def test_gaussian_process_cholesky_marginal_likelihood():
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, (15, 1))
    compare(gp_regression, "float64", x=x, y=np.sin(2 * x[:, 0]) + 0.1 * rng.standard_normal(15))


# ---------------------------------------------------------------- CTC speech-style model

def ctc_model(lib, n_feats=6, classes=5):
    nn = lib.nn

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv1d(n_feats, 8, 3, padding=1)
            self.rnn = nn.GRU(8, 8, bidirectional=True, batch_first=True)
            self.fc = nn.Linear(16, classes)

        def forward(self, x):
            x = lib.nn.functional.gelu(self.conv(x.transpose(1, 2))).transpose(1, 2)
            x, _ = self.rnn(x)
            return self.fc(x).log_softmax(2)

    return Model()


def ctc(lib, shared, state, feats, targets, target_lengths, input_lengths,
        unique_consecutive=False):
    torch = lib
    model = load(lib, ctc_model(lib), state)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-3)
    criterion = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    losses = []
    for x, t, tl, il in zip(feats, targets, target_lengths, input_lengths):
        log_probs = model(torch.from_numpy(x)).transpose(0, 1)  # (T, N, C)
        loss = criterion(log_probs, torch.from_numpy(t), torch.from_numpy(il),
                         torch.from_numpy(tl))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
    with torch.no_grad():  # greedy decoding
        best = model(torch.from_numpy(feats[0])).argmax(2)[0]
        if unique_consecutive:
            losses += torch.unique_consecutive(best).tolist()
        else:  # the same by hand
            losses += [c for i, c in enumerate(best.tolist()) if i == 0 or c != best[i - 1]]
    return losses, model


@pytest.mark.parametrize("unique_consecutive", [
    False, True])
def test_ctc_loss_conv_bigru_greedy_decoding(unique_consecutive):
    rng = np.random.default_rng(0)
    feats = rng.standard_normal((4, 3, 12, 6)).astype("float32")
    targets = rng.integers(1, 5, size=(4, 3, 4))
    target_lengths = rng.integers(2, 5, size=(4, 3))
    input_lengths = np.full((4, 3), 12) - rng.integers(0, 3, size=(4, 3))
    compare(ctc, state=initial_state(ctc_model), feats=feats, targets=targets,
            target_lengths=target_lengths, input_lengths=input_lengths,
            unique_consecutive=unique_consecutive)


# ---------------------------------------------------------------- RealNVP normalizing flow

def realnvp_model(lib, dim=2, hidden=16, n_layers=4):
    nn = lib.nn

    class Coupling(nn.Module):
        def __init__(self, mask):
            super().__init__()
            self.register_buffer("mask", mask)
            self.s = nn.Sequential(nn.Linear(dim, hidden), nn.LeakyReLU(), nn.Linear(hidden, dim),
                                   nn.Tanh())
            self.t = nn.Sequential(nn.Linear(dim, hidden), nn.LeakyReLU(), nn.Linear(hidden, dim))

        def inverse(self, x):  # data -> latent, with log|det|
            x_m = x * self.mask
            s = self.s(x_m) * (1 - self.mask)
            t = self.t(x_m) * (1 - self.mask)
            z = x_m + (1 - self.mask) * (x - t) * lib.exp(-s)
            return z, -s.sum(dim=1)

    class RealNVP(nn.Module):
        def __init__(self):
            super().__init__()
            masks = [lib.tensor([1.0, 0.0]) if i % 2 == 0 else lib.tensor([0.0, 1.0])
                     for i in range(n_layers)]
            self.layers = nn.ModuleList([Coupling(m) for m in masks])

        def log_prob(self, x, prior):
            log_det = lib.zeros(x.shape[0])
            z = x
            for layer in reversed(self.layers):
                z, ld = layer.inverse(z)
                log_det = log_det + ld
            return prior.log_prob(z) + log_det

    return RealNVP()


def realnvp(lib, shared, state, batches, prior="Normal"):
    torch, D = lib, lib.distributions
    model = load(lib, realnvp_model(lib), state)
    if prior == "MultivariateNormal":
        base = D.MultivariateNormal(torch.zeros(2), torch.eye(2))
    else:
        base = D.Independent(D.Normal(torch.zeros(2), torch.ones(2)), 1)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    losses = []
    for x in batches:
        loss = -model.log_prob(torch.from_numpy(x), base).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses, model


@pytest.mark.parametrize("prior", [
    "Normal", "MultivariateNormal"])
def test_realnvp_flow_log_prob(prior):
    rng = np.random.default_rng(0)
    t = rng.uniform(0, 2 * np.pi, (6, 32))
    batches = np.stack([np.cos(t), np.sin(t)], -1) + 0.05 * rng.standard_normal((6, 32, 2))
    compare(realnvp, state=initial_state(realnvp_model), batches=batches.astype("float32"),
            prior=prior)


# ---------------------------------------------------------------- nanoGPT

def nanogpt_model(lib, vocab=20, block=8, n_layer=2, n_head=2, n_embd=16):
    nn, F = lib.nn, lib.nn.functional

    class CausalSelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_attn = nn.Linear(n_embd, 3 * n_embd)
            self.c_proj = nn.Linear(n_embd, n_embd)

        def forward(self, x):
            B, T, C = x.size()
            q, k, v = self.c_attn(x).split(n_embd, dim=2)
            k = k.view(B, T, n_head, C // n_head).transpose(1, 2)
            q = q.view(B, T, n_head, C // n_head).transpose(1, 2)
            v = v.view(B, T, n_head, C // n_head).transpose(1, 2)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=0.0,
                                               is_causal=True)
            y = y.transpose(1, 2).contiguous().view(B, T, C)
            return self.c_proj(y)

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_fc = nn.Linear(n_embd, 4 * n_embd)
            self.gelu = nn.GELU()
            self.c_proj = nn.Linear(4 * n_embd, n_embd)

        def forward(self, x):
            return self.c_proj(self.gelu(self.c_fc(x)))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(n_embd, bias=False)
            self.attn = CausalSelfAttention()
            self.ln_2 = nn.LayerNorm(n_embd, bias=False)
            self.mlp = MLP()

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = nn.ModuleDict(dict(
                wte=nn.Embedding(vocab, n_embd), wpe=nn.Embedding(block, n_embd),
                h=nn.ModuleList([Block() for _ in range(n_layer)]),
                ln_f=nn.LayerNorm(n_embd, bias=False)))
            self.lm_head = nn.Linear(n_embd, vocab, bias=False)
            self.transformer.wte.weight = self.lm_head.weight
            self.apply(self._init_weights)
            for pn, p in self.named_parameters():
                if pn.endswith("c_proj.weight"):
                    lib.nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * n_layer))

        def _init_weights(self, module):
            if isinstance(module, nn.Linear):
                lib.nn.init.normal_(module.weight, mean=0.0, std=0.02)
                if module.bias is not None:
                    lib.nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Embedding):
                lib.nn.init.normal_(module.weight, mean=0.0, std=0.02)

        def forward(self, idx, targets=None):
            b, t = idx.size()
            pos = lib.arange(0, t, dtype=lib.long)
            x = self.transformer.wte(idx) + self.transformer.wpe(pos)
            for blk in self.transformer.h:
                x = blk(x)
            x = self.transformer.ln_f(x)
            if targets is not None:
                logits = self.lm_head(x)
                loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1),
                                       ignore_index=-1)
            else:
                logits = self.lm_head(x[:, [-1], :])
                loss = None
            return logits, loss

        def configure_optimizers(self, weight_decay, learning_rate, betas):
            param_dict = {pn: p for pn, p in self.named_parameters() if p.requires_grad}
            decay_params = [p for n, p in param_dict.items() if p.dim() >= 2]
            nodecay_params = [p for n, p in param_dict.items() if p.dim() < 2]
            optim_groups = [{"params": decay_params, "weight_decay": weight_decay},
                            {"params": nodecay_params, "weight_decay": 0.0}]
            import inspect
            fused_available = "fused" in inspect.signature(lib.optim.AdamW).parameters
            extra_args = dict(fused=False) if fused_available else dict()
            return lib.optim.AdamW(optim_groups, lr=learning_rate, betas=betas, **extra_args)

    return GPT()


def nanogpt(lib, shared, state, xs, ys, block=8, top_k=5, temperature=0.8):
    torch, F = lib, lib.nn.functional
    model = load(lib, nanogpt_model(lib), state)
    optimizer = model.configure_optimizers(0.1, 6e-3, (0.9, 0.95))
    losses = []
    for it, (x, y) in enumerate(zip(xs, ys)):
        lr = 6e-3 * (it + 1) / len(xs)
        for param_group in optimizer.param_groups:
            param_group["lr"] = lr
        logits, loss = model(torch.from_numpy(x), torch.from_numpy(y))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(loss.item())
    model.eval()
    idx = torch.zeros((1, 1), dtype=torch.long)
    with torch.no_grad():
        for i in range(10):
            idx_cond = idx if idx.size(1) <= block else idx[:, -block:]
            logits, _ = model(idx_cond)
            logits = logits[:, -1, :] / temperature
            v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
            logits[logits < v[:, [-1]]] = -float("Inf")
            probs = F.softmax(logits, dim=-1)
            if lib.__name__ == "torch":
                idx_next = torch.multinomial(probs, num_samples=1)
                shared.setdefault("tokens", []).append(idx_next.item())
            else:
                idx_next = torch.tensor([[shared["tokens"][i]]])
            losses += probs.flatten().tolist()
            idx = torch.cat((idx, idx_next), dim=1)
    return losses, model


def test_nanogpt_sdpa_tied_weights_param_groups_topk_sampling():
    rng = np.random.default_rng(0)
    xs = rng.integers(0, 20, size=(5, 4, 8))
    ys = np.concatenate([xs[:, :, 1:], rng.integers(0, 20, size=(5, 4, 1))], axis=2)
    ys[:, 0, -2:] = -1
    compare(nanogpt, state=initial_state(nanogpt_model), xs=xs, ys=ys)

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


def compare(program, dtype="float32", **kwargs):
    """Run ``program(lib, shared, **kwargs)`` with PyTorch then tinygrad_bn; it returns (losses,
    module or dict of final tensors). ``shared`` is a dict PyTorch's run may fill with its random
    draws for ours to replay. Asserts both runs agree."""
    torch = pytest.importorskip("torch")
    shared = {}
    torch.manual_seed(0)
    losses_t, final_t = program(torch, shared, **kwargs)
    losses_o, final_o = program(tg, shared, **kwargs)
    tol = TOL[dtype]
    np.testing.assert_allclose(np.array([float(x) for x in losses_o]),
                               np.array([float(x) for x in losses_t]), **tol)
    st = final_t.state_dict() if hasattr(final_t, "state_dict") else final_t
    so = final_o.state_dict() if hasattr(final_o, "state_dict") else final_o
    assert list(so) == list(st)
    for k in st:
        assert str(numpy_of(so[k]).dtype) == str(numpy_of(st[k]).dtype), k
        np.testing.assert_allclose(numpy_of(so[k]), numpy_of(st[k]), err_msg=k, **tol)
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
    worker = hogwild_torch_train if lib.__name__ == "torch" else hogwild_ours_train
    ctx = mp.get_context("fork")
    processes = []
    for rank in range(1):  # one worker: deterministic, so comparable with PyTorch's
        p = ctx.Process(target=worker, args=(model, data, target))
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

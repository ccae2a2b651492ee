"""Batch normalization from scratch in NumPy, as the article derives it: the forward pass, the
backward pass through its three paths, and a layer keeping running averages in the article's
convention. The section scripts compare tinygrad_bn against these."""

import numpy as np


def forward(x, gamma, beta, eps=1e-5):
    """Normalise each column of ``x`` (batch, features) with the batch's mean and biased
    variance, then scale by ``gamma`` and shift by ``beta``. Returns the output and what the
    backward pass needs."""
    mean = x.mean(axis=0)
    centred = x - mean
    var = (centred**2).mean(axis=0)
    std = np.sqrt(var + eps)
    x_hat = centred / std
    return gamma * x_hat + beta, (centred, x_hat, var, std, gamma, eps)


def backward(grad_out, saved):
    """Gradients of the loss with respect to ``x``, ``gamma`` and ``beta``, following each path
    by which ``x`` reaches the output: through its own ``x_hat``, through the batch variance and
    through the batch mean."""
    centred, x_hat, var, std, gamma, eps = saved
    m = centred.shape[0]
    grad_gamma = (grad_out * x_hat).sum(axis=0)
    grad_beta = grad_out.sum(axis=0)
    grad_x_hat = grad_out * gamma
    grad_var = (grad_x_hat * centred).sum(axis=0) * -0.5 * (var + eps) ** -1.5
    grad_mean = -(grad_x_hat / std).sum(axis=0) + grad_var * (-2.0 * centred).sum(axis=0) / m
    grad_x = grad_x_hat / std + grad_var * 2.0 * centred / m + grad_mean / m
    return grad_x, grad_gamma, grad_beta


class RunningBatchNorm:
    """A batch-norm layer with the article's running averages: ``running = alpha * running +
    (1 - alpha) * batch`` with ``alpha = 0.9`` and the **biased** batch variance. (PyTorch's
    ``momentum=0.1`` is ``1 - alpha``, and it feeds the unbiased variance to ``running_var``.)"""

    def __init__(self, num_features, alpha=0.9, eps=1e-5):
        self.gamma, self.beta = np.ones(num_features), np.zeros(num_features)
        self.alpha, self.eps = alpha, eps
        self.running_mean, self.running_var = np.zeros(num_features), np.ones(num_features)
        self.training = True

    def __call__(self, x):
        if self.training:
            mean, var = x.mean(axis=0), x.var(axis=0)
            self.running_mean = self.alpha * self.running_mean + (1 - self.alpha) * mean
            self.running_var = self.alpha * self.running_var + (1 - self.alpha) * var
        else:
            mean, var = self.running_mean, self.running_var
        return self.gamma * (x - mean) / np.sqrt(var + self.eps) + self.beta

"""scikit-learn's 8x8 handwritten digits (1,797 images shipped inside the package, no
download), split and standardised the way the digits examples use them."""

import numpy as np

import tinygrad_bn as torch


def load_split(seed, test_fraction=0.25, images=False):
    """Digits as float32 features standardised with the training set's per-pixel mean and
    std, split into train and test sets by a permutation drawn from ``seed``: ``((X_train,
    y_train), (X_test, y_test))``. Features are ``(N, 64)``, or with ``images`` ``(N, 1, 8,
    8)`` (one channel, for a convolutional network)."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise SystemExit('scikit-learn is not installed: pip install -e ".[examples]"') from None
    digits = load_digits()
    order = np.random.default_rng(seed).permutation(len(digits.target))
    n_test = int(len(order) * test_fraction)
    test, train = order[:n_test], order[n_test:]
    mean, std = digits.data[train].mean(axis=0), digits.data[train].std(axis=0) + 1e-6
    features = ((digits.data - mean) / std).astype(np.float32)
    if images:
        features = features.reshape(-1, 1, 8, 8)
    return ((torch.tensor(features[train]), torch.tensor(digits.target[train])),
            (torch.tensor(features[test]), torch.tensor(digits.target[test])))

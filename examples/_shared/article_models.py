"""The article's two MLPs, written as PyTorch code with only the import line changed.

Shared by the example scripts in this folder (and the tests): ``MLPWithBatchNorm`` is
Linear(bias=False) -> BatchNorm1d -> ReLU, twice, then Linear; ``MLPWithoutBatchNorm`` is the same
network with biases and no normalization.
"""

import tinygrad_bn.nn as nn


class MLPWithBatchNorm(nn.Module):
    def __init__(self, input_dim, hidden_dim, output_dim):
        super().__init__()
        self.fc1 = nn.Linear(input_dim, hidden_dim, bias=False)
        self.bn1 = nn.BatchNorm1d(hidden_dim)
        self.fc2 = nn.Linear(hidden_dim, hidden_dim, bias=False)
        self.bn2 = nn.BatchNorm1d(hidden_dim)
        self.fc3 = nn.Linear(hidden_dim, output_dim)
        self.relu = nn.ReLU()

    def forward(self, x):
        x = self.relu(self.bn1(self.fc1(x)))
        x = self.relu(self.bn2(self.fc2(x)))
        return self.fc3(x)


class MLPWithoutBatchNorm(nn.Module):
    def __init__(self, input_dim, hidden_dim, output_dim):
        super().__init__()
        self.fc1 = nn.Linear(input_dim, hidden_dim)
        self.fc2 = nn.Linear(hidden_dim, hidden_dim)
        self.fc3 = nn.Linear(hidden_dim, output_dim)
        self.relu = nn.ReLU()

    def forward(self, x):
        x = self.relu(self.fc1(x))
        x = self.relu(self.fc2(x))
        return self.fc3(x)


class MLP(nn.Module):
    """The article's MLPs at any depth: ``depth`` hidden blocks of Linear -> [BatchNorm1d] ->
    ReLU, then a Linear output layer. Layers are named ``fc1``, ``bn1``, ... as in the article,
    and with ``depth=2`` the network (and, under the same seed, its initial weights) is exactly
    ``MLPWithBatchNorm`` or ``MLPWithoutBatchNorm``. Hidden Linear layers drop their bias when
    a BatchNorm follows, since its beta takes that role."""

    def __init__(self, input_dim, hidden_dim, output_dim, depth=2, batchnorm=True):
        super().__init__()
        if depth < 1:
            raise ValueError(f"depth must be at least 1, got {depth}")
        self.depth, self.batchnorm = depth, batchnorm
        width = input_dim
        for i in range(1, depth + 1):
            setattr(self, f"fc{i}", nn.Linear(width, hidden_dim, bias=not batchnorm))
            if batchnorm:
                setattr(self, f"bn{i}", nn.BatchNorm1d(hidden_dim))
            width = hidden_dim
        setattr(self, f"fc{depth + 1}", nn.Linear(width, output_dim))
        self.relu = nn.ReLU()

    def forward(self, x):
        for i in range(1, self.depth + 1):
            x = getattr(self, f"fc{i}")(x)
            if self.batchnorm:
                x = getattr(self, f"bn{i}")(x)
            x = self.relu(x)
        return getattr(self, f"fc{self.depth + 1}")(x)

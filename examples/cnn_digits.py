"""The tutorial after the MLP: a small convolutional network (two Conv2d layers, ReLU,
MaxPool2d, a Linear classifier) trained on scikit-learn's 8x8 handwritten digits as 1x8x8
images, written as a PyTorch program with only its imports changed. Prints the training loss
and held-out accuracy after every epoch; trains in a few seconds on one CPU core.

    pip install -e ".[examples]"     # scikit-learn (the digits ship inside it)
    python examples/cnn_digits.py [--epochs 8] [--lr 0.003] [--batch-size 32] [--seed 0]
"""

import time

from _shared import cli
from _shared.digits_data import load_split
import tinygrad_bn as torch
import tinygrad_bn.nn as nn
import tinygrad_bn.nn.functional as F
import tinygrad_bn.optim as optim
from tinygrad_bn.utils.data import DataLoader, TensorDataset


class ConvNet(nn.Module):
    """1x8x8 -> conv 3x3 (16) -> ReLU -> max pool 2 -> conv 3x3 (32) -> ReLU -> 10 classes."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(32 * 4 * 4, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))  # (N, 16, 4, 4)
        x = F.relu(self.conv2(x))             # (N, 32, 4, 4)
        return self.fc(torch.flatten(x, 1))


def accuracy(model, X, y):
    model.eval()
    with torch.no_grad():
        return (model(X).argmax(dim=1) == y).float().mean().item()


def main(argv=None):
    parser = cli.make_parser(__doc__)
    parser.add_argument("--epochs", type=int, default=8, help="training epochs")
    parser.add_argument("--lr", type=float, default=0.003, help="Adam learning rate")
    parser.add_argument("--batch-size", type=int, default=32, help="batch size")
    parser.add_argument("--seed", type=int, default=0,
                        help="the train/test split, the weights and the shuffling")
    args = parser.parse_args(argv)
    cli.require_positive(parser, args, "epochs", "lr", "batch-size")

    (X_train, y_train), (X_test, y_test) = load_split(args.seed, images=True)
    print(f"digits: {len(y_train)} training and {len(y_test)} held-out 1x8x8 images, 10 classes")
    torch.manual_seed(args.seed)
    model = ConvNet()
    print(model)
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=args.batch_size,
                        shuffle=True)
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    losses, accuracies = [], []
    start = time.perf_counter()
    print(f"{'epoch':>5}  {'train loss':>10}  {'held-out accuracy':>17}")
    for epoch in range(1, args.epochs + 1):
        model.train()
        total, count = 0.0, 0
        for batch_x, batch_y in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(batch_x), batch_y)
            loss.backward()
            optimizer.step()
            total, count = total + loss.item() * len(batch_y), count + len(batch_y)
        losses.append(total / count)
        accuracies.append(accuracy(model, X_test, y_test))
        print(f"{epoch:>5}  {losses[-1]:>10.4f}  {accuracies[-1]:>17.3f}")
    seconds = time.perf_counter() - start
    print(f"final held-out accuracy {accuracies[-1]:.3f} (seed {args.seed}); "
          f"wall time {seconds:.1f} s")
    return {"losses": losses, "accuracies": accuracies, "seconds": seconds}


if __name__ == "__main__":
    main()

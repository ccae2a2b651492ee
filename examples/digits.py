"""Beyond random labels: both MLPs (with and without BatchNorm1d) trained on real data,
scikit-learn's 8x8 handwritten digits (1,797 images shipped inside the package, no download),
with held-out accuracy after every epoch.

    pip install -e ".[examples]"     # matplotlib and scikit-learn
    python examples/digits.py [--epochs 20] [--lr 0.01] [--batch-size 32] [--seed 0] [--out DIR]
"""

import numpy as np

import cli
import plotting
import tinygrad_bn as torch
import tinygrad_bn.nn as nn
import tinygrad_bn.optim as optim
from article_models import MLP
from tinygrad_bn.utils.data import DataLoader, TensorDataset


def load_split(seed, test_fraction=0.25):
    """Digits as standardised float32 features, split into train and test sets."""
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
    return ((torch.tensor(features[train]), torch.tensor(digits.target[train])),
            (torch.tensor(features[test]), torch.tensor(digits.target[test])))


def accuracy(model, X, y):
    model.eval()
    with torch.no_grad():
        return (model(X).argmax(dim=1) == y).float().mean().item()


def main(argv=None):
    parser = cli.make_parser(__doc__)
    parser.add_argument("--epochs", type=int, default=20, help="epochs per network")
    parser.add_argument("--lr", type=float, default=0.01, help="Adam learning rate")
    parser.add_argument("--batch-size", type=int, default=32, help="batch size")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed for the train/test split, the weights and the shuffling")
    plotting.add_out_argument(parser)
    args = parser.parse_args(argv)
    cli.require_positive(parser, args, "epochs", "lr", "batch-size")

    (X_train, y_train), (X_test, y_test) = load_split(args.seed)
    print(f"digits: {len(y_train)} training and {len(y_test)} held-out images of 64 pixels, "
          f"10 classes")
    drop_last = cli.last_batch_of_one(len(y_train), args.batch_size)
    if drop_last:
        print(cli.drop_last_note(len(y_train), args.batch_size))
    curves = {}
    bar = cli.progress(2 * args.epochs, "training", unit="epoch")
    for name, batchnorm in (("with BN", True), ("without BN", False)):
        torch.manual_seed(args.seed)
        model = MLP(64, 64, 10, depth=2, batchnorm=batchnorm)
        loader = DataLoader(TensorDataset(X_train, y_train), batch_size=args.batch_size,
                            shuffle=True, drop_last=drop_last)
        optimizer = optim.Adam(model.parameters(), lr=args.lr)
        criterion = nn.CrossEntropyLoss()
        curves[name] = []
        for _ in range(args.epochs):
            model.train()
            for batch_x, batch_y in loader:
                optimizer.zero_grad()
                criterion(model(batch_x), batch_y).backward()
                optimizer.step()
            curves[name].append(accuracy(model, X_test, y_test))
            bar.update()
    bar.close()
    print(f"{'epoch':>5}  {'with BN':>8}  {'without BN':>10}   (held-out accuracy)")
    for epoch, (a, b) in enumerate(zip(curves["with BN"], curves["without BN"]), start=1):
        print(f"{epoch:>5}  {a:>8.3f}  {b:>10.3f}")

    plt = plotting.pyplot()
    if plt is not None:
        figure, axis = plt.subplots(figsize=(7, 4))
        for name, values in curves.items():
            axis.plot(np.arange(1, args.epochs + 1), values, label=name)
        axis.set_xlabel("epoch")
        axis.set_ylabel("held-out accuracy")
        axis.set_title("8x8 digits: MLP with and without BatchNorm1d")
        plotting.integer_ticks(axis)
        plotting.legend_beside(axis)
        axis.grid(alpha=0.3)
        plotting.save(figure, args.out, "digits_accuracy.png")
    return curves


if __name__ == "__main__":
    main()

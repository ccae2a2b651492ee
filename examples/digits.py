"""Beyond random labels: both MLPs (with and without BatchNorm1d) trained on real data,
scikit-learn's 8x8 handwritten digits (1,797 images shipped inside the package, no download),
with held-out accuracy after every epoch, over 5 seeds (0 to 4; each draws the train/test split,
the weights and the shuffling): the mean and spread per epoch and at the end, each seed's final
accuracies, and a plot of the mean curves with their min-max band.

    pip install -e ".[examples]"     # matplotlib and scikit-learn
    python examples/digits.py [--epochs 20] [--lr 0.01] [--batch-size 32] [--seeds 5] [--seed 0]
                              [--out DIR]

One seed is not evidence: which network ends ahead on one seed can change with the BLAS kernel
the CPU gets; --seeds 1 prints one seed's run, labelled as such.
"""

import time

import numpy as np

from _shared import cli
from _shared import plotting
import tinygrad_bn as torch
import tinygrad_bn.nn as nn
import tinygrad_bn.optim as optim
from _shared.article_models import MLP
from _shared.digits_data import load_split
from tinygrad_bn.utils.data import DataLoader, TensorDataset


def accuracy(model, X, y):
    model.eval()
    with torch.no_grad():
        return (model(X).argmax(dim=1) == y).float().mean().item()


def train_seed(seed, X_train, y_train, X_test, y_test, epochs, lr, batch_size, drop_last,
               progress):
    """Both networks from one seed (weights and shuffling; the caller split the data with it):
    their held-out accuracy after every epoch."""
    curves = {}
    for name, batchnorm in (("with BN", True), ("without BN", False)):
        torch.manual_seed(seed)
        model = MLP(64, 64, 10, depth=2, batchnorm=batchnorm)
        loader = DataLoader(TensorDataset(X_train, y_train), batch_size=batch_size,
                            shuffle=True, drop_last=drop_last)
        optimizer = optim.Adam(model.parameters(), lr=lr)
        criterion = nn.CrossEntropyLoss()
        curves[name] = []
        for _ in range(epochs):
            model.train()
            for batch_x, batch_y in loader:
                optimizer.zero_grad()
                criterion(model(batch_x), batch_y).backward()
                optimizer.step()
            curves[name].append(accuracy(model, X_test, y_test))
            progress.update()
    return curves


def print_results(curves, seeds):
    """The per-epoch table (one seed's accuracies, or their mean and std) and, over several
    seeds, the final accuracy's spread and each seed's."""
    with_bn, without_bn = curves["with BN"], curves["without BN"]
    if len(seeds) == 1:
        print(f"held-out accuracy, one run ({cli.describe_seeds(seeds)}): a single seed, whose "
              f"digits change with the BLAS kernel; the default runs {cli.DEFAULT_SEEDS} seeds")
        print(f"{'epoch':>5}  {'with BN':>8}  {'without BN':>10}")
        for epoch, (a, b) in enumerate(zip(with_bn[0], without_bn[0]), start=1):
            print(f"{epoch:>5}  {a:>8.3f}  {b:>10.3f}")
        print(f"final held-out accuracy ({cli.describe_seeds(seeds)}): with BN "
              f"{with_bn[0, -1]:.3f}, without BN {without_bn[0, -1]:.3f}")
        return
    print(f"held-out accuracy, mean and standard deviation over {cli.describe_seeds(seeds)}; each "
          f"seed draws the train/test split, the weights and the shuffling")
    cli.print_epoch_table(with_bn, without_bn, digits=3, std_width=6)
    cli.print_spread_table(f"final held-out accuracy over {cli.describe_seeds(seeds)}:",
                           [("with BN", with_bn[:, -1]), ("without BN", without_bn[:, -1])],
                           digits=3)
    difference = with_bn[:, -1] - without_bn[:, -1]
    print(f"{'seed':>6}  {'with BN':>8}  {'without BN':>10}  {'BN - plain':>10}   "
          f"(final held-out accuracy per seed)")
    for seed, x, y, d in zip(seeds, with_bn[:, -1], without_bn[:, -1], difference):
        print(f"{seed:>6}  {x:>8.3f}  {y:>10.3f}  {d:>+10.3f}")
    stats = cli.spread(difference)
    print(f"with BN minus without BN: mean {stats['mean']:+.3f}, std {stats['std']:.3f}, "
          f"min {stats['min']:+.3f}, max {stats['max']:+.3f}; BN ahead in "
          f"{int(np.sum(difference > 0))} of {len(seeds)} seeds, behind in "
          f"{int(np.sum(difference < 0))}")


def plot_accuracy(curves, seeds, out):
    plt = plotting.pyplot()
    if plt is None:
        return None
    figure, axis = plt.subplots(figsize=(7, 4))
    epochs = np.arange(1, curves["with BN"].shape[1] + 1)
    for (name, runs), color in zip(curves.items(), ("tab:blue", "tab:orange")):
        plotting.mean_and_band(axis, epochs, runs, name, color)
    axis.set_xlabel("epoch")
    axis.set_ylabel("held-out accuracy")
    over = (f"mean and min-max over {cli.describe_seeds(seeds)}" if len(seeds) > 1
            else f"one run, {cli.describe_seeds(seeds)}")
    axis.set_title(f"8x8 digits: MLP with and without BatchNorm1d ({over})", fontsize=10)
    plotting.integer_ticks(axis)
    plotting.legend_beside(axis)
    axis.grid(alpha=0.3)
    return plotting.save(figure, out, "digits_accuracy.png")


def main(argv=None):
    parser = cli.make_parser(__doc__)
    parser.add_argument("--epochs", type=int, default=20, help="epochs per network")
    parser.add_argument("--lr", type=float, default=0.01, help="Adam learning rate")
    parser.add_argument("--batch-size", type=int, default=32, help="batch size")
    cli.add_seed_arguments(parser, 0, "the train/test split, the weights and the shuffling")
    plotting.add_out_argument(parser)
    args = parser.parse_args(argv)
    cli.require_positive(parser, args, "epochs", "lr", "batch-size", "seeds")

    seeds = cli.seed_list(args)
    split = load_split(seeds[0])
    n_train, n_test = len(split[0][1]), len(split[1][1])
    print(f"digits: {n_train} training and {n_test} held-out images of 64 pixels, 10 classes")
    drop_last = cli.last_batch_of_one(n_train, args.batch_size)
    if drop_last:
        print(cli.drop_last_note(n_train, args.batch_size))
    runs = []
    start = time.perf_counter()
    with cli.progress(2 * args.epochs * len(seeds), "training", unit="epoch") as bar:
        for seed in seeds:
            (X_train, y_train), (X_test, y_test) = load_split(seed)
            runs.append(train_seed(seed, X_train, y_train, X_test, y_test, args.epochs, args.lr,
                                   args.batch_size, drop_last, bar))
    seconds = time.perf_counter() - start
    curves = {name: np.array([run[name] for run in runs]) for name in runs[0]}
    print_results(curves, seeds)
    print(f"wall time: {cli.describe_seeds(seeds)} in {seconds:.1f} s")
    return {**curves, "seeds": seeds, "seconds": seconds,
            "plot": plot_accuracy(curves, seeds, args.out)}


if __name__ == "__main__":
    main()

"""The article's experiment: identical MLPs with and without BatchNorm1d, trained with Adam on
1,000 random samples (20 features, 5 classes), each seed drawing the data, the weights and the
shuffling, the seed reset before each network as in the article. Runs 5 seeds (42 to 46) one after
another and prints the mean and spread of both loss curves per epoch, of the final and eval-mode
losses, and each seed's final losses; plots the mean curves with their min-max band; draws the
graph of one training step.

    python examples/batchnorm_comparison.py [--depth 2] [--lr 0.01] [--batch-size 32]
                                            [--epochs 50] [--seeds 5] [--seed 42] [--out DIR]
    python examples/batchnorm_comparison.py --article    # the article's one run: seed 42 alone
    python examples/batchnorm_comparison.py --sweep      # depth x lr x batch-size grid

One seed of a float32 training run is not evidence: its last digits, and at times which network
ends lower, change with the BLAS kernel the CPU gets (OpenBLAS picks one per CPU model), so the
conclusions rest on the means and their spread; --article (or --seeds 1) prints one seed's curves,
labelled as such. The flags test the article's claims: BatchNorm's benefit grows with depth and
learning rate, and it degrades with small batches. The labels are random, so "training loss"
here measures how easily each network fits (memorises) them. With the article's settings the
network without BatchNorm memorises faster on every seed, contrary to the article's caption
(PyTorch 2.13 running the article's own code agrees); see examples/digits.py for a comparison on
real data with held-out accuracy.
"""

import contextlib
import itertools
import os
import time

import numpy as np

from _shared import cli
from _shared import plotting
import tinygrad_bn as torch  # the training code below is the article's PyTorch code
import tinygrad_bn.nn as nn
import tinygrad_bn.optim as optim
from _shared.article_models import MLP
from tinygrad_bn import viz
from tinygrad_bn.utils.data import DataLoader, TensorDataset

# The article's settings and seed: the defaults, and what --article runs.
ARTICLE = {"depth": 2, "lr": 0.01, "batch_size": 32, "epochs": 50, "seed": 42}
SWEEP = {"depth": (2, 4, 8), "lr": (0.001, 0.01, 0.1), "batch_size": (4, 32, 256)}


N_SAMPLES = 1000


def make_loader(seed, batch_size, n_samples=N_SAMPLES, n_features=20, n_classes=5):
    """The article's data and loader. A batch size that would leave one sample in the last batch
    drops that batch (``drop_last=True``), which BatchNorm1d could not normalise in training."""
    torch.manual_seed(seed)
    X = torch.randn(n_samples, n_features)
    y = torch.randint(0, n_classes, (n_samples,))
    return DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True,
                      drop_last=cli.last_batch_of_one(n_samples, batch_size))


def train_model(model, train_loader, epochs=50, lr=0.01):
    optimizer = optim.Adam(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    losses = []
    for epoch in range(epochs):
        model.train()
        epoch_loss = 0
        for batch_x, batch_y in train_loader:
            optimizer.zero_grad()
            outputs = model(batch_x)
            loss = criterion(outputs, batch_y)
            loss.backward()
            optimizer.step()
            epoch_loss += loss.item()
        losses.append(epoch_loss / len(train_loader))
    return losses


def compare(depth=2, lr=0.01, batch_size=32, epochs=50, seed=42, hidden=64):
    """Train both networks as the article does: one data set and loader, and the seed reset
    before each model is built. Returns the loss curves and wall times."""
    loader = make_loader(seed, batch_size)
    result = {}
    for key, batchnorm in (("with_bn", True), ("without_bn", False)):
        torch.manual_seed(seed)
        model = MLP(20, hidden, 5, depth=depth, batchnorm=batchnorm)
        start = time.perf_counter()
        result[key] = train_model(model, loader, epochs=epochs, lr=lr)
        result[f"{key}_seconds"] = time.perf_counter() - start
        result[f"{key}_eval_loss"] = eval_loss(model, loader.dataset)
    return result


def compare_seeds(seeds, depth=2, lr=0.01, batch_size=32, epochs=50, progress=None):
    """``compare`` once per seed, one after another; every entry of its result becomes an array
    over the seeds (the curves of shape (seeds, epochs))."""
    runs = []
    for seed in seeds:
        runs.append(compare(depth, lr, batch_size, epochs, seed))
        if progress is not None:
            progress.update()
    result = {key: np.array([run[key] for run in runs]) for key in runs[0]}
    result["seeds"] = list(seeds)
    return result


def eval_loss(model, dataset):
    """Loss over the whole data set in eval mode (BatchNorm using its running statistics)."""
    model.eval()
    with torch.no_grad():
        X, y = dataset.tensors
        return nn.CrossEntropyLoss()(model(X), y).item()


def describe_run(args, seeds):
    """What the numbers are: one seed's run (the article's, when it is) or a mean over seeds."""
    if len(seeds) > 1:
        return (f"mean and standard deviation over {cli.describe_seeds(seeds)}; each seed draws "
                f"the data, the weights and the shuffling")
    article = " (the article's run, --article)" if args.article else ""
    return (f"one run, {cli.describe_seeds(seeds)}{article}: a single seed, whose digits change "
            f"with the BLAS kernel; the default runs {cli.DEFAULT_SEEDS} seeds")


def print_table(result, args):
    seeds = result["seeds"]
    print(f"Training loss per epoch: MLP with vs without BatchNorm1d (depth {args.depth}, hidden "
          f"64, Adam lr {args.lr}, batch {args.batch_size}, {args.epochs} epochs)")
    print(f"  {describe_run(args, seeds)}")
    with_bn, without_bn = result["with_bn"], result["without_bn"]
    if len(seeds) == 1:
        print(f"{'epoch':>5}  {'with BN':>8}  {'without BN':>10}")
        for epoch, (a, b) in enumerate(zip(with_bn[0], without_bn[0]), start=1):
            print(f"{epoch:>5}  {a:>8.4f}  {b:>10.4f}")
        print(f"final loss ({cli.describe_seeds(seeds)}): with BN {with_bn[0, -1]:.4f}, "
              f"without BN {without_bn[0, -1]:.4f}")
        print(f"loss on all 1,000 samples in eval mode: with BN "
              f"{result['with_bn_eval_loss'][0]:.4f}, without BN "
              f"{result['without_bn_eval_loss'][0]:.4f}")
        print(f"wall time:  with BN {result['with_bn_seconds'][0]:.2f} s, without BN "
              f"{result['without_bn_seconds'][0]:.2f} s")
        return
    cli.print_epoch_table(with_bn, without_bn, digits=4)
    cli.print_spread_table(f"final training loss over {cli.describe_seeds(seeds)}:",
                           [("with BN", with_bn[:, -1]), ("without BN", without_bn[:, -1])])
    cli.print_spread_table("loss on all 1,000 samples in eval mode:",
                           [("with BN", result["with_bn_eval_loss"]),
                            ("without BN", result["without_bn_eval_loss"])])
    print(f"{'seed':>6}  {'with BN':>8}  {'without BN':>10}   (final training loss per seed)")
    for seed, x, y in zip(seeds, with_bn[:, -1], without_bn[:, -1]):
        print(f"{seed:>6}  {x:>8.4f}  {y:>10.4f}")
    lower = int(np.sum(without_bn[:, -1] < with_bn[:, -1]))
    print(f"without BN ends lower in {lower} of {len(seeds)} seeds")
    print(f"wall time:  {len(seeds)} seeds in {result['seconds']:.1f} s; per run with BN "
          f"{result['with_bn_seconds'].mean():.2f} s, without BN "
          f"{result['without_bn_seconds'].mean():.2f} s")


def plot_losses(result, args):
    plt = plotting.pyplot()
    if plt is None:
        return None
    seeds = result["seeds"]
    figure, axis = plt.subplots(figsize=(7, 4))
    epochs = np.arange(1, result["with_bn"].shape[1] + 1)
    plotting.mean_and_band(axis, epochs, result["with_bn"], "with BatchNorm1d", "tab:blue")
    plotting.mean_and_band(axis, epochs, result["without_bn"], "without BatchNorm", "tab:orange")
    axis.set_yscale("log")
    axis.set_xlabel("epoch")
    axis.set_ylabel("training loss (cross-entropy, log scale)")
    if len(seeds) > 1:
        over = f"mean and min-max over {cli.describe_seeds(seeds)}"
    else:
        article = " (the article's)" if args.article else ""
        over = f"one run, {cli.describe_seeds(seeds)}{article}"
    axis.set_title(f"Depth {args.depth}, Adam lr {args.lr}, batch {args.batch_size}: {over}",
                   fontsize=10)
    plotting.integer_ticks(axis)
    plotting.legend_beside(axis)
    axis.grid(alpha=0.3, which="both")
    return plotting.save(figure, args.out, "loss_curves.png")


def draw_training_step(args):
    """Render one training step of the BatchNorm network, grouped by module (SVG)."""
    loader = make_loader(args.seed, args.batch_size)
    torch.manual_seed(args.seed)
    model = MLP(20, 64, 5, depth=args.depth, batchnorm=True)
    batch_x, batch_y = next(iter(loader))
    loss = nn.CrossEntropyLoss()(model(batch_x), batch_y)
    viz.retain_grads(loss)
    loss.backward()
    graph = viz.draw_graph(loss, model=model, names={"x": batch_x, "y": batch_y, "loss": loss},
                           rankdir="TB")
    try:
        path = viz.render(graph, os.path.join(args.out, "training_step.svg"))
    except viz.GraphvizNotFoundError as error:
        print(error)
        return None
    print(f"wrote {path}")
    return path


def sweep(args):
    """Every combination of depth, learning rate and batch size in SWEEP, each over the seeds; a
    summary table of mean final losses (printed, and written as CSV with their spread) and heat
    maps of the mean difference."""
    seeds = cli.seed_list(args)
    rows = []
    for batch_size in SWEEP["batch_size"]:
        if cli.last_batch_of_one(N_SAMPLES, batch_size):
            print(cli.drop_last_note(N_SAMPLES, batch_size))
    print(f"Final training loss after {args.epochs} epochs, mean over "
          f"{cli.describe_seeds(seeds)}; 'BN wins' counts the seeds where BN ends lower")
    print(f"{'depth':>5} {'lr':>6} {'batch':>5}  {'with BN':>8} {'without BN':>10} "
          f"{'BN - plain':>10} {'BN wins':>8}", flush=True)
    grid = list(itertools.product(*SWEEP.values()))
    with cli.progress(len(grid) * len(seeds), "sweep") as bar:
        for depth, lr, batch_size in grid:
            result = compare_seeds(seeds, depth, lr, batch_size, args.epochs, progress=bar)
            with_bn, without_bn = result["with_bn"][:, -1], result["without_bn"][:, -1]
            wins = int(np.sum(with_bn < without_bn))
            row = (depth, lr, batch_size, with_bn.mean(), without_bn.mean(), cli.spread(with_bn),
                   cli.spread(without_bn), wins)
            rows.append(row)
            bar.write(f"{depth:>5} {lr:>6} {batch_size:>5}  {row[3]:>8.4f} {row[4]:>10.4f} "
                      f"{row[3] - row[4]:>+10.4f} {wins:>4}/{len(seeds)}")
    os.makedirs(args.out, exist_ok=True)
    table = os.path.join(args.out, "sweep.csv")
    stats = ("mean", "std", "min", "max")
    with open(table, "w") as file:
        file.write("depth,lr,batch_size,seeds,"
                   + ",".join(f"final_loss_{net}_{stat}" for net in ("with_bn", "without_bn")
                              for stat in stats)
                   + ",seeds_bn_lower\n")
        for depth, lr, batch_size, _, _, with_bn, without_bn, wins in rows:
            values = [with_bn[stat] for stat in stats] + [without_bn[stat] for stat in stats]
            file.write(f"{depth},{lr},{batch_size},{len(seeds)},"
                       + ",".join(f"{value:.6g}" for value in values) + f",{wins}\n")
    print(f"wrote {table}")
    plt = plotting.pyplot()
    if plt is not None:
        depths, rates, sizes = SWEEP["depth"], SWEEP["lr"], SWEEP["batch_size"]
        figure, axes = plt.subplots(1, len(sizes), figsize=(4.5 * len(sizes), 4), sharey=True,
                                    squeeze=False)
        axes = axes[0]
        limit = max(max(abs(r[3] - r[4]) for r in rows), 1e-6)  # one colour scale for all
        for axis, batch_size in zip(axes, sizes):
            cells = [[r for r in rows if r[0] == d and r[2] == batch_size] for d in depths]
            grid = np.array([[r[3] - r[4] for r in line] for line in cells])
            image = axis.imshow(grid, cmap="RdBu_r", vmin=-limit, vmax=limit)
            for (i, j), value in np.ndenumerate(grid):
                wins = f"\n{cells[i][j][7]}/{len(seeds)}" if len(seeds) > 1 else ""
                axis.text(j, i, f"{value:+.2f}{wins}", ha="center", va="center", fontsize=9,
                          color="white" if abs(value) > 0.6 * limit else "black")
            axis.set_xticks(range(len(rates)), [str(lr) for lr in rates])
            axis.set_yticks(range(len(depths)), [str(d) for d in depths])
            axis.set_xlabel("learning rate")
            axis.set_title(f"batch size {batch_size}")
        colorbar = figure.colorbar(image, ax=list(axes), shrink=0.8)
        colorbar.set_label("final loss with BN minus without BN")
        axes[0].set_ylabel("depth (hidden layers)")
        over = (f"mean over {cli.describe_seeds(seeds)}, below it the seeds where BN ends lower"
                if len(seeds) > 1 else cli.describe_seeds(seeds))
        figure.suptitle(f"Final training loss with BN minus without BN after {args.epochs} "
                        f"epoch{'s' if args.epochs > 1 else ''} ({over}; "
                        "blue: BatchNorm fits better)", fontsize=10)
        plotting.save(figure, args.out, "sweep_heatmap.png")
    return rows


def check_article_flags(parser, args):
    """``--article`` is the article's one run: its seed and settings, no sweep."""
    if args.sweep:
        parser.error("--article runs the article's single comparison, not the --sweep")
    if args.seeds not in (1, cli.DEFAULT_SEEDS):
        parser.error(f"--article runs one seed, got --seeds {args.seeds}")
    for name, value in ARTICLE.items():
        if getattr(args, name) != value:
            flag = "--" + name.replace("_", "-")
            parser.error(f"--article runs the article's {flag} {value}, got {flag} "
                         f"{getattr(args, name)} (one run with other settings: --seeds 1)")


def main(argv=None):
    parser = cli.make_parser(__doc__)
    parser.add_argument("--depth", type=int, default=ARTICLE["depth"], help="hidden layers")
    parser.add_argument("--lr", type=float, default=ARTICLE["lr"], help="Adam learning rate")
    parser.add_argument("--batch-size", type=int, default=ARTICLE["batch_size"],
                        help="batch size")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs per run (default: 50, or 10 per run with --sweep)")
    cli.add_seed_arguments(parser, ARTICLE["seed"], "the data, the weights and the shuffling")
    parser.add_argument("--article", action="store_true",
                        help="the article's exact run: one seed (42) with its settings, the "
                             "per-epoch losses of that seed alone (same as --seeds 1)")
    parser.add_argument("--sweep", action="store_true",
                        help="run the depth x lr x batch-size grid (27 settings of 10 epochs, "
                             "about 30 s per seed) instead of one comparison; --depth, --lr and "
                             "--batch-size are then ignored")
    plotting.add_out_argument(parser)
    args = parser.parse_args(argv)
    cli.require_positive(parser, args, "depth", "lr", "batch-size", "epochs", "seeds")
    if args.epochs is None:
        args.epochs = 10 if args.sweep else ARTICLE["epochs"]
    if args.article:
        check_article_flags(parser, args)
        args.seeds = 1
    if args.sweep:
        return {"sweep": sweep(args)}
    if cli.last_batch_of_one(N_SAMPLES, args.batch_size):
        print(cli.drop_last_note(N_SAMPLES, args.batch_size))
    seeds = cli.seed_list(args)
    start = time.perf_counter()
    with cli.progress(len(seeds), "seeds", unit="seed") if len(seeds) > 1 else (
            contextlib.nullcontext()) as bar:
        result = compare_seeds(seeds, args.depth, args.lr, args.batch_size, args.epochs,
                               progress=bar)
    result["seconds"] = time.perf_counter() - start
    print_table(result, args)
    result["plot"] = plot_losses(result, args)
    result["graph"] = draw_training_step(args)
    return result


if __name__ == "__main__":
    main()

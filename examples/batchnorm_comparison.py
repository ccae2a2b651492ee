"""The article's experiment: identical MLPs with and without BatchNorm1d, trained from the same
seed with Adam on 1,000 random samples (20 features, 5 classes). Prints both loss curves as a
table, writes the loss-curve plot and the graph of one training step.

    python examples/batchnorm_comparison.py [--depth 2] [--lr 0.01] [--batch-size 32]
                                            [--epochs 50] [--seed 42] [--out DIR]
    python examples/batchnorm_comparison.py --sweep      # depth x lr x batch-size grid

The flags test the article's claims: BatchNorm's benefit grows with depth and learning rate,
and it degrades with small batches. The labels are random, so "training loss" here measures
how easily each network fits (memorises) them. With the article's settings the network without
BatchNorm memorises faster (PyTorch 2.13 running the article's own code agrees: about 0.35 with
BN against 0.003 without after 50 epochs), contrary to the article's caption; see
examples/digits.py for a comparison on real data with held-out accuracy.
"""

import itertools
import os
import time

import numpy as np

import cli
import plotting
import tinygrad_bn as torch  # the training code below is the article's PyTorch code
import tinygrad_bn.nn as nn
import tinygrad_bn.optim as optim
from article_models import MLP
from tinygrad_bn import viz
from tinygrad_bn.utils.data import DataLoader, TensorDataset

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


def eval_loss(model, dataset):
    """Loss over the whole data set in eval mode (BatchNorm using its running statistics)."""
    model.eval()
    with torch.no_grad():
        X, y = dataset.tensors
        return nn.CrossEntropyLoss()(model(X), y).item()


def print_table(result, args):
    print(f"Training loss per epoch: MLP with vs without BatchNorm1d (depth {args.depth}, hidden "
          f"64, Adam lr {args.lr}, batch {args.batch_size}, {args.epochs} epochs, seed {args.seed})")
    print(f"{'epoch':>5}  {'with BN':>8}  {'without BN':>10}")
    for epoch, (a, b) in enumerate(zip(result["with_bn"], result["without_bn"]), start=1):
        print(f"{epoch:>5}  {a:>8.4f}  {b:>10.4f}")
    print(f"final loss: with BN {result['with_bn'][-1]:.4f}, without BN "
          f"{result['without_bn'][-1]:.4f}")
    print(f"loss on all 1,000 samples in eval mode: with BN {result['with_bn_eval_loss']:.4f}, "
          f"without BN {result['without_bn_eval_loss']:.4f}")
    print(f"wall time:  with BN {result['with_bn_seconds']:.2f} s, without BN "
          f"{result['without_bn_seconds']:.2f} s")


def plot_losses(result, args):
    plt = plotting.pyplot()
    if plt is None:
        return None
    figure, axis = plt.subplots(figsize=(7, 4))
    epochs = np.arange(1, len(result["with_bn"]) + 1)
    axis.plot(epochs, result["with_bn"], label="with BatchNorm1d", color="tab:blue")
    axis.plot(epochs, result["without_bn"], label="without BatchNorm", color="tab:orange")
    axis.set_xlabel("epoch")
    axis.set_ylabel("training loss (cross-entropy)")
    axis.set_title(f"Depth {args.depth}, Adam lr {args.lr}, batch {args.batch_size}")
    plotting.integer_ticks(axis)
    plotting.legend_beside(axis)
    axis.grid(alpha=0.3)
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
    """Every combination of depth, learning rate and batch size in SWEEP; a summary table
    (printed and written as CSV) and heat maps of final losses."""
    rows = []
    for batch_size in SWEEP["batch_size"]:
        if cli.last_batch_of_one(N_SAMPLES, batch_size):
            print(cli.drop_last_note(N_SAMPLES, batch_size))
    print(f"{'depth':>5} {'lr':>6} {'batch':>5}  {'with BN':>8} {'without BN':>10} "
          f"{'BN - plain':>10}", flush=True)
    grid = list(itertools.product(*SWEEP.values()))
    with cli.progress(len(grid), "sweep") as bar:
        for depth, lr, batch_size in grid:
            result = compare(depth, lr, batch_size, args.epochs, args.seed)
            row = (depth, lr, batch_size, result["with_bn"][-1], result["without_bn"][-1])
            rows.append(row)
            bar.update()
            bar.write(f"{depth:>5} {lr:>6} {batch_size:>5}  {row[3]:>8.4f} {row[4]:>10.4f} "
                      f"{row[3] - row[4]:>+10.4f}")
    os.makedirs(args.out, exist_ok=True)
    table = os.path.join(args.out, "sweep.csv")
    with open(table, "w") as file:
        file.write("depth,lr,batch_size,final_loss_with_bn,final_loss_without_bn\n")
        for row in rows:
            file.write(",".join(str(v) for v in row) + "\n")
    print(f"wrote {table}")
    plt = plotting.pyplot()
    if plt is not None:
        depths, rates, sizes = SWEEP["depth"], SWEEP["lr"], SWEEP["batch_size"]
        figure, axes = plt.subplots(1, len(sizes), figsize=(4.5 * len(sizes), 4), sharey=True,
                                    squeeze=False)
        axes = axes[0]
        limit = max(max(abs(r[3] - r[4]) for r in rows), 1e-6)  # one colour scale for all
        for axis, batch_size in zip(axes, sizes):
            grid = np.array([[r[3] - r[4] for r in rows if r[0] == d and r[2] == batch_size]
                             for d in depths])
            image = axis.imshow(grid, cmap="RdBu_r", vmin=-limit, vmax=limit)
            for (i, j), value in np.ndenumerate(grid):
                axis.text(j, i, f"{value:+.2f}", ha="center", va="center", fontsize=9,
                          color="white" if abs(value) > 0.6 * limit else "black")
            axis.set_xticks(range(len(rates)), [str(lr) for lr in rates])
            axis.set_yticks(range(len(depths)), [str(d) for d in depths])
            axis.set_xlabel("learning rate")
            axis.set_title(f"batch size {batch_size}")
        colorbar = figure.colorbar(image, ax=list(axes), shrink=0.8)
        colorbar.set_label("final loss with BN minus without BN")
        axes[0].set_ylabel("depth (hidden layers)")
        figure.suptitle(f"Final training loss with BN minus without BN after {args.epochs} "
                        f"epoch{'s' if args.epochs > 1 else ''} "
                        "(blue: BatchNorm fits better)")
        plotting.save(figure, args.out, "sweep_heatmap.png")
    return rows


def main(argv=None):
    parser = cli.make_parser(__doc__)
    parser.add_argument("--depth", type=int, default=2, help="hidden layers")
    parser.add_argument("--lr", type=float, default=0.01, help="Adam learning rate")
    parser.add_argument("--batch-size", type=int, default=32, help="batch size")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs per run (default: 50, or 10 per run with --sweep)")
    parser.add_argument("--seed", type=int, default=42, help="seed for data and weights")
    parser.add_argument("--sweep", action="store_true",
                        help="run the depth x lr x batch-size grid (27 runs of 10 epochs, about a "
                             "minute) instead of one comparison; --depth, --lr and --batch-size "
                             "are then ignored")
    plotting.add_out_argument(parser)
    args = parser.parse_args(argv)
    cli.require_positive(parser, args, "depth", "lr", "batch-size", "epochs")
    if args.epochs is None:
        args.epochs = 10 if args.sweep else 50
    if args.sweep:
        return {"sweep": sweep(args)}
    if cli.last_batch_of_one(N_SAMPLES, args.batch_size):
        print(cli.drop_last_note(N_SAMPLES, args.batch_size))
    result = compare(args.depth, args.lr, args.batch_size, args.epochs, args.seed)
    print_table(result, args)
    result["plot"] = plot_losses(result, args)
    result["graph"] = draw_training_step(args)
    return result


if __name__ == "__main__":
    main()

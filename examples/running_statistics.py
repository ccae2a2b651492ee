"""Running statistics: feed 100 (then 200) batches drawn from N(5, 2^2) to a batch-norm layer in
training mode and watch its running mean and variance approach 5 and 4, in the article's
convention and in tinygrad_bn's (PyTorch's) side by side.

    python examples/running_statistics.py [--out DIR]
"""

import numpy as np

from _shared import cli
from _shared import numpy_batchnorm
from _shared import plotting
import tinygrad_bn as tg
from tinygrad_bn import nn


def simulate(num_batches, num_features, batch_size=32):
    """The same seeded batches through the article's layer and through nn.BatchNorm1d; returns
    both layers and the per-batch history of feature 0."""
    article = numpy_batchnorm.RunningBatchNorm(num_features)  # alpha = 0.9, biased variance
    ours = nn.BatchNorm1d(num_features).double()              # momentum = 0.1, unbiased
    history = {key: [] for key in ("batch_mean", "batch_var", "article_mean", "article_var",
                                   "ours_mean", "ours_var")}
    np.random.seed(42)
    for _ in range(num_batches):
        batch = np.random.randn(batch_size, num_features) * 2 + 5  # mean 5, variance 4
        article(batch)
        ours(tg.tensor(batch))
        history["batch_mean"].append(batch[:, 0].mean())
        history["batch_var"].append(batch[:, 0].var())
        history["article_mean"].append(article.running_mean[0])
        history["article_var"].append(article.running_var[0])
        history["ours_mean"].append(ours.running_mean[0].item())
        history["ours_var"].append(ours.running_var[0].item())
    return article, ours, history


def main(argv=None):
    parser = cli.make_parser(__doc__)
    plotting.add_out_argument(parser)
    args = parser.parse_args(argv)

    article, ours, _ = simulate(100, 3)
    print("After 100 training batches (the article's convention: alpha = 0.9, biased variance):")
    print("  Running mean:", np.round(article.running_mean, 3))
    print("  Running var: ", np.round(article.running_var, 3))
    print("\nExpected (population statistics):")
    print("  Mean: ~5.0")
    print("  Var:  ~4.0")
    print("\ntinygrad_bn.nn.BatchNorm1d on the same batches (PyTorch's convention: momentum = 0.1,"
          " unbiased variance):")
    print("  running_mean:", np.round(ours.running_mean.numpy(), 3))
    print("  running_var: ", np.round(ours.running_var.numpy(), 3))
    print("The means agree; the variances differ because running_var averages the unbiased batch"
          " variance (divided by m - 1 = 31, not m = 32), so it comes out about 32/31 larger.")

    _, _, history = simulate(200, 1)
    plt = plotting.pyplot()
    if plt is not None:
        steps = np.arange(1, 201)
        for stat, truth, name in (("mean", 5.0, "running_mean"), ("var", 4.0, "running_var")):
            figure, axis = plt.subplots(figsize=(8, 4))
            axis.scatter(steps, history[f"batch_{stat}"], s=8, color="0.6", label=f"batch {stat}")
            axis.plot(steps, history[f"article_{stat}"], color="tab:blue",
                      label=f"running {stat}, article (alpha 0.9, biased)")
            axis.plot(steps, history[f"ours_{stat}"], color="tab:orange", linestyle="--",
                      label=f"running {stat}, tinygrad_bn (momentum 0.1, unbiased)")
            axis.axhline(truth, color="black", linewidth=0.8, linestyle=":",
                         label=f"population {stat} {truth}")
            axis.set_xlabel("training batch")
            axis.set_ylabel(stat)
            axis.set_title(f"Running {stat} convergence over 200 batches")
            plotting.integer_ticks(axis)
            plotting.legend_beside(axis, fontsize=8)
            plotting.save(figure, args.out, f"{name}.png")
    return {"article_mean": article.running_mean, "article_var": article.running_var,
            "ours_mean": ours.running_mean.numpy(), "ours_var": ours.running_var.numpy()}


if __name__ == "__main__":
    main()

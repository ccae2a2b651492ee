"""Batch statistics from scratch: normalise a small batch with NumPy and check each feature comes
out with mean 0 and standard deviation 1; histograms of a larger batch before and after.

    python examples/batch_statistics.py [--out DIR]
"""

import numpy as np

from _shared import cli
from _shared import numpy_batchnorm
from _shared import plotting
import tinygrad_bn as tg
from tinygrad_bn.nn import functional as F


def main(argv=None):
    parser = cli.make_parser(__doc__)
    plotting.add_out_argument(parser)
    args = parser.parse_args(argv)

    np.random.seed(42)
    x = np.random.randn(4, 3) * 5 + 10  # 4 samples, 3 features, mean ~10, std ~5
    out, _ = numpy_batchnorm.forward(x, np.ones(3), np.zeros(3))
    print("Input statistics:")
    print("  Mean per feature:", np.round(x.mean(axis=0), 2))
    print("  Std per feature: ", np.round(x.std(axis=0), 2))
    print("\nOutput statistics:")
    print("  Mean per feature:", np.round(out.mean(axis=0), 2))
    print("  Std per feature: ", np.round(out.std(axis=0), 6))
    ours = F.batch_norm(tg.tensor(x), None, None, training=True).numpy()
    difference = np.abs(ours - out).max()
    print(f"\ntinygrad_bn's batch_norm gives the same output (largest difference {difference:.1e})")

    np.random.seed(42)
    x_large = np.random.randn(1000, 3) * np.array([2, 5, 0.5]) + np.array([10, -3, 7])
    out_large, _ = numpy_batchnorm.forward(x_large, np.ones(3), np.zeros(3))
    plt = plotting.pyplot()
    if plt is not None:
        figure, axes = plt.subplots(2, 3, figsize=(11, 5.5), sharey="row")
        for feature in range(3):
            axes[0, feature].hist(x_large[:, feature], bins=40, color="tab:orange", alpha=0.8)
            axes[0, feature].set_title(f"Feature {feature + 1} before")
            axes[1, feature].hist(out_large[:, feature], bins=40, color="tab:blue", alpha=0.8)
            axes[1, feature].set_title(f"Feature {feature + 1} after (mean 0, std 1)")
        figure.suptitle("Activations before and after batch normalization")
        figure.tight_layout()
        plotting.save(figure, args.out, "batch_statistics.png")
    return {"input_mean": x.mean(axis=0), "input_std": x.std(axis=0),
            "output_mean": out.mean(axis=0), "output_std": out.std(axis=0),
            "tinygrad_bn_difference": difference}


if __name__ == "__main__":
    main()

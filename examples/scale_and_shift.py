"""Learnable scale and shift: after normalising, ``y = gamma * x_hat + beta`` has mean ``beta``
and standard deviation ``|gamma|``; a figure of four gamma/beta settings.

    python examples/scale_and_shift.py [--out DIR]
"""

import numpy as np

from _shared import cli
from _shared import numpy_batchnorm
from _shared import plotting
import tinygrad_bn as tg
from tinygrad_bn import nn

CONFIGS = [(1.0, 0.0, "Identity (γ=1, β=0)"), (2.0, 0.0, "Scale only (γ=2, β=0)"),
           (1.0, 3.0, "Shift only (γ=1, β=3)"), (0.5, -2.0, "Scale and shift (γ=0.5, β=-2)")]


def main(argv=None):
    parser = cli.make_parser(__doc__)
    plotting.add_out_argument(parser)
    args = parser.parse_args(argv)

    np.random.seed(42)
    x = np.random.randn(4, 3) * 5 + 10
    gamma, beta = np.array([2.0, 0.5, 3.0]), np.array([1.0, -1.0, 5.0])
    out, _ = numpy_batchnorm.forward(x, gamma, beta)
    print("With custom gamma and beta:")
    print("  gamma =", gamma)
    print("  beta =", beta)
    print("\nOutput statistics:")
    print("  Mean per feature:", np.round(out.mean(axis=0), 2))
    print("  Std per feature: ", np.round(out.std(axis=0), 2))

    layer = nn.BatchNorm1d(3).double()  # the same through tinygrad_bn's layer
    with tg.no_grad():  # set the parameters in place, outside the graph
        layer.weight.copy_(tg.tensor(gamma))
        layer.bias.copy_(tg.tensor(beta))
    ours = layer(tg.tensor(x)).detach().numpy()
    print(f"  tinygrad_bn.nn.BatchNorm1d with weight=gamma, bias=beta: mean "
          f"{np.round(ours.mean(axis=0), 2)}, std {np.round(ours.std(axis=0), 2)}")

    np.random.seed(42)
    x_demo = np.random.randn(2000, 1)  # already standard normal
    plt = plotting.pyplot()
    if plt is not None:
        figure, axis = plt.subplots(figsize=(8, 4.5))
        series = [(g * x_demo + b).ravel() for g, b, _ in CONFIGS]
        bins = np.linspace(min(map(np.min, series)), max(map(np.max, series)), 91)  # shared
        for (g, b, label), colour in zip(CONFIGS, ["tab:blue", "tab:red", "tab:green",
                                                    "tab:purple"]):
            values = (g * x_demo + b).ravel()
            # a light fill and a solid outline: where the series overlap every outline stays
            # visible (filled bars alone hid the identity behind the others)
            axis.hist(values, bins=bins, histtype="stepfilled", alpha=0.12, color=colour)
            axis.hist(values, bins=bins, histtype="step", linewidth=1.8, color=colour, label=label)
        axis.set_xlabel("activation")
        axis.set_title("γ stretches the normalised distribution, β moves it")
        plotting.legend_beside(axis)
        plotting.save(figure, args.out, "scale_and_shift.png")
    return {"output_mean": out.mean(axis=0), "output_std": out.std(axis=0), "module_output": ours}


if __name__ == "__main__":
    main()

"""Figures for the example scripts: matplotlib (the ``examples`` extra) when it is installed; when
it is not, the scripts still print every number and this module says what to install."""

import os

import numpy as np

INSTALL_HINT = 'matplotlib is not installed, so no figure was drawn (pip install -e ".[examples]")'


def pyplot():
    """``matplotlib.pyplot`` on the file-only Agg backend, or None (after saying so)."""
    try:
        import matplotlib
    except ImportError:
        print(INSTALL_HINT)
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(figure, out_dir, name):
    """Write ``figure`` to ``out_dir/name``, close it, say where, and return the path."""
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, name)
    figure.savefig(path, dpi=110, bbox_inches="tight")
    figure.clf()
    import matplotlib.pyplot as plt

    plt.close(figure)
    print(f"wrote {path}")
    return path


def add_out_argument(parser):
    parser.add_argument("--out", default="out", metavar="DIR", help="folder for the figures")


def integer_ticks(axis):
    """Whole numbers only on the x axis (epochs, batches): no tick at epoch 2.5."""
    from matplotlib.ticker import MaxNLocator

    axis.xaxis.set_major_locator(MaxNLocator(integer=True))


def legend_beside(axis, **kwargs):
    """The legend to the right of the axes, where it cannot cover a curve."""
    axis.legend(loc="upper left", bbox_to_anchor=(1.02, 1), borderaxespad=0, **kwargs)


def mean_and_band(axis, x, runs, label, color):
    """One configuration's runs (an array of shape (seeds, len(x))): their mean as a line and
    their min-max as a shaded band; a single run is drawn as a plain line."""
    runs = np.asarray(runs, dtype=np.float64)
    if len(runs) == 1:
        axis.plot(x, runs[0], label=label, color=color)
        return
    axis.plot(x, runs.mean(axis=0), label=f"{label}: mean", color=color)
    axis.fill_between(x, runs.min(axis=0), runs.max(axis=0), color=color, alpha=0.2, linewidth=0,
                      label=f"{label}: min-max")

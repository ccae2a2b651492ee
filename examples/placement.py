"""Placement: BatchNorm before the activation (with bias-free Linear layers, its beta doing the
bias's job) or after it; the two models' parameter counts, layer by layer.

    python examples/placement.py
"""

from _shared import cli
import tinygrad_bn as tg
from tinygrad_bn import nn


def models():
    before = nn.Sequential(
        nn.Linear(256, 128, bias=False), nn.BatchNorm1d(128), nn.ReLU(),
        nn.Linear(128, 64, bias=False), nn.BatchNorm1d(64), nn.ReLU(),
        nn.Linear(64, 10),
    )
    after = nn.Sequential(
        nn.Linear(256, 128), nn.ReLU(), nn.BatchNorm1d(128),
        nn.Linear(128, 64), nn.ReLU(), nn.BatchNorm1d(64),
        nn.Linear(64, 10),
    )
    return before, after


def count(model):
    return sum(p.numel() for p in model.parameters())


def main(argv=None):
    parser = cli.make_parser(__doc__)
    parser.parse_args(argv)
    before, after = models()
    print("Parameter count comparison:")
    print(f"  BN before activation: {count(before):,}")
    print(f"  BN after activation:  {count(after):,}")
    print(f"The difference, {count(after) - count(before)}, is the biases of the two hidden Linear"
          " layers (128 + 64), which BN's beta makes redundant when BN follows them.")
    for name, model in (("before", before), ("after", after)):
        rows = ", ".join(f"{n}: {p.numel()}" for n, p in model.named_parameters())
        print(f"  {name}: {rows}")
    x = tg.randn(32, 256)
    print(f"Both map a batch of shape {tuple(x.shape)} to {tuple(before(x).shape)} and "
          f"{tuple(after(x).shape)}.")
    return {"before": count(before), "after": count(after)}


if __name__ == "__main__":
    main()

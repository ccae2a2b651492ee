"""Training with BatchNorm, then inspecting what it learned: the article's MLP trained with Adam
(lr 0.01, batch 32) on its synthetic data; the loss curve, and the first BatchNorm layer's
learned scale (gamma), shift (beta) and running statistics.

    python examples/training_with_batchnorm.py [--epochs 50] [--seed 42] [--out DIR]
"""

import numpy as np

from _shared import cli
from _shared import plotting
from _shared.article_models import MLPWithBatchNorm
from batchnorm_comparison import make_loader, train_model


def main(argv=None):
    parser = cli.make_parser(__doc__)
    parser.add_argument("--epochs", type=int, default=50, help="training epochs")
    parser.add_argument("--seed", type=int, default=42, help="seed for the data, the weights and the shuffling")
    plotting.add_out_argument(parser)
    args = parser.parse_args(argv)
    cli.require_positive(parser, args, "epochs")

    train_loader = make_loader(args.seed, batch_size=32)
    model = MLPWithBatchNorm(input_dim=20, hidden_dim=64, output_dim=5)
    losses = train_model(model, train_loader, epochs=args.epochs, lr=0.01)
    print(f"Training loss: epoch 1 {losses[0]:.3f}, epoch {args.epochs} {losses[-1]:.3f}")

    model.eval()  # from here on BatchNorm uses its running statistics
    bn = model.bn1
    stats = {
        "gamma_mean": bn.weight.data.mean().item(), "gamma_std": bn.weight.data.std().item(),
        "beta_mean": bn.bias.data.mean().item(), "beta_std": bn.bias.data.std().item(),
        "running_mean": bn.running_mean.mean().item(), "running_var": bn.running_var.mean().item(),
    }
    print("Batch Normalization Layer 1 statistics:")
    print(f"  Gamma (scale): mean={stats['gamma_mean']:.3f}, std={stats['gamma_std']:.3f}")
    print(f"  Beta (shift):  mean={stats['beta_mean']:.3f}, std={stats['beta_std']:.3f}")
    print(f"  Running mean:  mean={stats['running_mean']:.3f}")
    print(f"  Running var:   mean={stats['running_var']:.3f}")
    print(f"  Batches tracked: {bn.num_batches_tracked.item()}")

    plt = plotting.pyplot()
    if plt is not None:
        figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
        left.plot(np.arange(1, len(losses) + 1), losses, color="tab:blue")
        left.set_xlabel("epoch")
        left.set_ylabel("training loss")
        left.set_title("MLP with BatchNorm1d")
        plotting.integer_ticks(left)
        right.hist(bn.weight.detach().numpy(), bins=20, alpha=0.7, label="gamma (scale)")
        right.hist(bn.bias.detach().numpy(), bins=20, alpha=0.7, label="beta (shift)")
        right.set_title("Learned parameters of bn1 (64 channels)")
        right.set_xlabel("value")
        right.set_ylabel("channels")
        plotting.legend_beside(right)
        plotting.save(figure, args.out, "training_with_batchnorm.png")
    return {"losses": losses, **stats}


if __name__ == "__main__":
    main()

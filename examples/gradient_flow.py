"""Gradient flow: the closed-form backward pass of batch normalization checked against a
central finite difference at x[0, 0], and against tinygrad_bn's autograd through BatchNorm1d
(the fused node) and through primitive ops: the numbers agree.

    python examples/gradient_flow.py
"""

import numpy as np

from _shared import cli
from _shared import numpy_batchnorm
import tinygrad_bn as tg
from tinygrad_bn import nn
from tinygrad_bn.nn import functional as F


def main(argv=None):
    parser = cli.make_parser(__doc__)
    parser.parse_args(argv)

    np.random.seed(42)
    x = np.random.randn(4, 3)
    gamma = np.random.randn(3)
    beta = np.random.randn(3)
    out, saved = numpy_batchnorm.forward(x, gamma, beta)
    grad_out = np.random.randn(*out.shape)  # a stand-in for dL/dy from the layers above
    grad_x, _, _ = numpy_batchnorm.backward(grad_out, saved)

    step = 1e-5
    x_plus, x_minus = x.copy(), x.copy()
    x_plus[0, 0] += step
    x_minus[0, 0] -= step
    out_plus = numpy_batchnorm.forward(x_plus, gamma, beta)[0]
    out_minus = numpy_batchnorm.forward(x_minus, gamma, beta)[0]
    # Difference the outputs before weighting them: subtracting two nearly equal summed losses
    # would cancel more digits (the relative error would be ~7e-11 instead of ~2e-12).
    numerical = ((out_plus - out_minus) * grad_out).sum() / (2 * step)
    analytical = grad_x[0, 0]
    relative_error = abs(analytical - numerical) / max(abs(analytical), abs(numerical))

    layer = nn.BatchNorm1d(3).double()  # the fused node, closed-form backward
    with tg.no_grad():  # set the parameters in place, outside the graph
        layer.weight.copy_(tg.tensor(gamma))
        layer.bias.copy_(tg.tensor(beta))
    x_fused = tg.tensor(x, requires_grad=True)
    layer(x_fused).backward(tg.tensor(grad_out))
    x_composed = tg.tensor(x, requires_grad=True)  # the same from primitive ops, autograd's chain
    F.batch_norm(x_composed, None, None, tg.tensor(gamma), tg.tensor(beta), training=True,
                 fused=False).backward(tg.tensor(grad_out))

    print("Gradient check for dx[0, 0]:")
    print(f"  Analytical: {analytical:.6f}")
    print(f"  Numerical:  {numerical:.6f}")
    print(f"  Relative error: {relative_error:.2e}")
    print(f"  tinygrad_bn autograd, fused BatchNorm1d:  {x_fused.grad[0, 0].item():.6f}")
    print(f"  tinygrad_bn autograd, primitive ops:      {x_composed.grad[0, 0].item():.6f}")
    whole = np.abs(x_fused.grad.numpy() - grad_x).max()
    print(f"  (all of dx agrees with the closed form to {whole:.1e})")
    return {"analytical": analytical, "numerical": numerical, "relative_error": relative_error,
            "fused": x_fused.grad.numpy(), "composed": x_composed.grad.numpy(), "closed_form": grad_x}


if __name__ == "__main__":
    main()

"""``tinygrad_bn.special``, PyTorch's ``torch.special``: the real-valued special functions.

Each name is the one implementation the package has of its function (``special.gammaln`` is
``tinygrad_bn.lgamma``, ``special.expit`` is ``sigmoid``, ``special.psi`` is ``digamma``);
those only ``torch.special`` has (``i0e``, ``i1``, ``i1e``, ``erfcx``, ``ndtr``, ``ndtri``,
``log_ndtr``, ``entr``, ``xlog1py``, ``zeta``) live in ``tensor/special.py``. The functions take
``out=`` as PyTorch's do. Not here: the orthogonal polynomials and the Bessel functions
``j0``/``j1``/``y0``/``y1``/``k0``/``k1`` and ``airy_ai``.
"""

from . import (
    digamma, erf, erfc, erfinv, exp2, expm1, i0, igamma, igammac, lgamma, log1p, logit,
    mvlgamma, polygamma, round, sigmoid, sinc, xlogy,
)
from .tensor import out_argument as _out
from .tensor import special as _special

__all__ = [
    "digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "gammainc",
    "gammaincc", "gammaln", "i0", "i0e", "i1", "i1e", "log1p", "log_ndtr", "log_softmax",
    "logit", "logsumexp", "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round",
    "sinc", "softmax", "xlog1py", "xlogy", "zeta",
]

expit = sigmoid
gammaln = lgamma
psi = digamma
multigammaln = mvlgamma
gammainc = igamma
gammaincc = igammac
i0e = _out.with_out(_special.i0e, dtype=_out.CAST)
i1 = _out.with_out(_special.i1, dtype=_out.CAST)
i1e = _out.with_out(_special.i1e, dtype=_out.CAST)
erfcx = _out.with_out(_special.erfcx, dtype=_out.CAST)
ndtr = _out.with_out(_special.ndtr, dtype=_out.CAST)
ndtri = _out.with_out(_special.ndtri, dtype=_out.CAST)
log_ndtr = _out.with_out(_special.log_ndtr, dtype=_out.CAST)
entr = _out.with_out(_special.entr, dtype=_out.CAST)
xlog1py = _out.with_out(_special.xlog1py, dtype=_out.CAST)
zeta = _out.with_out(_special.zeta, dtype=_out.CAST)


def softmax(input, dim, *, dtype=None):
    """``Tensor.softmax``: ``exp(x) / sum(exp(x), dim)``, computed in ``dtype`` when given."""
    return input.softmax(dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    """``Tensor.log_softmax``: ``x - logsumexp(x, dim)``, computed in ``dtype`` when given."""
    return input.log_softmax(dim, dtype=dtype)


def logsumexp(input, dim, keepdim=False):
    """``Tensor.logsumexp``: ``log(sum(exp(x), dim))`` without overflow."""
    return input.logsumexp(dim, keepdim=keepdim)

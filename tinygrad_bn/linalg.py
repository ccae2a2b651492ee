"""``tinygrad_bn.linalg``: PyTorch's norms, ``vector_norm``, ``matrix_norm`` and ``norm``.

Vector norms are one ``Norm`` op (see ``ops.reduce.Norm``); the matrix norms of order
``"fro"``, ``1``, ``-1``, ``inf`` and ``-inf`` are compositions of ``abs``, ``sum`` and
``amax``/``amin``, so they are differentiable. The norms defined by singular values (``2``,
``-2``, ``"nuc"``) are not implemented: they raise ``NotImplementedError``.
"""

import math

from .shapes import normalize_dim

_SINGULAR_VALUE_ORDERS = (2, -2, "nuc")


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """``sum(|x|**ord) ** (1/ord)`` over ``dim`` (all elements when None); ``ord=inf`` is
    ``max |x|``, ``-inf`` ``min |x|``, ``0`` the count of nonzeros. Floating tensors only;
    computed in ``dtype`` when given."""
    if isinstance(ord, str):
        raise TypeError("linalg_vector_norm(): argument 'ord' must be Number, not str")
    return x._vector_norm(ord, dim, keepdim, dtype)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """The norm of the matrices in dims ``dim`` of ``A``: ``"fro"`` (the square root of the sum
    of squares), ``1``/``-1`` (the largest/smallest column sum of ``|A|``), ``inf``/``-inf``
    (the largest/smallest row sum)."""
    if ord not in ("fro", 1, -1, math.inf, -math.inf) + _SINGULAR_VALUE_ORDERS:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    source = A._norm_input(dtype, "linalg.matrix_norm")
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    if len(dims) != 2:
        raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got "
                           + " ".join(map(str, dims)))
    rows, columns = (normalize_dim(d, A.ndim) for d in dims)
    if rows == columns:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dims[0]}, "
                           f"{dims[1]})")
    if ord in _SINGULAR_VALUE_ORDERS:
        raise NotImplementedError(
            f"linalg.matrix_norm: ord={ord!r} needs singular values, which tinygrad_bn does not "
            "compute; ord 'fro', 1, -1, inf and -inf are implemented")
    if ord == "fro":
        return vector_norm(source, 2, (rows, columns), keepdim)
    if math.isinf(ord):  # row sums instead of column sums
        rows, columns = columns, rows
    sums = source.abs().sum(dim=rows, keepdim=True)
    result = sums.amax(dim=columns, keepdim=True) if ord > 0 else sums.amin(dim=columns,
                                                                           keepdim=True)
    return result if keepdim else result.squeeze((rows, columns))


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """PyTorch's ``linalg.norm``: a vector norm over one dim (or over all elements when neither
    ``ord`` nor ``dim`` is given), a matrix norm over two dims (a 2-D input without ``dim``, or
    a string ``ord``)."""
    if dim is not None:
        dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
        if len(dims) == 2 or isinstance(ord, str):
            return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
        if len(dims) == 1:
            return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
        raise RuntimeError("linalg.norm: If dim is specified, it must be of length 1 or 2. Got "
                           f"{list(dims)}")
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.ndim not in (1, 2):
        raise RuntimeError("linalg.norm: If dim is not specified but ord is, the input must be "
                           f"1D or 2D. Got {A.ndim}D.")
    if isinstance(ord, str) or A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    return vector_norm(A, ord, None, keepdim, dtype=dtype)

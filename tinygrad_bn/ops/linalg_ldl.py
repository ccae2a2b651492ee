"""The LDL^T factorization of symmetric matrices with Bunch-Kaufman pivoting (LAPACK's ``sytrf``,
which NumPy does not expose) and its solve (``sytrs``): the kernels of ``torch.linalg.ldl_factor``,
``ldl_factor_ex`` and ``ldl_solve``, which PyTorch does not differentiate either.

Written after LAPACK's unblocked ``dsytf2`` and ``dsytrs`` for the lower triangle (PyTorch's
choice), one matrix at a time, in the same order of operations, so the pivots (1 x 1 and 2 x 2
blocks) are LAPACK's. The packed result is LAPACK's: ``D``'s blocks on the diagonal (and first
subdiagonal), the multipliers of ``L`` below; pivots 1-based, ``k`` for a 1 x 1 block whose
row and column ``k`` were interchanged with those given, ``-p`` on both rows of a 2 x 2 block
whose second row was interchanged with ``p``. MKL's blocked ``sytrf`` agrees with this on
matrices narrower than its block; on larger ones it may choose other pivots.
"""

import math

import numpy as np

_ALPHA = (1 + math.sqrt(17.0)) / 8  # Bunch-Kaufman's growth bound


def _ldl_one(a):
    """``dsytf2`` (lower) on one symmetric matrix: (packed factors, 1-based pivots, info)."""
    a = np.tril(a).astype(a.dtype)  # only the lower triangle is read and written
    n = a.shape[0]
    pivots = np.zeros(n, np.int32)
    info = 0
    k = 0
    while k < n:
        step = 1
        absakk = abs(a[k, k])
        if k < n - 1:
            imax = k + 1 + int(np.argmax(np.abs(a[k + 1:, k])))
            colmax = abs(a[imax, k])
        else:
            imax, colmax = k, 0.0
        if max(absakk, colmax) == 0 or np.isnan(absakk):
            info = info or k + 1
            kp = k
        else:
            if absakk >= _ALPHA * colmax:
                kp = k
            else:
                row = np.abs(a[imax, k:imax])  # row imax left of the diagonal
                rowmax = row.max() if row.size else 0.0
                if imax < n - 1:
                    rowmax = max(rowmax, np.abs(a[imax + 1:, imax]).max())
                if absakk >= _ALPHA * colmax * (colmax / rowmax):
                    kp = k
                elif abs(a[imax, imax]) >= _ALPHA * rowmax:
                    kp = imax
                else:
                    kp, step = imax, 2
            kk = k + step - 1
            if kp != kk:  # interchange rows and columns kk and kp of the trailing matrix
                if kp < n - 1:
                    a[kp + 1:, [kk, kp]] = a[kp + 1:, [kp, kk]]
                between = a[kk + 1:kp, kk].copy()
                a[kk + 1:kp, kk] = a[kp, kk + 1:kp]
                a[kp, kk + 1:kp] = between
                a[kk, kk], a[kp, kp] = a[kp, kp], a[kk, kk]
                if step == 2:
                    a[k + 1, k], a[kp, k] = a[kp, k], a[k + 1, k]
            if step == 1:
                if k < n - 1:
                    d11 = 1 / a[k, k]
                    x = a[k + 1:, k].copy()
                    a[k + 1:, k + 1:] -= np.tril(d11 * np.outer(x, x))
                    a[k + 1:, k] *= d11
            elif k < n - 2:
                d21 = a[k + 1, k]
                d11 = a[k + 1, k + 1] / d21
                d22 = a[k, k] / d21
                t = 1 / (d11 * d22 - 1)
                d21 = t / d21
                wk = d21 * (d11 * a[k + 2:, k] - a[k + 2:, k + 1])
                wkp1 = d21 * (d22 * a[k + 2:, k + 1] - a[k + 2:, k])
                a[k + 2:, k + 2:] -= np.tril(np.outer(a[k + 2:, k], wk)
                                             + np.outer(a[k + 2:, k + 1], wkp1))
                a[k + 2:, k], a[k + 2:, k + 1] = wk, wkp1
        if step == 1:
            pivots[k] = kp + 1
        else:
            pivots[k] = pivots[k + 1] = -(kp + 1)
        k += step
    return a, pivots, info


def ldl_factor(a):
    """``sytrf`` (lower) on each symmetric matrix of ``a`` (..., n, n): the packed factors, the
    pivots (..., n) and ``info`` (the first zero diagonal block, 1-based, else 0)."""
    *batch, n, _ = a.shape
    count = math.prod(batch)
    factors, pivots = np.zeros((count, n, n), a.dtype), np.zeros((count, n), np.int32)
    infos = np.zeros(count, np.int32)
    for index, matrix in enumerate(a.reshape(count, n, n)):
        factors[index], pivots[index], infos[index] = _ldl_one(matrix)
    return factors.reshape(a.shape), pivots.reshape(*batch, n), infos.reshape(batch)


def _ldl_solve_one(a, pivots, b):
    """``dsytrs`` (lower): ``X`` with ``A X = B`` from one packed factorization."""
    b = b.copy()
    n = a.shape[0]
    k = 0
    while k < n:  # L D X = B
        if pivots[k] > 0:
            kp = pivots[k] - 1
            if kp != k:
                b[[k, kp]] = b[[kp, k]]
            b[k + 1:] -= np.outer(a[k + 1:, k], b[k])
            b[k] /= a[k, k]
            k += 1
        else:
            kp = -pivots[k] - 1
            if kp != k + 1:
                b[[k + 1, kp]] = b[[kp, k + 1]]
            if k < n - 2:
                b[k + 2:] -= np.outer(a[k + 2:, k], b[k])
                b[k + 2:] -= np.outer(a[k + 2:, k + 1], b[k + 1])
            akm1k = a[k + 1, k]
            akm1, ak = a[k, k] / akm1k, a[k + 1, k + 1] / akm1k
            denom = akm1 * ak - 1
            bkm1, bk = b[k] / akm1k, b[k + 1] / akm1k
            b[k], b[k + 1] = (ak * bkm1 - bk) / denom, (akm1 * bk - bkm1) / denom
            k += 2
    k = n - 1
    while k >= 0:  # L^T X = B
        if pivots[k] > 0:
            if k < n - 1:
                b[k] -= a[k + 1:, k] @ b[k + 1:]
            kp = pivots[k] - 1
            if kp != k:
                b[[k, kp]] = b[[kp, k]]
            k -= 1
        else:
            if k < n - 1:
                b[k] -= a[k + 1:, k] @ b[k + 1:]
                b[k - 1] -= a[k + 1:, k - 1] @ b[k + 1:]
            kp = -pivots[k] - 1
            if kp != k:
                b[[k, kp]] = b[[kp, k]]
            k -= 2
    return b


def ldl_solve(factors, pivots, b):
    """``sytrs`` (lower) for each packed factorization and right-hand side (..., n, k), the
    batch dims broadcast."""
    n = factors.shape[-1]
    batch = np.broadcast_shapes(factors.shape[:-2], pivots.shape[:-1], b.shape[:-2])
    count = math.prod(batch)
    factors = np.broadcast_to(factors, (*batch, n, n)).reshape(count, n, n)
    pivots = np.broadcast_to(pivots, (*batch, n)).reshape(count, n)
    rhs = np.broadcast_to(b, (*batch, *b.shape[-2:]))
    out = np.empty(rhs.shape, np.result_type(factors, b))
    flat_out, flat_rhs = out.reshape(count, *b.shape[-2:]), rhs.reshape(count, *b.shape[-2:])
    for index in range(count):
        flat_out[index] = _ldl_solve_one(factors[index], pivots[index], flat_rhs[index])
    return out

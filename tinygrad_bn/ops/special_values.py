"""Vectorised float64 kernels of the special functions NumPy lacks: ``lgamma``, ``digamma``,
``trigamma``, the Hurwitz ``zeta`` (and from it ``polygamma``), the modified Bessel functions
``i0``/``i0e``/``i1``/``i1e``, ``erfcx``, ``ndtri``, ``log_ndtr`` and the regularised incomplete
gamma functions. Each takes and returns float64 arrays; the ops in ``special.py`` round the
result to their input's dtype once.

Where PyTorch's CPU kernel follows a published algorithm (Cephes for ``digamma``, ``zeta``, the
Bessel functions and ``ndtri``) the same algorithm and coefficients are used (Cephes Math
Library, Stephen L. Moshier, 3-clause BSD), so that float64 results agree to the last bit or
two, including PyTorch's values at poles, zeros and infinities. ``lgamma`` (PyTorch calls the C
library's) is our own: Taylor series about 1 and 2, the recurrence down to them below 15,
Stirling's series above, the reflection formula below 0; it agrees with ``math.lgamma`` to a
few ulp (tests/test_special_functions.py measures it). No scipy, no Python loop per element:
the iterative algorithms (``zeta``, the incomplete gamma series and continued fraction) iterate
over whole arrays, each element leaving the loop when it has converged.
"""

import math

import numpy as np

from .elementwise import _erfc

MACHEP = 1.11022302462515654042e-16
EULER = 0.57721566490153286061


def erfc_values(x):
    """``erfc`` of a float64 array (Python's ``math.erfc``, elementwise)."""
    return np.asarray(_erfc(x), dtype=np.float64)


def _polevl(x, coefficients):
    """``sum c_i x^(n-i)``, highest power first (Horner)."""
    result = np.zeros_like(x)
    for c in coefficients:
        result = result * x + c
    return result


def _chbevl(x, coefficients):
    """A Chebyshev series at ``x`` (Clenshaw's recurrence, Cephes' ``chbevl``)."""
    b0, b1, b2 = np.full_like(x, coefficients[0]), np.zeros_like(x), np.zeros_like(x)
    for c in coefficients[1:]:
        b2, b1 = b1, b0
        b0 = x * b1 - b2 + c
    return 0.5 * (b0 - b2)


# ---------------------------------------------------------------------------- lgamma


def _hurwitz_one(k):
    """``zeta(k)`` for an integer ``k >= 2`` in float64 (at import time): the direct sum below
    1000 plus the Euler-Maclaurin tail, exact to rounding."""
    n = 1000
    total = math.fsum(np.arange(1.0, n) ** -k)
    tail = n ** (1 - k) / (k - 1) + 0.5 * n ** -k + k * n ** (-k - 1) / 12 \
        - k * (k + 1) * (k + 2) * n ** (-k - 3) / 720
    return total + tail


_SERIES_TERMS = 60
# lgamma(1 + t) = -EULER t + sum_{k>=2} (-1)^k zeta(k) t^k / k, for |t| <= 1/2 (60 terms leave
# a remainder below 1e-19 there); highest power first for Horner.
_LGAMMA1_SERIES = [(-1) ** k * _hurwitz_one(k) / k for k in range(_SERIES_TERMS, 1, -1)] + \
    [-EULER, 0.0]
# Stirling: lgamma(z) = (z - 1/2) log z - z + log(2 pi)/2 + sum B_2k / (2k (2k-1) z^(2k-1))
_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156,
             -3617 / 122400)
_HALF_LOG_TWO_PI = 0.5 * math.log(2 * math.pi)


def _lgamma_series(t):
    """``lgamma(1 + t)`` for ``|t| <= 1/2``: the Taylor series, relative accuracy kept near
    the zero at ``t = 0``."""
    return _polevl(t, _LGAMMA1_SERIES)


def _sinpi(x):
    """``sin(pi x)`` with the argument reduced exactly (``x mod 2``) first, so it is 0 at the
    integers and accurate for large ``x``."""
    r = np.remainder(x, 2.0)
    return np.where(r <= 0.5, np.sin(math.pi * r),
                    np.where(r <= 1.5, np.sin(math.pi * (1.0 - r)), np.sin(math.pi * (r - 2.0))))


def _lgamma_positive(z):
    """``lgamma(z)`` for ``z > 0`` (inf and nan pass through)."""
    out = np.empty_like(z)
    small = z < 0.5                 # lgamma(z) = lgamma(1 + z) - log(z)
    out[small] = _lgamma_series(z[small]) - np.log(z[small])
    near_one = (z >= 0.5) & (z <= 1.5)
    out[near_one] = _lgamma_series(z[near_one] - 1.0)
    near_two = (z > 1.5) & (z <= 2.5)  # lgamma(2 + t) = lgamma(1 + t) + log1p(t)
    t = z[near_two] - 2.0
    out[near_two] = _lgamma_series(t) + np.log1p(t)
    middle = (z > 2.5) & (z < 15.0)   # down to (1.5, 2.5]: lgamma(z) = lgamma(z - n) + log prod
    if middle.any():
        w = z[middle]
        steps = np.ceil(w - 2.5)
        product = np.ones_like(w)
        for k in range(1, int(steps.max()) + 1):
            shift = k <= steps
            product = np.where(shift, product * (w - k), product)
        t = w - steps - 2.0
        out[middle] = _lgamma_series(t) + np.log1p(t) + np.log(product)
    large = z >= 15.0                 # Stirling's series (nan and inf land here or nowhere)
    if large.any():
        w = z[large]
        with np.errstate(over="ignore", invalid="ignore"):
            inverse = 1.0 / w
            correction = inverse * _polevl(inverse * inverse, _STIRLING[::-1])
            log_w = np.log(w)
            out[large] = w * (log_w - 1.0) - 0.5 * log_w + _HALF_LOG_TWO_PI + correction
    other = ~(small | near_one | near_two | middle | large)  # nan
    out[other] = z[other]
    return out


def lgamma_values(x):
    """``log |Gamma(x)|``: inf at 0, the negative integers and +-inf (PyTorch's), nan at nan.
    At and below 0 the reflection formula ``log(pi / |sin(pi x)|) - lgamma(1 - x)``."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        reflect = x <= 0
        result = _lgamma_positive(np.where(reflect, 1.0 - x, x))
        reflected = math.log(math.pi) - np.log(np.abs(_sinpi(x))) - result
        out = np.where(reflect, reflected, result)
        pole = reflect & (x == np.floor(x))
        return np.where(pole | np.isinf(x), np.inf, out)


# ---------------------------------------------------------------------------- digamma, zeta

_PSI_10 = 2.25175258906672110764
_DIGAMMA_ASYMPTOTIC = (8.33333333333333333333e-2, -2.10927960927960927961e-2,
                       7.57575757575757575758e-3, -4.16666666666666666667e-3,
                       3.96825396825396825397e-3, -8.33333333333333333333e-3,
                       8.33333333333333333333e-2)


def _digamma_positive(x):
    """``digamma(x)`` for ``x > 0``, Cephes' ``psi`` as PyTorch's ``calc_digamma``: the
    recurrence ``psi(x) = psi(x + 1) - 1/x`` up to 10, then the asymptotic series."""
    result = np.zeros_like(x)
    x = x.copy()
    for _ in range(10):
        below = x < 10
        if not below.any():
            break
        result = np.where(below, result - 1 / x, result)
        x = np.where(below, x + 1, x)
    z = 1.0 / (x * x)
    y = np.where(x < 1.0e17, z * _polevl(z, _DIGAMMA_ASYMPTOTIC), 0.0)
    out = result + np.log(x) - 0.5 / x - y
    return np.where(x == 10, result + _PSI_10, out)


def digamma_values(x):
    """``digamma(x) = d/dx lgamma(x)``: ``-inf`` at +0 and ``+inf`` at -0 (C's and PyTorch's
    convention), nan at the negative integers and -inf; below 0 the reflection formula
    ``psi(1 - x) - pi / tan(pi r)`` with ``r`` the fractional part of ``x``."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        negative = x < 0
        r = x - np.trunc(x)
        z = np.where(negative, 1.0 - x, x)
        out = _digamma_positive(np.where(x == 0, 1.0, z))
        out = np.where(negative, out - math.pi / np.tan(math.pi * r), out)
        out = np.where(negative & (r == 0), np.nan, out)
        return np.where(x == 0, np.copysign(np.inf, -x), out)


def trigamma_values(x):
    """``polygamma(1, x)``, PyTorch's ``trigamma``: six steps of ``psi'(x) = psi'(x + 1) +
    1/x^2``, then the asymptotic series; below 1/2 the reflection ``pi^2 / sin^2(pi x) -
    psi'(1 - x)``. Computed in ``x``'s own dtype (float32 or float64), as PyTorch's kernel: its
    float32 results near the poles come from ``sin(pi x)`` rounded in float32 (``1.29e15`` at
    -1, not the ``6.6e32`` of float64), and these agree with them."""
    x = np.asarray(x)
    scalar = x.dtype.type
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        reflect = x < 0.5
        sin_pi_x = np.sin(scalar(math.pi) * x)
        result = np.where(reflect, -scalar(math.pi * math.pi) / (sin_pi_x * sin_pi_x), scalar(0))
        x = np.where(reflect, 1 - x, x)
        for _ in range(6):
            result = result + 1 / (x * x)
            x = x + 1
        ixx = 1 / (x * x)
        series = 1 + 1 / (2 * x) + ixx * (scalar(1 / 6) - ixx * (scalar(1 / 30)
                                                                 - ixx * scalar(1 / 42)))
        result = result + series / x
        return np.where(reflect, -result, result)


_ZETA_A = (12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9,
           7.47242496e10, -2.950130727918164224e12, 1.1646782814350067249e14,
           -4.5979787224074726105e15, 1.8152105401943546773e17, -7.1661652561756670113e18)


def zeta_values(x, q):
    """The Hurwitz zeta function ``sum_k (k + q)^-x`` (Cephes' ``zeta``, as PyTorch's): the
    direct sum for at least nine terms and until ``k + q > 9``, then the Euler-Maclaurin
    tail. inf at ``x = 1`` and at ``q`` a non-positive integer, nan for ``x < 1`` and for ``q
    < 0`` with ``x`` not an integer."""
    x, q = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(q, dtype=np.float64))
    out = np.full(x.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # Cephes' order of tests: x = 1 (inf), x < 1 (nan), then q a pole (inf) or q < 0 with x
        # not an integer (nan)
        q_pole = (q <= 0) & (q == np.floor(q))
        pole = (x == 1) | ((x > 1) & q_pole)
        invalid = (x < 1) | ((q <= 0) & ~q_pole & (x != np.floor(x)))
        out[pole] = np.inf
        active = ~(pole | invalid | np.isnan(x) | np.isnan(q))
        x, q = x[active], q[active]
        s = q ** -x
        a = q.copy()
        b = np.zeros_like(q)
        done = np.zeros(q.shape, dtype=bool)
        result = np.zeros_like(q)
        step = 0
        while True:
            running = ~done & ((step < 9) | (a <= 9.0))
            if not running.any():
                break
            step += 1
            a = np.where(running, a + 1, a)
            b = np.where(running, a ** -x, b)
            s = np.where(running, s + b, s)
            converged = running & (-MACHEP * s < b) & (b < MACHEP * s)
            result[converged] = s[converged]
            done |= converged
        w = a
        s = np.where(done, s, s + b * w / (x - 1) - 0.5 * b)
        a = np.ones_like(q)
        k = 0.0
        for coefficient in _ZETA_A:
            running = ~done
            if not running.any():
                break
            a = a * (x + k)
            b = b / w
            t = a * b / coefficient
            s = np.where(running, s + t, s)
            converged = running & (np.abs(t / s) < MACHEP)
            result[converged] = s[converged]
            done |= converged
            k += 1.0
            a = a * (x + k)
            b = b / w
            k += 1.0
        result[~done] = s[~done]
        out[active] = result
    return out


def polygamma_values(n, x):
    """``polygamma(n, x)``, the n-th derivative of ``digamma``: ``digamma`` for ``n = 0``,
    ``trigamma`` for 1, ``(-1)^(n+1) n! zeta(n + 1, x)`` above (PyTorch's formulas)."""
    if n == 0:
        return digamma_values(x)
    if n == 1:
        return trigamma_values(x).astype(np.float64, copy=False)
    factorial = float(math.factorial(n)) if n <= 170 else math.inf
    with np.errstate(invalid="ignore", over="ignore"):
        return (1.0 if n % 2 else -1.0) * factorial * zeta_values(n + 1.0, x)


# ---------------------------------------------------------------------------- Bessel I0, I1

_I0E_A = (-4.41534164647933937950e-18, 3.33079451882223809783e-17, -2.43127984654795469359e-16,
          1.71539128555513303061e-15, -1.16853328779934516808e-14, 7.67618549860493561688e-14,
          -4.85644678311192946090e-13, 2.95505266312963983461e-12, -1.72682629144155570723e-11,
          9.67580903537323691224e-11, -5.18979560163526290666e-10, 2.65982372468238665035e-9,
          -1.30002500998624804212e-8, 6.04699502254191894932e-8, -2.67079385394061173391e-7,
          1.11738753912010371815e-6, -4.41673835845875056359e-6, 1.64484480707288970893e-5,
          -5.75419501008210370398e-5, 1.88502885095841655729e-4, -5.76375574538582365885e-4,
          1.63947561694133579842e-3, -4.32430999505057594430e-3, 1.05464603945949983183e-2,
          -2.37374148058994688156e-2, 4.93052842396707084878e-2, -9.49010970480476444210e-2,
          1.71620901522208775349e-1, -3.04682672343198398683e-1, 6.76795274409476084995e-1)
_I0E_B = (-7.23318048787475395456e-18, -4.83050448594418207126e-18, 4.46562142029675999901e-17,
          3.46122286769746109310e-17, -2.82762398051658348494e-16, -3.42548561967721913462e-16,
          1.77256013305652638360e-15, 3.81168066935262242075e-15, -9.55484669882830764870e-15,
          -4.15056934728722208663e-14, 1.54008621752140982691e-14, 3.85277838274214270114e-13,
          7.18012445138366623367e-13, -1.79417853150680611778e-12, -1.32158118404477131188e-11,
          -3.14991652796324136454e-11, 1.18891471078464383424e-11, 4.94060238822496958910e-10,
          3.39623202570838634515e-9, 2.26666899049817806459e-8, 2.04891858946906374183e-7,
          2.89137052083475648297e-6, 6.88975834691682398426e-5, 3.36911647825569408990e-3,
          8.04490411014108831608e-1)
_I1E_A = (2.77791411276104639959e-18, -2.11142121435816608115e-17, 1.55363195773620046921e-16,
          -1.10559694773538630805e-15, 7.60068429473540693410e-15, -5.04218550472791168711e-14,
          3.22379336594557470981e-13, -1.98397439776494371520e-12, 1.17361862988909016308e-11,
          -6.66348972350202774223e-11, 3.62559028155211703701e-10, -1.88724975172282928790e-9,
          9.38153738649577178388e-9, -4.44505912879632808065e-8, 2.00329475355213526229e-7,
          -8.56872026469545474066e-7, 3.47025130813767847674e-6, -1.32731636560394358279e-5,
          4.78156510755005422638e-5, -1.61760815825896745588e-4, 5.12285956168575772895e-4,
          -1.51357245063125314899e-3, 4.15642294431288815669e-3, -1.05640848946261981558e-2,
          2.47264490306265168283e-2, -5.29459812080949914269e-2, 1.02643658689847095384e-1,
          -1.76416518357834055153e-1, 2.52587186443633654823e-1)
_I1E_B = (7.51729631084210481353e-18, 4.41434832307170791151e-18, -4.65030536848935832153e-17,
          -3.20952592199342395980e-17, 2.96262899764595013876e-16, 3.30820231092092828324e-16,
          -1.88035477551078244854e-15, -3.81440307243700780478e-15, 1.04202769841288027642e-14,
          4.27244001671195135429e-14, -2.10154184277266431302e-14, -4.08355111109219731823e-13,
          -7.19855177624590851209e-13, 2.03562854414708950722e-12, 1.41258074366137813316e-11,
          3.25260358301548823856e-11, -1.89749581235054123450e-11, -5.58974346219658380687e-10,
          -3.83538038596423702205e-9, -2.63146884688951950684e-8, -2.51223623787020892529e-7,
          -3.88256480887769039346e-6, -1.10588938762623716291e-4, -9.76109749136146840777e-3,
          7.78576235018280120474e-1)


def _bessel_scaled(x, inner, outer, times_x):
    """``exp(-|x|) I(|x|)`` from Cephes' two Chebyshev series: ``inner`` on ``[0, 8]`` (in ``|x|/2
    - 2``; times ``|x|`` for I1), ``outer`` beyond (in ``32/|x| - 2``, over ``sqrt|x|``)."""
    size = np.abs(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        near = _chbevl(size / 2.0 - 2.0, inner)
        if times_x:
            near = near * size
        far = _chbevl(32.0 / size - 2.0, outer) / np.sqrt(size)
    return np.where(size <= 8.0, near, far)


def i0e_values(x):
    """``exp(-|x|) I0(x)``, the exponentially scaled modified Bessel function of order 0."""
    return _bessel_scaled(np.asarray(x, dtype=np.float64), _I0E_A, _I0E_B, False)


def i0_values(x):
    """``I0(x)``, the modified Bessel function of the first kind of order 0 (``exp(|x|) i0e``:
    inf beyond about 713, nan at +-inf as PyTorch's kernel)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp(np.abs(x)) * i0e_values(x)


def i1e_values(x):
    """``exp(-|x|) I1(x)``, odd in ``x``."""
    x = np.asarray(x, dtype=np.float64)
    out = _bessel_scaled(x, _I1E_A, _I1E_B, True)
    return np.where(x < 0, -out, out)


def i1_values(x):
    """``I1(x)``, the modified Bessel function of the first kind of order 1 (odd)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp(np.abs(x)) * i1e_values(x)


# ---------------------------------------------------------------------------- normal distribution


def erfcx_values(x):
    """``exp(x^2) erfc(x)``: ``erfc(x) * exp(x^2)`` up to 25 (``x^2`` split into a rounded
    square and its exact remainder, so ``exp`` loses no digits), the continued fraction
    ``1/sqrt(pi) / (x + 1/2 / (x + 1 / (x + 3/2 / ...)))`` beyond (where erfc underflows);
    below 0 ``2 exp(x^2) - erfcx(-x)`` (inf below about -26.6)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        size = np.abs(x)
        square = size * size
        remainder = _square_remainder(size, square)
        direct = erfc_values(size) * np.exp(square) * np.exp(remainder)
        tail = np.zeros_like(size)
        for k in range(60, 0, -1):
            tail = (k / 2) / (size + tail)
        far = (1 / math.sqrt(math.pi)) / (size + tail)
        positive = np.where(size <= 25.0, direct, far)
        negative = 2 * np.exp(square) * np.exp(remainder) - positive
        return np.where(x < 0, negative, positive)


def _square_remainder(a, square):
    """``a * a - square`` exactly (Dekker's product with Veltkamp's split), ``square`` being
    the rounded ``a * a``."""
    factor = 134217729.0  # 2**27 + 1
    with np.errstate(over="ignore", invalid="ignore"):
        c = factor * a
        high = c - (c - a)
        low = a - high
        return ((high * high - square) + 2 * high * low) + low * low


def log_ndtr_values(x):
    """``log Phi(x)``, Phi the standard normal CDF: ``log(erfcx(-x/sqrt 2) / 2) - x^2/2`` below
    -1 (no underflow), ``log1p(-erfc(x/sqrt 2) / 2)`` above (PyTorch's split)."""
    x = np.asarray(x, dtype=np.float64)
    t = x * (1 / math.sqrt(2))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        low = np.log(erfcx_values(-t) / 2) - t * t
        high = np.log1p(-erfc_values(t) / 2)
        return np.where(x < -1.0, low, high)


_NDTRI_P0 = (-5.99633501014107895267e1, 9.80010754185999661536e1, -5.66762857469070293439e1,
             1.39312609387279679503e1, -1.23916583867381258016e0)
_NDTRI_Q0 = (1.0, 1.95448858338141759834e0, 4.67627912898881538453e0, 8.63602421390890590575e1,
             -2.25462687854119370527e2, 2.00260212380060660359e2, -8.20372256168333339912e1,
             1.59056225126211695515e1, -1.18331621121330003142e0)
_NDTRI_P1 = (4.05544892305962419923e0, 3.15251094599893866154e1, 5.71628192246421288162e1,
             4.40805073893200834700e1, 1.46849561928858024014e1, 2.18663306850790267539e0,
             -1.40256079171354495875e-1, -3.50424626827848203418e-2, -8.57456785154685413611e-4)
_NDTRI_Q1 = (1.0, 1.57799883256466749731e1, 4.53907635128879210584e1, 4.13172038254672030440e1,
             1.50425385692907503408e1, 2.50464946208309415979e0, -1.42182922854787788574e-1,
             -3.80806407691578277194e-2, -9.33259480895457427372e-4)
_NDTRI_P2 = (3.23774891776946035970e0, 6.91522889068984211695e0, 3.93881025292474443415e0,
             1.33303460815807542389e0, 2.01485389549179081538e-1, 1.23716634817820021358e-2,
             3.01581553508235416007e-4, 2.65806974686737550832e-6, 6.23974539184983293730e-9)
_NDTRI_Q2 = (1.0, 6.02427039364742014255e0, 3.67983563856160859403e0, 1.37702099489081330271e0,
             2.16236993594496635890e-1, 1.34204006088543189037e-2, 3.28014464682127739104e-4,
             2.89247864745380683936e-6, 6.79019408009981274425e-9)
_EXP_MINUS_2 = 0.13533528323661269189


def ndtri_values(p):
    """The standard normal quantile ``Phi^-1(p)`` (Cephes' ``ndtri``, as PyTorch's): a rational
    function of ``p - 1/2`` in the centre, of ``1 / sqrt(-2 log p)`` in the tails (``p`` taken
    as ``1 - p`` above ``1 - exp(-2)``). ``-inf`` at 0, ``inf`` at 1, nan outside."""
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        upper = p > 1.0 - _EXP_MINUS_2
        y = np.where(upper, 1.0 - p, p)
        centre = y - 0.5
        c2 = centre * centre
        central = (centre + centre * (c2 * _polevl(c2, _NDTRI_P0) / _polevl(c2, _NDTRI_Q0))) \
            * 2.50662827463100050242
        x = np.sqrt(-2.0 * np.log(y))
        x0 = x - np.log(x) / x
        z = 1.0 / x
        x1 = np.where(x < 8.0, z * _polevl(z, _NDTRI_P1) / _polevl(z, _NDTRI_Q1),
                      z * _polevl(z, _NDTRI_P2) / _polevl(z, _NDTRI_Q2))
        tail = x0 - x1
        tail = np.where(upper, tail, -tail)
        out = np.where(y > _EXP_MINUS_2, central, tail)
        out = np.where(p == 0, -np.inf, np.where(p == 1, np.inf, out))
        return np.where((p < 0) | (p > 1), np.nan, out)


# ---------------------------------------------------------------------------- incomplete gamma

_MAX_ITERATIONS = 2000


def _log_prefactor(a, x):
    """``log(x^a e^-x / Gamma(a))``."""
    return a * np.log(x) - x - lgamma_values(a)


def _lower_series(a, x):
    """``P(a, x)`` by the series ``x^a e^-x / Gamma(a + 1) * sum_n x^n / ((a+1)...(a+n))``
    (DLMF 8.11.4), for ``x < a + 1``."""
    term = np.ones_like(a)
    total = np.ones_like(a)
    r = a.copy()
    running = np.ones(a.shape, dtype=bool)
    for _ in range(_MAX_ITERATIONS):
        r = r + 1.0
        term = np.where(running, term * x / r, term)
        total = np.where(running, total + term, total)
        running &= ~(term <= MACHEP * total)
        if not running.any():
            break
    return total * np.exp(_log_prefactor(a, x)) / a


def _upper_fraction(a, x):
    """``Q(a, x)`` by its continued fraction (DLMF 8.9.2, modified Lentz), for ``x >= a + 1``."""
    tiny = 1e-300
    b = x + 1.0 - a
    c = np.full_like(a, 1 / tiny)
    d = 1.0 / b
    h = d.copy()
    running = np.ones(a.shape, dtype=bool)
    for i in range(1, _MAX_ITERATIONS):
        an = -i * (i - a)
        b = b + 2.0
        d = an * d + b
        d = np.where(np.abs(d) < tiny, tiny, d)
        c = b + an / c
        c = np.where(np.abs(c) < tiny, tiny, c)
        d = 1.0 / d
        delta = d * c
        h = np.where(running, h * delta, h)
        running &= ~(np.abs(delta - 1.0) <= MACHEP)
        if not running.any():
            break
    return np.exp(_log_prefactor(a, x)) * h


def igamma_values(a, x, upper=False):
    """The regularised lower incomplete gamma ``P(a, x) = gamma(a, x) / Gamma(a)`` (``upper``:
    ``Q = 1 - P``), for ``a > 0``, ``x >= 0``: the series below ``a + 1``, the continued fraction
    above, each computing the smaller of ``P`` and ``Q`` directly. PyTorch's values at the
    edges: nan for ``a < 0`` or ``x < 0`` or ``a = x = 0``; ``P = 1`` for ``a = 0 < x`` or
    ``x = inf``; ``P = 0`` for ``x = 0 < a`` or ``a = inf > x``."""
    a, x = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(x, dtype=np.float64))
    lower = np.full(a.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        regular = (a > 0) & (x > 0) & np.isfinite(a) & np.isfinite(x)
        series = regular & (x < a + 1)
        fraction = regular & ~series
        lower[series] = _lower_series(a[series], x[series])
        upper_values = np.full(a.shape, np.nan)
        upper_values[fraction] = _upper_fraction(a[fraction], x[fraction])
        lower[fraction] = 1.0 - upper_values[fraction]
        upper_values[series] = 1.0 - lower[series]
        one = ((a == 0) & (x > 0)) | ((x == np.inf) & (a >= 0) & (a < np.inf))
        zero = ((x == 0) & (a > 0)) | ((a == np.inf) & (x >= 0) & (x < np.inf))
        lower[one], upper_values[one] = 1.0, 0.0
        lower[zero], upper_values[zero] = 0.0, 1.0
    return upper_values if upper else lower

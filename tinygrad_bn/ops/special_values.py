"""Vectorised float64 kernels of the special functions NumPy lacks: ``lgamma``, ``digamma``,
``trigamma``, the Hurwitz ``zeta`` (and from it ``polygamma``), the modified Bessel functions
``i0``/``i0e``/``i1``/``i1e`` and ``k0``/``k1`` (with their scaled forms), the Bessel
functions ``j0``/``j1``/``y0``/``y1``, the Airy function ``Ai``, ``erfcx``, ``ndtri``,
``log_ndtr``, the regularised incomplete gamma functions and the orthogonal polynomials. Each
takes and returns float64 arrays (the polynomials: their input's dtype); the ops in
``special.py`` round the result to their input's dtype once.

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


def _zeta_minus_one(k):
    """``zeta(k) - 1`` for an integer ``k >= 2`` in float64 (at import time): the direct sum
    from 2 to 999 plus the Euler-Maclaurin tail, exact to rounding."""
    n = 1000
    total = math.fsum(np.arange(2.0, n) ** -k)
    tail = n ** (1 - k) / (k - 1) + 0.5 * n ** -k + k * n ** (-k - 1) / 12 \
        - k * (k + 1) * (k + 2) * n ** (-k - 3) / 720
    return total + tail


_SERIES_TERMS = 60
_ZETA_MINUS_ONE = {k: _zeta_minus_one(k) for k in range(2, _SERIES_TERMS + 1)}
# lgamma(1 + t) = -EULER t + sum_{k>=2} (-1)^k zeta(k) t^k / k and, adding log1p(t),
# lgamma(2 + t) = (1 - EULER) t + sum_{k>=2} (-1)^k (zeta(k) - 1) t^k / k, both for |t| <= 1/2
# (60 terms leave a remainder below 1e-19 there); highest power first for Horner.
_LGAMMA1_SERIES = [(-1) ** k * (1 + _ZETA_MINUS_ONE[k]) / k
                   for k in range(_SERIES_TERMS, 1, -1)] + [-EULER, 0.0]
_LGAMMA2_SERIES = [(-1) ** k * _ZETA_MINUS_ONE[k] / k
                   for k in range(_SERIES_TERMS, 1, -1)] + [1.0 - EULER, 0.0]
# Stirling: lgamma(z) = (z - 1/2) log z - z + log(2 pi)/2 + sum B_2k / (2k (2k-1) z^(2k-1))
_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156,
             -3617 / 122400)
_HALF_LOG_TWO_PI = 0.5 * math.log(2 * math.pi)


def _lgamma_series(t):
    """``lgamma(1 + t)`` for ``|t| <= 1/2``: the Taylor series, relative accuracy kept near
    the zero at ``t = 0``."""
    return _polevl(t, _LGAMMA1_SERIES)


def _lgamma2_series(t):
    """``lgamma(2 + t)`` for ``|t| <= 1/2``: its own Taylor series (not ``lgamma(1 + t) +
    log1p(t)``, which cancels near ``t = -1/2``)."""
    return _polevl(t, _LGAMMA2_SERIES)


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
    near_two = (z > 1.5) & (z <= 2.5)
    out[near_two] = _lgamma2_series(z[near_two] - 2.0)
    middle = (z > 2.5) & (z < 15.0)   # down to (1.5, 2.5]: lgamma(z) = lgamma(z - n) + log prod
    if middle.any():
        w = z[middle]
        steps = np.ceil(w - 2.5)
        product = np.ones_like(w)
        for k in range(1, int(steps.max()) + 1):
            shift = k <= steps
            product = np.where(shift, product * (w - k), product)
        out[middle] = _lgamma2_series(w - steps - 2.0) + np.log(product)
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


_K0_A = (1.37446543561352307156e-16, 4.25981614279661018399e-14, 1.03496952576338420167e-11,
         1.90451637722020886025e-09, 2.53479107902614945675e-07, 2.28621210311945178607e-05,
         1.26461541144692592338e-03, 3.59799365153615016266e-02, 3.44289899924628486886e-01,
         -5.35327393233902768720e-01)
_K0_B = (5.30043377268626276149e-18, -1.64758043015242134646e-17, 5.21039150503902756861e-17,
         -1.67823109680541210385e-16, 5.51205597852431940784e-16, -1.84859337734377901440e-15,
         6.34007647740507060557e-15, -2.22751332699166985548e-14, 8.03289077536357521100e-14,
         -2.98009692317273043925e-13, 1.14034058820847496303e-12, -4.51459788337394416547e-12,
         1.85594911495471785253e-11, -7.95748924447710747776e-11, 3.57739728140030116597e-10,
         -1.69753450938905987466e-09, 8.57403401741422608519e-09, -4.66048989768794782956e-08,
         2.76681363944501510342e-07, -1.83175552271911948767e-06, 1.39498137188764993662e-05,
         -1.28495495816278026384e-04, 1.56988388573005337491e-03, -3.14481013119645005427e-02,
         2.44030308206595545468e+00)
_K1_A = (-7.02386347938628759343e-18, -2.42744985051936593393e-15, -6.66690169419932900609e-13,
         -1.41148839263352776110e-10, -2.21338763073472585583e-08, -2.43340614156596823496e-06,
         -1.73028895751305206302e-04, -6.97572385963986435018e-03, -1.22611180822657148235e-01,
         -3.53155960776544875667e-01, 1.52530022733894777053e+00)
_K1_B = (-5.75674448366501715755e-18, 1.79405087314755922667e-17, -5.68946255844285935196e-17,
         1.83809354436663880070e-16, -6.05704724837331885336e-16, 2.03870316562433424052e-15,
         -7.01983709041831346144e-15, 2.47715442448130437068e-14, -8.97670518232499435011e-14,
         3.34841966607842919884e-13, -1.28917396095102890680e-12, 5.13963967348173025100e-12,
         -2.12996783842756842877e-11, 9.21831518760500529508e-11, -4.19035475934189648750e-10,
         2.01504975519703286596e-09, -1.03457624656780970260e-08, 5.74108412545004946722e-08,
         -3.50196060308781257119e-07, 2.40648494783721712015e-06, -1.93619797416608296024e-05,
         1.95215518471351631108e-04, -2.85781685962277938680e-03, 1.03923736576817238437e-01,
         2.72062619048444266945e+00)


def k_values(x, order, scaled=False):
    """The modified Bessel function of the second kind ``K0`` or ``K1`` (``order``), times
    ``exp(x)`` when ``scaled`` (Cephes' ``k0``/``k1``/``k0e``/``k1e``, as PyTorch's): a
    Chebyshev series in ``x^2 - 2`` with the ``log(x/2) I(x)`` term up to 2, one in ``8/x -
    2`` beyond. inf at 0, nan below."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if order == 0:
            near = _chbevl(x * x - 2.0, _K0_A) - np.log(0.5 * x) * i0_values(x)
        else:
            near = np.log(0.5 * x) * i1_values(x) + _chbevl(x * x - 2.0, _K1_A) / x
        far = _chbevl(8.0 / x - 2.0, _K0_B if order == 0 else _K1_B) / np.sqrt(x)
        if scaled:
            near = near * np.exp(x)
        else:
            far = far * np.exp(-x)
        out = np.where(x <= 2.0, near, far)
        return np.where(x == 0, np.inf, np.where(x < 0, np.nan, out))


# Cephes' j0/y0 and j1/y1: rational functions of x^2 up to 5, the Hankel asymptotic form with
# rational functions of (5/x)^2 beyond.
_J0_PP = (7.96936729297347051624e-04, 8.28352392107440799803e-02, 1.23953371646414299388e+00,
          5.44725003058768775090e+00, 8.74716500199817011941e+00, 5.30324038235394892183e+00,
          9.99999999999999997821e-01)
_J0_PQ = (9.24408810558863637013e-04, 8.56288474354474431428e-02, 1.25352743901058953537e+00,
          5.47097740330417105182e+00, 8.76190883237069594232e+00, 5.30605288235394617618e+00,
          1.00000000000000000218e+00)
_J0_QP = (-1.13663838898469149931e-02, -1.28252718670509318512e+00, -1.95539544257735972385e+01,
          -9.32060152123768231369e+01, -1.77681167980488050595e+02, -1.47077505154951170175e+02,
          -5.14105326766599330220e+01, -6.05014350600728481186e+00)
_J0_QQ = (1.0, 6.43178256118178023184e+01, 8.56430025976980587198e+02, 3.88240183605401609683e+03,
          7.24046774195652478189e+03, 5.93072701187316984827e+03, 2.06209331660327847417e+03,
          2.42005740240291393179e+02)
_J0_RP = (-4.79443220978201773821e+09, 1.95617491946556577543e+12, -2.49248344360967716204e+14,
          9.70862251047306323952e+15)
_J0_RQ = (1.0, 4.99563147152651017219e+02, 1.73785401676374683123e+05, 4.84409658339962045305e+07,
          1.11855537045356834862e+10, 2.11277520115489217587e+12, 3.10518229857422583814e+14,
          3.18121955943204943306e+16, 1.71086294081043136091e+18)
_Y0_YP = (1.55924367855235737965e+04, -1.46639295903971606143e+07, 5.43526477051876500413e+09,
          -9.82136065717911466409e+11, 8.75906394395366999549e+13, -3.46628303384729719441e+15,
          4.42733268572569800351e+16, -1.84950800436986690637e+16)
_Y0_YQ = (1.0, 1.04128353664259848412e+03, 6.26107330137134956842e+05, 2.68919633393814121987e+08,
          8.64002487103935000337e+10, 2.02979612750105546709e+13, 3.17157752842975028269e+15,
          2.50596256172653059228e+17)
_J1_PP = (7.62125616208173112003e-04, 7.31397056940917570436e-02, 1.12719608129684925192e+00,
          5.11207951146807644818e+00, 8.42404590141772420927e+00, 5.21451598682361504063e+00,
          1.00000000000000000254e+00)
_J1_PQ = (5.71323128072548699714e-04, 6.88455908754495404082e-02, 1.10514232634061696926e+00,
          5.07386386128601488557e+00, 8.39985554327604159757e+00, 5.20982848682361821619e+00,
          9.99999999999999997461e-01)
_J1_QP = (5.10862594750176621635e-02, 4.98213872951233449420e+00, 7.58238284132545283818e+01,
          3.66779609360150777800e+02, 7.10856304998926107277e+02, 5.97489612400613639965e+02,
          2.11688757100572135698e+02, 2.52070205858023719784e+01)
_J1_QQ = (1.0, 7.42373277035675149943e+01, 1.05644886038262816351e+03, 4.98641058337653607651e+03,
          9.56231892404756170795e+03, 7.99704160447350683650e+03, 2.82619278517639096600e+03,
          3.36093607810698293419e+02)
_J1_RP = (-8.99971225705559398224e+08, 4.52228297998194034323e+11, -7.27494245221818276015e+13,
          3.68295732863852883286e+15)
_J1_RQ = (1.0, 6.20836478118054335476e+02, 2.56987256757748830383e+05, 8.35146791431949253037e+07,
          2.21511595479792499675e+10, 4.74914122079991414898e+12, 7.84369607876235854894e+14,
          8.95222336184627338078e+16, 5.32278620332680085395e+18)
_Y1_YP = (1.26320474790178026440e+09, -6.47355876379160291031e+11, 1.14509511541823727583e+14,
          -8.12770255501325109621e+15, 2.02439475713594898196e+17, -7.78877196265950026825e+17)
_Y1_YQ = (1.0, 5.94301592346128195359e+02, 2.35564092943068577943e+05, 7.34811944459721705660e+07,
          1.87601316108706159478e+10, 3.88231277496238566008e+12, 6.20557727146953693363e+14,
          6.87141087355300489866e+16, 3.97270608116560655612e+18)
_SQRT_2_OVER_PI = 0.797884560802865355879892119868763737
_TWO_OVER_PI = 0.636619772367581343075535053490057448


def _hankel(x, order, second_kind):
    """The asymptotic form of J or Y (``order`` 0 or 1) for ``x > 5``."""
    w = 5.0 / x
    z = w * w
    pp, pq, qp, qq = (_J0_PP, _J0_PQ, _J0_QP, _J0_QQ) if order == 0 else \
        (_J1_PP, _J1_PQ, _J1_QP, _J1_QQ)
    p = _polevl(z, pp) / _polevl(z, pq)
    q = _polevl(z, qp) / _polevl(z, qq)
    phase = x - (math.pi / 4 if order == 0 else 3 * math.pi / 4)
    if second_kind:
        value = p * np.sin(phase) + w * q * np.cos(phase)
    else:
        value = p * np.cos(phase) - w * q * np.sin(phase)
    return value * _SQRT_2_OVER_PI / np.sqrt(x)


def bessel_j_values(x, order):
    """The Bessel function of the first kind ``J0`` (even) or ``J1`` (odd)."""
    x = np.asarray(x, dtype=np.float64)
    size = np.abs(x)
    z = size * size
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        if order == 0:
            near = (z - 5.78318596294678452118e+00) * (z - 3.04712623436620863991e+01) \
                * _polevl(z, _J0_RP) / _polevl(z, _J0_RQ)
            near = np.where(size < 1e-5, 1.0 - z / 4.0, near)
        else:
            near = _polevl(z, _J1_RP) / _polevl(z, _J1_RQ) * size \
                * (z - 1.46819706421238932572e+01) * (z - 4.92184563216946036703e+01)
        out = np.where(size <= 5.0, near, _hankel(size, order, False))
    return np.where(x < 0, -out, out) if order == 1 else out


def bessel_y_values(x, order):
    """The Bessel function of the second kind ``Y0`` or ``Y1``: ``-inf`` at 0, nan below."""
    x = np.asarray(x, dtype=np.float64)
    z = x * x
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        if order == 0:
            near = _polevl(z, _Y0_YP) / _polevl(z, _Y0_YQ) \
                + _TWO_OVER_PI * np.log(x) * bessel_j_values(x, 0)
        else:
            near = x * (_polevl(z, _Y1_YP) / _polevl(z, _Y1_YQ)) \
                + _TWO_OVER_PI * (bessel_j_values(x, 1) * np.log(x) - 1.0 / x)
        out = np.where(x <= 5.0, near, _hankel(x, order, True))
        return np.where(x == 0, -np.inf, np.where(x < 0, np.nan, out))


_AIRY_AN = (3.46538101525629032477e-01, 1.20075952739645805542e+01, 7.62796053615234516538e+01,
            1.68089224934630576269e+02, 1.59756391350164413639e+02, 7.05360906840444183113e+01,
            1.40264691163389668864e+01, 9.99999999999999995305e-01)
_AIRY_AD = (5.67594532638770212846e-01, 1.47562562584847203173e+01, 8.45138970141474626562e+01,
            1.77318088145400459522e+02, 1.64234692871529701831e+02, 7.14778400825575695274e+01,
            1.40959135607834029598e+01, 1.00000000000000000470e+00)
_AIRY_AFN = (-1.31696323418331795333e-01, -6.26456544431912369773e-01,
             -6.93158036036933542233e-01, -2.79779981545119124951e-01,
             -4.91900132609500318020e-02, -4.06265923594885404393e-03,
             -1.59276496239262096340e-04, -2.77649108155232920844e-06,
             -1.67787698489114633780e-08)
_AIRY_AFD = (1.0, 1.33560420706553243746e+01, 3.26825032795224613948e+01,
             2.67367040941499554804e+01, 9.18707402907259625840e+00, 1.47529146771666414581e+00,
             1.15687173795188044134e-01, 4.40291641615211203805e-03, 7.54720348287414296618e-05,
             4.51850092970580378464e-07)
_AIRY_AGN = (1.97339932091685679179e-02, 3.91103029615688277255e-01, 1.06579897599595591108e+00,
             9.39169229816650230044e-01, 3.51465656105547619242e-01, 6.33888919628925490927e-02,
             5.85804113048388458567e-03, 2.82851600836737019778e-04, 6.98793669997260967291e-06,
             8.11789239554389293311e-08, 3.41551784765923618484e-10)
_AIRY_AGD = (1.0, 9.30892908077441974853e+00, 1.98352928718312140417e+01,
             1.55646628932864612953e+01, 5.47686069422975497931e+00, 9.54293611618961883998e-01,
             8.64580826352392193095e-02, 4.12656523824222607191e-03, 1.01259085116509135510e-04,
             1.17166733214413521882e-06, 4.91834570062930015649e-09)


def airy_ai_values(x):
    """The Airy function ``Ai(x)`` (Cephes' ``airy``): the asymptotic forms below -2.09 and
    from 2.09 on, the Maclaurin series between; 0 above 103.892 and nan at +-inf (PyTorch's).
    The negative-side denominators keep Cephes' leading 1 (``p1evl``), which PyTorch's kernel
    drops."""
    x = np.asarray(x, dtype=np.float64)
    out = np.full(x.shape, np.nan)
    with np.errstate(all="ignore"):
        negative = np.isfinite(x) & (x < -2.09)
        w = x[negative]
        root = np.sqrt(-w)
        zeta = -2.0 * w * root / 3.0
        z = 1.0 / zeta
        zz = z * z
        uf = 1.0 + zz * _polevl(zz, _AIRY_AFN) / _polevl(zz, _AIRY_AFD)
        ug = z * _polevl(zz, _AIRY_AGN) / _polevl(zz, _AIRY_AGD)
        t = zeta + 0.25 * math.pi
        out[negative] = 5.64189583547756286948e-01 / np.sqrt(root) * (np.sin(t) * uf
                                                                     - np.cos(t) * ug)
        positive = np.isfinite(x) & (x >= 2.09)
        w = x[positive]
        zeta = 2.0 * w * np.sqrt(w) / 3.0
        ratio = _polevl(1.0 / zeta, _AIRY_AN) / _polevl(1.0 / zeta, _AIRY_AD)
        out[positive] = np.where(w > 103.892, 0.0, 5.64189583547756286948e-01 * ratio
                                 / (2.0 * np.sqrt(np.sqrt(w)) * np.exp(zeta)))
        middle = (x >= -2.09) & (x < 2.09)
        w = x[middle]
        f, g = np.ones_like(w), w.copy()
        m, n, k = np.ones_like(w), w.copy(), 1.0
        cube = w * w * w
        running = np.ones(w.shape, dtype=bool)
        while running.any():
            m = m * cube
            k += 1.0
            m = m / k
            n = n * cube
            k += 1.0
            n = n / k
            m = m / k
            f = np.where(running, f + m, f)
            k += 1.0
            n = n / k
            g = np.where(running, g + n, g)
            running &= np.abs(m / f) > np.finfo(np.float64).eps
        out[middle] = 0.355028053887817239260 * f - 0.258819403792806798405 * g
    return out


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
        remainder = np.where(np.isfinite(square), _square_remainder(size, square), 0.0)
        direct = erfc_values(size) * np.exp(square) * np.exp(remainder)
        tail = np.zeros_like(size)
        for k in range(60, 0, -1):
            tail = (k / 2) / (size + tail)
        far = (1 / math.sqrt(math.pi)) / (size + tail)
        positive = np.where(size <= 25.0, direct, far)
        negative = 2 * np.exp(square) * np.exp(remainder) - positive
        negative = np.where(square < 710.0, negative, np.inf)  # exp(x^2) overflows
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


# ---------------------------------------------------------------------------- polynomials


def _recurrence(x, n, p, q, first_k, step, last_k):
    """Run a three-term recurrence ``r = step(k, p, q)`` for ``k = first_k, ...`` while ``k <=
    last_k(n)`` (per element), returning the last ``q``."""
    stop = last_k(n)
    k = first_k
    top = int(stop.max()) if stop.size else 0
    while k <= top:
        running = k <= stop
        r = step(k, p, q)
        p, q = np.where(running, q, p), np.where(running, r, q)
        k += 1
    return q


def polynomial_values(x, n, kind):
    """The orthogonal polynomial ``kind`` (``chebyshev_t``/``u``/``v``/``w``, ``hermite_h``,
    ``hermite_he``, ``laguerre_l``, ``legendre_p``) of degree ``n`` at ``x``, computed in
    ``x``'s dtype by PyTorch's recurrences and closed forms (``cos(n acos x)`` for Chebyshev
    T above degree 6 inside ``(-1, 1)``, ...), with its values at ``n < 0`` (0) and ``|x| =
    1``. ``n`` is truncated to an integer, as PyTorch's ``static_cast<int64_t>``."""
    x = np.asarray(x)
    t = x.dtype.type
    n_float = np.asarray(n)
    if n_float.dtype.kind == "f":  # nan and inf count as -1 (PyTorch's hermite_h rule)
        n_float = np.where(np.isfinite(n_float), n_float, -1)
    n = n_float.astype(np.int64)
    x, n = np.broadcast_arrays(x, n)
    degree = n.astype(x.dtype)  # PyTorch's int64 * T products are in T
    one = np.ones_like(x)
    even = n % 2 == 0
    with np.errstate(all="ignore"):
        if kind == "chebyshev_t":
            out = _recurrence(x, n, one, x, 2, lambda k, p, q: (x + x) * q - p, lambda n: n)
            out = np.where(n == 1, x, np.where(n == 0, one, out))
            out = np.where((n > 6) & (np.abs(x) < 1), np.cos(degree * np.arccos(x)), out)
            out = np.where(np.abs(x) == 1, np.where((x > 0) | even, t(1), t(-1)), out)
        elif kind in ("chebyshev_u", "chebyshev_v", "chebyshev_w"):
            start = {"chebyshev_u": x + x, "chebyshev_v": x + x - t(1),
                     "chebyshev_w": x + x + t(1)}[kind]
            out = _recurrence(x, n, one, start, 2, lambda k, p, q: (x + x) * q - p, lambda n: n)
            out = np.where(n == 1, start, np.where(n == 0, one, out))
            angle = np.arccos(x)
            two_n_1 = degree + degree + t(1)
            if kind == "chebyshev_u":
                sine = np.sin(angle)
                closed = np.where(sine != 0, np.sin((degree + t(1)) * angle) / sine,
                                  (degree + t(1)) * np.cos((degree + t(1)) * angle) / x)
                at_one = np.where((x > 0) | even, degree + t(1), -(degree + t(1)))
            elif kind == "chebyshev_v":
                closed = np.where(np.sin(angle / t(2)) != 1,
                                  np.cos((degree + t(0.5)) * angle) / np.cos(angle / t(2)),
                                  np.where(even, two_n_1, -two_n_1))
                at_one = np.where(x > 0, t(1), np.where(even, two_n_1, -two_n_1))
            else:
                at_one = np.where(x > 0, two_n_1, np.where(even, t(1), t(-1)))
                closed = np.where(np.cos(angle / t(2)) != 1,
                                  np.sin((degree + t(0.5)) * angle) / np.sin(angle / t(2)), at_one)
            out = np.where((n > 8) & (np.abs(x) < 1), closed.astype(x.dtype), out)
            out = np.where(np.abs(x) == 1, at_one, out)
        elif kind.startswith("shifted_chebyshev_"):
            out = _shifted_chebyshev(kind[-1], x, n, degree, even, one, t)
        elif kind == "hermite_h":
            out = _recurrence(x, n, one, x + x, 1, lambda k, p, q: (x + x) * q - (2 * k) * p,
                              lambda n: n - 1)
            out = np.where(n == 1, x + x, np.where(n == 0, one, out))
            out = np.where(n > (128 if x.dtype == np.float32 else 512), t(np.nan), out)
        elif kind == "hermite_he":
            out = _recurrence(x, n, one, x, 1, lambda k, p, q: x * q - k * p, lambda n: n - 1)
            out = np.where(n == 1, x, np.where(n == 0, one, out))
            out = np.where(n > (128 if x.dtype == np.float32 else 512), t(np.nan), out)
        elif kind == "laguerre_l":
            start = t(1) - x
            out = _recurrence(x, n, one, start, 1,
                              lambda k, p, q: (((k + k) + (t(1) - x)) * q - k * p) / (k + 1),
                              lambda n: n - 1)
            out = np.where(n == 1, start, np.where(n == 0, one, out))
            out = np.where(np.abs(x) == 0, one, out)
        elif kind == "legendre_p":
            out = _recurrence(x, n, one, x, 1,
                              lambda k, p, q: ((k + k + 1) * x * q - k * p) / (k + 1),
                              lambda n: n - 1)
            out = np.where(n == 1, x, np.where(n == 0, one, out))
            out = np.where(np.abs(x) == 1, np.where((x > 0) | even, t(1), t(-1)), out)
        else:
            raise ValueError(kind)
        return np.where(n < 0, t(0), out).astype(x.dtype, copy=False)


def _shifted_chebyshev(letter, x, n, degree, even, one, t):
    """The shifted Chebyshev polynomials ``T*``/``U*``/``V*``/``W*`` (``letter``) of ``y = 2x -
    1``: PyTorch's recurrence in ``y``, its closed forms inside ``(-1, 1)`` above degree 6 (4 for
    ``W*``), its values at ``x = 0`` and 1."""
    y = x + x - t(1)
    start = {"t": y, "u": y + y, "v": y + y - t(1), "w": y + y + t(1)}[letter]
    out = _recurrence(y, n, one, start, 2, lambda k, p, q: (y + y) * q - p, lambda n: n)
    out = np.where(n == 1, start, np.where(n == 0, one, out))
    angle = np.arccos(y)
    two_n_1 = degree + degree + t(1)
    sign = np.where(even, t(1), t(-1))
    if letter == "t":
        closed, at_zero, at_one = np.cos(degree * angle), sign, one
    elif letter == "u":
        sine = np.sin(angle)
        closed = np.where(sine != 0, np.sin((degree + t(1)) * angle) / sine,
                          (degree + t(1)) * np.cos((degree + t(1)) * angle) / y)
        at_zero, at_one = sign * (degree + t(1)), degree + t(1)
    elif letter == "v":
        at_zero, at_one = sign * two_n_1, one
        closed = np.where(np.sin(angle / t(2)) != 1,
                          np.cos((degree + t(0.5)) * angle) / np.cos(angle / t(2)), at_zero)
    else:
        at_zero, at_one = sign, two_n_1
        closed = np.where(np.cos(angle / t(2)) != 1,
                          np.sin((degree + t(0.5)) * angle) / np.sin(angle / t(2)), at_zero)
    threshold = 4 if letter == "w" else 6
    out = np.where((n > threshold) & (np.abs(y) < 1), closed.astype(x.dtype), out)
    return np.where(x == 1, at_one, np.where(x == 0, at_zero, out))

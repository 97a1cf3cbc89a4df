#!/usr/bin/env python3
"""Writes stats_reference.tsv: 50-digit reference values for stats_core_test.

Every value comes from mpmath 1.2.1 (Debian python3-mpmath) at 60 significant
digits, from the textbook definitions, never from the code under test:
  normal_cdf(x)           = erfc(-x / sqrt 2) / 2
  normal_quantile(p)      = root of log normal_cdf(x) = log p (mpmath.findroot; the log form
                            keeps the tolerance meaningful for tiny p)
  ibeta(x, a, b)          = mpmath.betainc(a, b, 0, x, regularized=True) for small a, b;
                            for integer a, b with a + b > 50 the exact identity
                            I_x(a, b) = P(Binomial(a + b - 1, x) >= a), summed term by term
                            until the terms fall below 1e-70 of the sum
  ibeta_inv(p, a, b)      = root of ibeta(x, a, b) = p (mpmath.findroot, secant, from scipy's
                            betaincinv as the starting point only)
  cp_lower(k, n, alpha)   = ibeta_inv(alpha, k, n - k + 1), 0 for k = 0
  cp_upper(k, n, alpha)   = 1 - ibeta_inv(alpha, n - k, k + 1), 1 for k = n
  binom_two_sided(k, n, p)= sum of pmf(j) over j with pmf(j) <= pmf(k) (1 + 1e-7), as scipy.stats.binomtest
Inputs are doubles; mpmath reads them exactly. Regenerate with:
  apt-get install python3-mpmath && python3 make_stats_reference.py > stats_reference.tsv
"""
import mpmath as mp

mp.mp.dps = 60


def bisect(f, target, lo, hi, steps=220):
    lo, hi = mp.mpf(lo), mp.mpf(hi)
    for _ in range(steps):
        mid = (lo + hi) / 2
        if f(mid) < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def binomial_upper_tail(x, n, a):
    """P(Binomial(n, x) >= a), summed from the largest term outwards."""
    x = mp.mpf(x)
    q = 1 - x
    mode = max(a, min(n, int(mp.floor((n + 1) * x))))
    def term(j):
        return mp.exp(mp.loggamma(n + 1) - mp.loggamma(j + 1) - mp.loggamma(n - j + 1)
                      + j * mp.log(x) + (n - j) * mp.log(q))
    t0 = term(mode)
    total, t, j = t0, t0, mode
    while j < n:  # upwards from the mode
        t *= (n - j) / mp.mpf(j + 1) * x / q
        j += 1
        total += t
        if t < total * mp.mpf(10) ** -70:
            break
    t, j = t0, mode
    while j > a:  # downwards to a
        t *= j / mp.mpf(n - j + 1) * q / x
        j -= 1
        total += t
        if t < total * mp.mpf(10) ** -70:
            break
    return total


def ibeta(x, a, b):
    if float(a).is_integer() and float(b).is_integer() and a + b > 50:
        return binomial_upper_tail(x, int(a + b - 1), int(a))
    return mp.betainc(mp.mpf(a), mp.mpf(b), 0, mp.mpf(x), regularized=True)


def ibeta_inv(p, a, b):
    from scipy.special import betaincinv
    guess = mp.mpf(float(betaincinv(a, b, p)))
    return mp.findroot(lambda t: ibeta(t, a, b) - mp.mpf(p), (guess, guess * (1 + mp.mpf(1e-9))),
                       solver="secant", tol=mp.mpf(10) ** -50)


def normal_cdf(x):
    return mp.erfc(-mp.mpf(x) / mp.sqrt(2)) / 2


def normal_quantile(p):
    p = mp.mpf(p)
    guess = -mp.sqrt(2) * mp.erfinv(1 - 2 * p) if p > mp.mpf(10) ** -15 else -mp.sqrt(-2 * mp.log(p))
    return mp.findroot(lambda x: mp.log(normal_cdf(x)) - mp.log(p), guess, tol=mp.mpf(10) ** -55)


def pmf(j, n, p):
    return mp.binomial(n, j) * mp.mpf(p) ** j * (1 - mp.mpf(p)) ** (n - j)


def binom_two_sided(k, n, p):
    if n <= 3000:
        d = pmf(k, n, p) * (1 + mp.mpf("1e-7"))
        return min(mp.mpf(1), mp.fsum(pmf(j, n, p) for j in range(n + 1) if pmf(j, n, p) <= d))
    # p = 1/2 only for large n: the test is symmetric, j = n - k is the boundary.
    assert p == 0.5 and 2 * k != n
    m = min(k, n - k)
    return min(mp.mpf(1), 2 * ibeta(0.5, n - m, m + 1))  # 2 P(X <= m)


rows = []
for x in [-37.5, -20.0, -8.0, -5.0, -1.5, -1e-3, 0.0, 1e-8, 0.5, 1.0, 2.5, 6.0]:
    rows.append(("normal_cdf", x, "", "", normal_cdf(x)))
for p in [1e-300, 1e-100, 1e-20, 1e-10, 1e-6, 1e-3, 0.01, 0.1, 0.3, 0.49999, 0.5, 0.7, 0.9,
          0.999, 0.999999, 1 - 1e-10]:
    rows.append(("normal_quantile", p, "", "", normal_quantile(p)))
for x, a, b in [(0.3, 2.0, 5.0), (0.5, 0.5, 0.5), (0.01, 1.0, 100.0), (0.999, 50.0, 3.0),
                (0.2, 10.0, 10.0), (0.5, 1e3, 1e3), (0.51, 1e4, 1e4), (0.4995, 1e6, 1e6),
                (0.5004, 1e6, 1e6), (0.999, 999000.0, 1001.0), (0.99899, 999000.0, 1001.0),
                (1e-6, 1.0, 1e6), (0.7, 7e6, 3e6), (0.70001, 7e6, 3e6)]:
    rows.append(("ibeta", x, a, b, ibeta(x, a, b)))
for p, a, b in [(0.001, 2.0, 5.0), (0.5, 10.0, 10.0), (0.999, 3.0, 40.0), (1e-6, 1.0, 1e6),
                (1e-3, 5e5, 5e5 + 1), (0.9, 999900.0, 101.0)]:
    rows.append(("ibeta_inv", p, a, b, ibeta_inv(p, a, b)))
for n in [1, 10, 100, 1000, 10**4, 10**5, 10**6]:
    for k in sorted({0, 1, n // 2, (99 * n) // 100, n - 1, n}):
        for alpha in [1e-1, 1e-3, 1e-6]:
            lower = mp.mpf(0) if k == 0 else ibeta_inv(alpha, k, n - k + 1)
            rows.append(("cp_lower", k, n, alpha, lower))
            upper = mp.mpf(1) if k == n else 1 - ibeta_inv(alpha, n - k, k + 1)
            rows.append(("cp_upper", k, n, alpha, upper))
for k, n, p in [(7, 10, 0.5), (5, 10, 0.5), (0, 10, 0.5), (10, 10, 0.5), (60, 100, 0.5),
                (3, 20, 0.3), (12, 20, 0.3), (480, 1000, 0.5), (1, 2000, 0.001),
                (520, 1000, 0.5), (49500, 100000, 0.5), (501000, 10**6, 0.5)]:
    rows.append(("binom_two_sided", k, n, p, binom_two_sided(k, n, p)))

print("# function\targ1\targ2\targ3\texpected (mpmath, 60 digits; see make_stats_reference.py)")
for name, a1, a2, a3, value in rows:
    args = "\t".join("-" if a == "" else repr(a) for a in (a1, a2, a3))
    print(f"{name}\t{args}\t{mp.nstr(value, 40)}")

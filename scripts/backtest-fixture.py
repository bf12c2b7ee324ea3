#!/usr/bin/env python3
"""Writes test/fixtures/backtest-stats.json: known answers for the margin-backtest statistics
(src/backtest/stats.ts), computed independently of the TypeScript.

Run from the package root:  python3 scripts/backtest-fixture.py
Needs numpy, scipy and mpmath. The tests only read the committed JSON.

- Kupiec LR_uc: evaluated with mpmath at 50 significant digits from its definition
  -2 ln[(1-p)^(n-x) p^x] + 2 ln[(1-x/n)^(n-x) (x/n)^x] (0 ln 0 = 0), p being the double exactly,
  then rounded once to a double; its p-value P(chi2_1 > LR) at that double, both as
  scipy.stats.chi2.sf(LR, 1) ("scipy...") and as erfc(sqrt(LR/2)) at 50 digits. Cases: n = 250,
  p = 0.01, every x from 0 to 10 and x = 250; n = 500 and 1000 at p = 0.01; n = 250 and 500 at
  p = 0.025; small n (1, 2, 10) with x = 0 and x = n; n = 1e6 with x near n p.
- Christoffersen: transition counts of hand-built hit sequences with numpy; LR_ind with mpmath from
  its definition; p-values chi2.sf(LR_ind, 1) and chi2.sf(LR_uc + LR_ind, 2).
- Zones: the smallest x with binom.cdf(x, n, p) >= 0.95 (yellow) and >= 0.9999 (red).
- Binomial CDF: scipy.stats.binom.cdf and binom.sf at (n, p, x), n up to 1e6, and the same
  probabilities summed term by term at 50 digits (scipy's are off by up to ~1e-13 at n = 1e6).
- Chi-squared survival functions: chi2.sf(x, 1) and chi2.sf(x, 2) from 1e-300 to 1400 (the far tail).
Every scipy number is checked against its 50-digit value here (the script fails if they disagree
beyond 1e-12 relative); both are written, the 50-digit one rounded once, for the tests' tight
tolerances.
"""
import json
import sys
from pathlib import Path

import mpmath
import numpy as np
from scipy.stats import binom, chi2

mpmath.mp.dps = 50
MP = mpmath.mpf


def xlogy(x, y):
    return MP(0) if x == 0 else MP(x) * mpmath.log(y)


def kupiec_lr(n, x, p):
    p = MP(p)  # the double exactly
    n, x = MP(n), MP(x)
    null = xlogy(n - x, 1 - p) + xlogy(x, p)
    alt = xlogy(n - x, 1 - x / n) + xlogy(x, x / n)
    return -2 * null + 2 * alt


def christoffersen_lr(n00, n01, n10, n11):
    N = n00 + n01 + n10 + n11
    if N == 0:
        return MP(0)
    pi = MP(n01 + n11) / N
    pi01 = MP(n01) / (n00 + n01) if n00 + n01 > 0 else MP(0)
    pi11 = MP(n11) / (n10 + n11) if n10 + n11 > 0 else MP(0)
    null = xlogy(n00 + n10, 1 - pi) + xlogy(n01 + n11, pi)
    alt = xlogy(n00, 1 - pi01) + xlogy(n01, pi01) + xlogy(n10, 1 - pi11) + xlogy(n11, pi11)
    return -2 * null + 2 * alt


def close(a, b, rel=1e-12, what=""):
    a, b = float(a), float(b)
    if a == b or abs(a - b) <= rel * max(abs(a), abs(b)):
        return
    raise SystemExit(f"{what}: scipy {a!r} and mpmath {b!r} disagree")


def chi2_sf(lr, dof):
    """P(chi2_dof > lr) at the double nearest lr: (50-digit value rounded, scipy's value), checked
    to agree to 1e-12."""
    x = float(lr)
    v = float(chi2.sf(x, dof))
    X = MP(x)
    exact = float(mpmath.erfc(mpmath.sqrt(X / 2)) if dof == 1 else mpmath.exp(-X / 2))
    close(v, exact, what=f"chi2.sf({x}, {dof})")
    return exact, v


def transitions(hits):
    h = np.asarray(hits, dtype=np.int64)
    a, b = h[:-1], h[1:]
    return [int(np.sum((a == i) & (b == j))) for i in (0, 1) for j in (0, 1)]


def binom_tails_mp(x, n, p):
    """(P(X <= x), P(X > x)) at 50 digits: the smaller tail summed term by term from the pmf
    C(n, k) p^k (1-p)^(n-k) (log-gamma at 50 digits, then the exact term ratio), until a term is
    below 1e-45 of the sum; the other tail is 1 minus it."""
    if x < 0:
        return MP(0), MP(1)
    if x >= n:
        return MP(1), MP(0)
    p = MP(p)
    q = 1 - p
    lower = x < n * p
    k = x if lower else x + 1
    term = mpmath.exp(mpmath.loggamma(n + 1) - mpmath.loggamma(k + 1) - mpmath.loggamma(n - k + 1)
                      + k * mpmath.log(p) + (n - k) * mpmath.log(q))
    s = MP(0)
    while 0 <= k <= n:
        s += term
        if term < s * MP(10) ** -45:
            break
        if lower:
            term *= MP(k) * q / ((n - k + 1) * p)
            k -= 1
        else:
            term *= MP(n - k) * p / ((k + 1) * q)
            k += 1
    return (s, 1 - s) if lower else (1 - s, s)


def sequences():
    """Hand-built hit sequences (1 = exceedance) and the p they are tested at."""
    rng = np.random.default_rng(20261203)
    z = lambda n: [0] * n
    seqs = [
        ("length 1, no hit", [0], 0.01),
        ("length 1, a hit", [1], 0.01),
        ("length 2, both hits", [1, 1], 0.01),
        ("no hits, 250 dates", z(250), 0.01),
        ("all hits, 20 dates", [1] * 20, 0.01),
        ("one hit, first date (n01 + n11 = 0)", [1] + z(249), 0.01),
        ("one hit, last date (n10 + n11 = 0)", z(249) + [1], 0.01),
        ("hits only before a last miss (n00 + n01 = 0)", [1, 1, 1, 0], 0.01),
        ("a miss then hits (n00 + n10 = 0)", [0, 1, 1, 1], 0.01),
        ("alternating, 20 dates (n00 = n11 = 0)", [0, 1] * 10, 0.01),
        ("3 isolated hits in 250", z(40) + [1] + z(80) + [1] + z(90) + [1] + z(37), 0.01),
        ("a cluster of 4 in 250", z(120) + [1, 1, 1, 1] + z(126), 0.01),
        ("6 hits, two pairs, in 250", z(10) + [1, 1] + z(50) + [1] + z(60) + [1, 1] + z(70) + [1] + z(54), 0.01),
        ("independent hits: n00 n11 = n01 n10", [0, 0, 1, 0, 0, 1, 1, 0, 1, 1, 0, 0, 0], 0.05),
        ("seeded Bernoulli(0.05), 500 dates", [int(v) for v in (rng.random(500) < 0.05)], 0.05),
        ("seeded Bernoulli(0.3), 1000 dates", [int(v) for v in (rng.random(1000) < 0.3)], 0.025),
    ]
    return seqs


def main():
    kupiec = []
    cases = [(250, x, 0.01) for x in range(0, 11)] + [(250, 250, 0.01)]
    cases += [(500, x, 0.01) for x in (0, 1, 3, 5, 7, 10, 12, 15, 20, 500)]
    cases += [(1000, x, 0.01) for x in (0, 5, 10, 15, 20, 30, 1000)]
    cases += [(250, x, 0.025) for x in (0, 3, 6, 7, 10, 15, 250)]
    cases += [(500, x, 0.025) for x in (0, 8, 12, 13, 20, 25)]
    cases += [(1, 0, 0.01), (1, 1, 0.01), (2, 1, 0.01), (10, 0, 0.1), (10, 1, 0.1), (10, 10, 0.1)]
    cases += [(1000000, x, 0.01) for x in (9800, 9999, 10000, 10001, 10300)]
    for n, x, p in cases:
        lr = kupiec_lr(n, x, p)
        pv, sp = chi2_sf(lr, 1)
        kupiec.append({"n": n, "x": x, "p": p, "lr": float(lr), "pValue": pv, "scipyP": sp})

    christ = []
    for name, hits, p in sequences():
        n00, n01, n10, n11 = transitions(hits)
        n, x = len(hits), int(sum(hits))
        ind = christoffersen_lr(n00, n01, n10, n11)
        uc = kupiec_lr(n, x, p)
        (p_ind, sp_ind), (p_uc, sp_uc), (p_cc, sp_cc) = chi2_sf(ind, 1), chi2_sf(uc, 1), chi2_sf(uc + ind, 2)
        christ.append({
            "name": name, "hits": "".join(str(h) for h in hits), "p": p,
            "n00": n00, "n01": n01, "n10": n10, "n11": n11,
            "lrInd": float(ind), "pInd": p_ind, "scipyPInd": sp_ind,
            "lrUc": float(uc), "pUc": p_uc, "scipyPUc": sp_uc,
            "lrCc": float(uc + ind), "pCc": p_cc, "scipyPCc": sp_cc,
        })

    zones = []
    for n, p in [(250, 0.01), (500, 0.01), (1000, 0.01), (250, 0.025), (500, 0.025), (1, 0.01),
                 (100000, 0.01)]:
        xs = np.arange(0, n + 1)
        cdf = binom.cdf(xs, n, p)
        yellow = int(np.argmax(cdf >= 0.95))
        red = int(np.argmax(cdf >= 0.9999))
        # distance of the boundary CDF values from the thresholds, checked at 50 digits
        for x in {yellow - 1, yellow, red - 1, red} - {-1}:
            close(cdf[x], binom_tails_mp(x, n, p)[0], what=f"binom.cdf({x}, {n}, {p})")
        zones.append({"n": n, "p": p, "yellowFrom": yellow, "redFrom": red,
                      "cdfBelowYellow": float(cdf[yellow - 1]) if yellow > 0 else None,
                      "cdfAtYellow": float(cdf[yellow]), "cdfBelowRed": float(cdf[red - 1]),
                      "cdfAtRed": float(cdf[red])})

    binoms = []
    points = [(250, 0.01, x) for x in range(0, 13)]
    points += [(500, 0.01, x) for x in (0, 4, 5, 10, 11, 15)]
    points += [(250, 0.025, x) for x in (0, 6, 7, 11, 12)]
    points += [(1000, 0.5, x) for x in (0, 100, 400, 499, 500, 501, 600, 999)]
    points += [(100000, 0.01, x) for x in (0, 800, 950, 999, 1000, 1001, 1050, 1100, 1200)]
    points += [(1000000, 0.01, x) for x in (9000, 9500, 9900, 10000, 10100, 10165, 10234, 10500, 11000)]
    points += [(1000000, 0.001, x) for x in (0, 900, 1000, 1052, 1100, 1200)]
    points += [(1000000, 0.5, x) for x in (497000, 499999, 500000, 502000)]
    points += [(3, 0.3, x) for x in (0, 1, 2)]
    for n, p, x in points:
        c, s = float(binom.cdf(x, n, p)), float(binom.sf(x, n, p))
        lo, hi = binom_tails_mp(x, n, p)
        close(c, lo, what=f"binom.cdf({x}, {n}, {p})")
        close(s, hi, what=f"binom.sf({x}, {n}, {p})")
        binoms.append({"n": n, "p": p, "x": x, "cdf": float(lo), "sf": float(hi), "scipyCdf": c, "scipySf": s})

    chis = []
    for x in (1e-300, 1e-12, 1e-6, 0.001, 0.1, 0.5, 1.0, 2.0, 3.841458820694124, 5.0, 6.634896601021213,
              10.0, 25.0, 50.0, 100.0, 200.0, 400.0, 700.0, 1000.0, 1400.0):
        (s1, sp1), (s2, sp2) = chi2_sf(x, 1), chi2_sf(x, 2)
        chis.append({"x": x, "sf1": s1, "sf2": s2, "scipySf1": sp1, "scipySf2": sp2})

    doc = {
        "description": "Known answers for the margin-backtest statistics (src/backtest/stats.ts). "
                       "Kupiec and Christoffersen LR values, p-values and binomial CDF/SF at 50 "
                       "digits with mpmath (rounded once); scipy.stats.chi2.sf and scipy.stats.binom "
                       "values beside them (scipy*), checked to agree to 1e-12. Generated by "
                       "scripts/backtest-fixture.py; do not edit.",
        "scipy": __import__("scipy").__version__,
        "mpmath": mpmath.__version__,
        "kupiec": kupiec,
        "christoffersen": christ,
        "zones": zones,
        "binomial": binoms,
        "chi2": chis,
    }
    out = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "backtest-stats.json"
    with open(out, "w") as f:
        f.write("{\n")
        keys = list(doc)
        for i, key in enumerate(keys):
            v = doc[key]
            sep = "," if i < len(keys) - 1 else ""
            if isinstance(v, list):
                f.write(f"  {json.dumps(key)}: [\n")
                f.write(",\n".join("    " + json.dumps(r) for r in v))
                f.write(f"\n  ]{sep}\n")
            else:
                f.write(f"  {json.dumps(key)}: {json.dumps(v)}{sep}\n")
        f.write("}\n")
    print(f"wrote {len(kupiec)} Kupiec, {len(christ)} Christoffersen, {len(zones)} zone and "
          f"{len(binoms)} binomial cases to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()

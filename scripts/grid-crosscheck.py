#!/usr/bin/env python3
"""Independent grid-margin reference (docs/methods.md §6) in Python with scipy's normal CDF.

Options on futures are Black-76 on the future's price (docs/methods.md §3.3), American options
Bjerksund-Stensland (2002) as Haug (2007) §3.3 prints it, with the bivariate normal from Owen's T
function (scipy.special.owens_t), not the engine's Drezner-Wesolowsky/Genz quadrature; the script
checks itself against Haug's Table 3-2 before it writes anything.

Writes test/fixtures/grid-crosscheck.json: the first N portfolios of a book (default out/book.csv,
written by `npm start`) with the initial margin this script computes for them on
examples/market.json's grid, so the test suite can hold the engine to an implementation that
shares no code with it. Usage: python3 scripts/grid-crosscheck.py [BOOK.csv] [N]
"""
import csv
import json
import math
import sys
from collections import OrderedDict, defaultdict
from datetime import datetime

import numpy as np
from scipy.special import owens_t
from scipy.stats import norm

ROOT = __file__.rsplit('/scripts/', 1)[0]
book = sys.argv[1] if len(sys.argv) > 1 else f'{ROOT}/out/book.csv'
count = int(sys.argv[2]) if len(sys.argv) > 2 else 400
m = json.load(open(f'{ROOT}/examples/market.json'))
g = m['risk']['grid']
asof = datetime.fromisoformat(m['asOf'].replace('Z', '+00:00'))


def year_fraction(expiry):
    return (datetime.fromisoformat(expiry.replace('Z', '+00:00')) - asof).total_seconds() / (365 * 86400)


def bsm(call, S, K, T, r, q, v):
    if T <= 0:
        return max(S - K, 0) if call else max(K - S, 0)
    F = S * math.exp((r - q) * T)
    d1 = (math.log(F / K) + v * v * T / 2) / (v * math.sqrt(T))
    d2 = d1 - v * math.sqrt(T)
    if call:
        return math.exp(-r * T) * (F * norm.cdf(d1) - K * norm.cdf(d2))
    return math.exp(-r * T) * (K * norm.cdf(-d2) - F * norm.cdf(-d1))


def black76(call, F, K, T, r, v):
    if T <= 0:
        return max(F - K, 0) if call else max(K - F, 0)
    d1 = (math.log(F / K) + v * v * T / 2) / (v * math.sqrt(T))
    d2 = d1 - v * math.sqrt(T)
    if call:
        return math.exp(-r * T) * (F * norm.cdf(d1) - K * norm.cdf(d2))
    return math.exp(-r * T) * (K * norm.cdf(-d2) - F * norm.cdf(-d1))


def bvn(h, k, rho):
    """P(X <= h, Y <= k) for standard normals of correlation rho, by Owen's T function."""
    if h == 0 and k == 0:
        return 0.25 + math.asin(rho) / (2 * math.pi)
    c = math.sqrt(1 - rho * rho)

    def t(x, num):
        if x == 0:
            return 0.25 * math.copysign(1, num)
        return owens_t(x, num / (x * c))
    beta = 0.5 if (h * k < 0 or (h * k == 0 and h + k < 0)) else 0.0
    return 0.5 * (norm.cdf(h) + norm.cdf(k)) - t(h, k - rho * h) - t(k, h - rho * k) - beta


def bs2002_call(S, K, T, r, q, v):
    """Bjerksund-Stensland (2002), Haug (2007) pp. 104-108, for b = r - q < r."""
    b, v2 = r - q, v * v
    t1 = (math.sqrt(5) - 1) / 2 * T
    beta = (0.5 - b / v2) + math.sqrt((b / v2 - 0.5) ** 2 + 2 * r / v2)
    binf = beta / (beta - 1) * K
    b0 = max(K, r / (r - b) * K)

    def hh(t):
        return -(b * t + 2 * v * math.sqrt(t)) * K * K / ((binf - b0) * b0)
    i1 = b0 + (binf - b0) * (1 - math.exp(hh(t1)))
    i2 = b0 + (binf - b0) * (1 - math.exp(hh(T)))
    if S >= i2:
        return S - K
    a1, a2 = (i1 - K) * i1 ** -beta, (i2 - K) * i2 ** -beta

    def lam(g):
        return -r + g * b + 0.5 * g * (g - 1) * v2

    def kap(g):
        return 2 * b / v2 + (2 * g - 1)

    def mu(g):
        return b + (g - 0.5) * v2

    def phi(t, g, H, I):
        sd = v * math.sqrt(t)
        d = (math.log(S / H) + mu(g) * t) / sd
        d2 = (math.log(I * I / (S * H)) + mu(g) * t) / sd
        return math.exp(lam(g) * t) * S ** g * (norm.cdf(-d) - (I / S) ** kap(g) * norm.cdf(-d2))

    def psi(g, H, I2, I1):
        rho = math.sqrt(t1 / T)
        s1, s2 = v * math.sqrt(t1), v * math.sqrt(T)
        m = mu(g)
        e1 = (math.log(S / I1) + m * t1) / s1
        e2 = (math.log(I2 * I2 / (S * I1)) + m * t1) / s1
        e3 = (math.log(S / I1) - m * t1) / s1
        e4 = (math.log(I2 * I2 / (S * I1)) - m * t1) / s1
        f1 = (math.log(S / H) + m * T) / s2
        f2 = (math.log(I2 * I2 / (S * H)) + m * T) / s2
        f3 = (math.log(I1 * I1 / (S * H)) + m * T) / s2
        f4 = (math.log(S * I1 * I1 / (H * I2 * I2)) + m * T) / s2
        kp = kap(g)
        return math.exp(lam(g) * T) * S ** g * (bvn(-e1, -f1, rho) - (I2 / S) ** kp * bvn(-e2, -f2, rho)
                                                 - (I1 / S) ** kp * bvn(-e3, -f3, -rho) + (I1 / I2) ** kp * bvn(-e4, -f4, -rho))
    return (a2 * S ** beta - a2 * phi(t1, beta, i2, i2) + phi(t1, 1, i2, i2) - phi(t1, 1, i1, i2)
            - K * phi(t1, 0, i2, i2) + K * phi(t1, 0, i1, i2) + a1 * phi(t1, beta, i1, i2)
            - a1 * psi(beta, i1, i2, i1) + psi(1, i1, i2, i1) - psi(1, K, i2, i1)
            - K * psi(0, i1, i2, i1) + K * psi(0, K, i2, i1))


def american(call, S, K, T, r, q, v):
    """docs/pricing.md §2's cases: no early-exercise premium, the European value; else BS2002
    (a put by the put-call transformation C(K, S, T, q, r)), at least the European and the intrinsic value."""
    intrinsic = max(S - K, 0) if call else max(K - S, 0)
    if T <= 0:
        return intrinsic
    eu = bsm(call, S, K, T, r, q, v)
    if (q <= 0 and r >= 0) if call else (r <= 0 and q >= 0):
        return eu
    if (r < 0) if call else (q < 0):
        return max(eu, intrinsic)
    raw = bs2002_call(S, K, T, r, q, v) if call else bs2002_call(K, S, T, q, r, v)
    return max(raw, eu, intrinsic)


# Self-check: Haug (2007) Table 3-2, the 2002 columns (American options on futures: b = 0, K = 100, r = 0.10).
for call, rows in ((True, [(0.1, 0.15, [0.0205, 1.8757, 10.0000]), (0.5, 0.35, [4.9665, 9.4608, 15.5137])]),
                   (False, [(0.1, 0.25, [10.2280, 3.1256, 0.4552]), (0.5, 0.15, [10.5400, 4.0628, 1.0689])])):
    for T_, v_, vals in rows:
        for F_, want in zip((90, 100, 110), vals):
            got = american(call, F_, 100, T_, 0.10, 0.10, v_)
            assert abs(got - want) <= 5e-5, (call, F_, T_, v_, got, want)


def surface_vol(surface, K, T, F):
    """docs/surfaces.md: linear in log strike (or log moneyness K / F) along each expiry's smile, flat
    beyond its ends; linear in total variance vol^2 T between expiries, flat beyond them."""
    ts = np.array([year_fraction(e) for e in surface['expiries']])
    y = math.log(K / F) if surface['axis'] == 'moneyness' else math.log(K)
    lx = np.log(np.asarray(surface['points'], dtype=float))
    vs = np.array([float(np.interp(y, lx, row)) for row in surface['vols']])
    if T <= ts[0]:
        return float(vs[0])
    if T >= ts[-1]:
        return float(vs[-1])
    return math.sqrt(float(np.interp(T, ts, vs * vs * ts)) / T)


def option_vol(ins):
    """The option's own vol, or its underlying's surface vol at its strike and expiry."""
    if 'vol' in ins:
        return ins['vol']
    u = m['underlyings'][ins['underlying']]
    T = year_fraction(ins['expiry'])
    F = future_price(ins['future']) if 'future' in ins else u['spot'] * math.exp((u.get('rate', 0) - u.get('yield', 0)) * T)
    return surface_vol(u['surface'], ins['strike'], T, F)


def future_price(fid):
    f = m['instruments'][fid]
    u = m['underlyings'][f['underlying']]
    return f.get('price', u['spot'] * math.exp((u.get('rate', 0) - u.get('yield', 0)) * max(year_fraction(f['expiry']), 0)))


def option_price(ins, S, T, v):
    """One unit of option `ins` with its underlying at S (the spot moved by S / spot), T years left, vol v:
    on a future, the future's price moves by the same ratio and Black-76 (American: BS2002 with q = r) prices it."""
    u = m['underlyings'][ins['underlying']]
    call, K, r, q = ins['right'] == 'call', ins['strike'], u.get('rate', 0), u.get('yield', 0)
    X = S
    if 'future' in ins:
        X, q = future_price(ins['future']) * S / u['spot'], r
    if ins.get('style') == 'american':
        return american(call, X, K, T, r, q, v)
    if 'future' in ins:
        return black76(call, X, K, T, r, v)
    return bsm(call, X, K, T, r, q, v)


h = g.get('horizonDays', 0) / 365
vt = g.get('volTerm')


def pnl(iid, move, vol_move):
    ins = m['instruments'][iid]
    u = m['underlyings'][ins['underlying']]
    S, cs, kind = u['spot'], ins.get('contractSize', 1), ins['kind']
    r, q = u.get('rate', 0), u.get('yield', 0)
    S1 = S * (1 + move)
    if kind == 'spot':
        return cs * (S1 - S)
    if kind == 'perpetual':
        return cs * ins.get('price', S) * (S1 / S - 1)
    if kind == 'future':
        F = ins.get('price', S * math.exp((r - q) * max(year_fraction(ins['expiry']), 0)))
        return cs * F * (S1 / S - 1)
    T = year_fraction(ins['expiry'])
    w = 1 if not vt else (vt['refDays'] / max(vt.get('floorDays', 1), 365 * T)) ** vt['power']
    v = option_vol(ins)
    return cs * (option_price(ins, S1, T - h, v * (1 + vol_move * w)) - option_price(ins, S, T, v))


def value(iid):
    """Market value of one contract of an option."""
    ins = m['instruments'][iid]
    u = m['underlyings'][ins['underlying']]
    return ins.get('contractSize', 1) * option_price(ins, u['spot'], year_fraction(ins['expiry']), option_vol(ins))


def margin(positions):
    by_u = defaultdict(list)
    for iid, qty in positions:
        by_u[m['instruments'][iid]['underlying']].append((iid, qty))
    L = {}
    for uid, ps in by_u.items():
        own = g.get('underlyings', {}).get(uid, {})
        row = []
        for j, p in enumerate(g['points']):
            move = own['moves'][j] if 'moves' in own else p['move'] * own.get('moveScale', 1)
            worst = max(-sum(qty * pnl(i, move, vm) for i, qty in ps) for vm in p.get('volMoves', g.get('volMoves', [0])))
            row.append(p.get('cover', 1) * worst)
        L[uid] = row
    groups = defaultdict(list)
    for uid in L:
        grp = m['underlyings'][uid].get('group')
        groups[('named', grp) if grp else ('own', uid)].append(uid)
    total = 0.0
    for (kind, gid), us in groups.items():
        o = g.get('groups', {}).get(gid, {}).get('offset', 0) if kind == 'named' else 0
        R = max(0, max(sum(max(L[u][j], 0) for u in us) - o * sum(max(-L[u][j], 0) for u in us)
                       for j in range(len(g['points']))))
        net = defaultdict(float)
        for u in us:
            for iid, qty in by_u[u]:
                net[iid] += qty
        opt = [(i, q) for i, q in net.items() if m['instruments'][i]['kind'] == 'option']
        short = sum(-q * m['instruments'][i].get('contractSize', 1) for i, q in opt if q < 0)
        # A long option's minimum is capped at its market value, per position (FINRA Rule 4210(g)).
        long_ = sum(q * min(g.get('longOptionMinimum', 0) * m['instruments'][i].get('contractSize', 1), value(i))
                    for i, q in opt if q > 0)
        M = g.get('shortOptionMinimum', 0) * short + long_
        total += max(R, M)
    return total


portfolios = OrderedDict()
for row in csv.DictReader(open(book)):
    portfolios.setdefault(row['portfolio'], []).append((row['instrument'], float(row['quantity'])))
cases = [{'portfolio': pid, 'positions': [{'instrument': i, 'quantity': q} for i, q in pos], 'initialMargin': margin(pos)}
         for pid, pos in list(portfolios.items())[:count]]
out = {'source': 'scripts/grid-crosscheck.py (Python, scipy.stats.norm, scipy.special.owens_t) on examples/market.json', 'cases': cases}
with open(f'{ROOT}/test/fixtures/grid-crosscheck.json', 'w') as f:
    json.dump(out, f, indent=0)
print(f'{len(cases)} portfolios written')

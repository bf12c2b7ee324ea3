#!/usr/bin/env python3
"""Independent grid-margin reference (docs/methods.md §6) in Python with scipy's normal CDF.

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
    F = u['spot'] * math.exp((u.get('rate', 0) - u.get('yield', 0)) * T)
    return surface_vol(u['surface'], ins['strike'], T, F)


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
    call = ins['right'] == 'call'
    v = option_vol(ins)
    return cs * (bsm(call, S1, ins['strike'], T - h, r, q, v * (1 + vol_move * w)) - bsm(call, S, ins['strike'], T, r, q, v))


def value(iid):
    """Market value of one contract of an option."""
    ins = m['instruments'][iid]
    u = m['underlyings'][ins['underlying']]
    return ins.get('contractSize', 1) * bsm(ins['right'] == 'call', u['spot'], ins['strike'], year_fraction(ins['expiry']),
                                            u.get('rate', 0), u.get('yield', 0), option_vol(ins))


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
out = {'source': 'scripts/grid-crosscheck.py (Python, scipy.stats.norm) on examples/market.json', 'cases': cases}
with open(f'{ROOT}/test/fixtures/grid-crosscheck.json', 'w') as f:
    json.dump(out, f, indent=0)
print(f'{len(cases)} portfolios written')

#!/usr/bin/env python3
"""Writes test/fixtures/surface.json: implied vols read from a few volatility surfaces, computed
independently of the engine with numpy and scipy (docs/surfaces.md):

- along the points: scipy.interpolate.interp1d, linear in vol against ln(point), the end vols
  held flat outside the points (ln K on a strike axis, ln(K / F) on a moneyness axis);
- along time: numpy.interp of total variance w = vol^2 T against T between the two bracketing
  expiries, at the same point coordinate; vol = sqrt(w / T); before the first expiry and after
  the last, that expiry's vol at the same coordinate.

Expiry year fractions are ACT/365F from asOf: seconds between them / (365 * 86400).

Run from the package root:  python3 scripts/surface-fixture.py
Needs numpy and scipy. The tests only read the committed JSON.
"""
import json
import math
import random
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from scipy.interpolate import interp1d

YEAR = 365 * 86400.0


def year_fraction(as_of, iso):
    parse = lambda s: datetime.fromisoformat(s.replace('Z', '+00:00')).astimezone(timezone.utc)
    return (parse(iso) - parse(as_of)).total_seconds() / YEAR


def smile(points, row):
    """Vol against the log coordinate, flat beyond the ends."""
    lx = np.log(np.asarray(points, dtype=float))
    row = np.asarray(row, dtype=float)
    if len(lx) == 1:
        return lambda y: float(row[0])
    f = interp1d(lx, row, kind='linear', bounds_error=False, fill_value=(row[0], row[-1]), assume_sorted=True)
    return lambda y: float(f(y))


def lookup(surface, as_of, K, T, F):
    ts = [year_fraction(as_of, e) for e in surface['expiries']]
    rows = [smile(surface['points'], r) for r in surface['vols']]
    y = math.log(K / F) if surface['axis'] == 'moneyness' else math.log(K)
    vs = np.array([r(y) for r in rows])
    if T <= ts[0]:
        return float(vs[0])
    if T >= ts[-1]:
        return float(vs[-1])
    w = np.interp(T, np.array(ts), vs * vs * np.array(ts))
    return float(math.sqrt(w / T))


AS_OF = '2026-01-01T00:00:00Z'

SURFACES = {
    # The table worked by hand in test/surface.test.ts: T = 0.2 and 0.4.
    'hand': {'axis': 'moneyness', 'expiries': ['2026-03-15T00:00:00Z', '2026-05-27T00:00:00Z'],
             'points': [0.8, 1.0, 1.25], 'vols': [[0.6, 0.5, 0.55], [0.55, 0.45, 0.5]]},
    # A crypto-like smile with term structure, on moneyness.
    'crypto': {'axis': 'moneyness',
               'expiries': ['2026-01-09T08:00:00Z', '2026-01-30T08:00:00Z', '2026-03-27T08:00:00Z', '2026-06-26T08:00:00Z'],
               'points': [0.5, 0.7, 0.85, 1.0, 1.15, 1.3, 1.6, 2.0],
               'vols': [[1.10, 0.85, 0.66, 0.55, 0.58, 0.68, 0.86, 1.05],
                        [0.98, 0.80, 0.65, 0.57, 0.59, 0.66, 0.80, 0.95],
                        [0.90, 0.77, 0.66, 0.60, 0.61, 0.65, 0.75, 0.86],
                        [0.86, 0.76, 0.68, 0.63, 0.63, 0.66, 0.73, 0.81]]},
    # An index skew on strikes.
    'index': {'axis': 'strike',
              'expiries': ['2026-01-16T21:00:00Z', '2026-03-20T20:00:00Z', '2026-12-18T21:00:00Z'],
              'points': [4000, 5000, 5600, 6000, 6400, 7000],
              'vols': [[0.42, 0.28, 0.19, 0.15, 0.13, 0.14],
                       [0.36, 0.26, 0.20, 0.17, 0.15, 0.15],
                       [0.31, 0.25, 0.21, 0.19, 0.17, 0.165]]},
    'one-expiry': {'axis': 'moneyness', 'expiries': ['2026-02-01T00:00:00Z'],
                   'points': [0.9, 1.0, 1.1], 'vols': [[0.3, 0.2, 0.25]]},
    'one-point': {'axis': 'strike', 'expiries': ['2026-02-01T00:00:00Z', '2026-07-01T00:00:00Z'],
                  'points': [100], 'vols': [[0.3], [0.25]]},
}


def cases(name, s, rng):
    ts = [year_fraction(AS_OF, e) for e in s['expiries']]
    pts = s['points']
    F = 100.0 if s['axis'] == 'moneyness' else 5800.0
    out = []
    # Fixed: below and above the points, between, on the expiries, between, before, after, T <= 0.
    xs = [pts[0] * 0.5, pts[0], pts[-1], pts[-1] * 1.5]
    if len(pts) > 1:
        xs += [math.sqrt(pts[0] * pts[1]), (pts[0] + pts[-1]) / 2]
    Ts = [-0.05, 0.0, ts[0] / 2, ts[-1] * 2] + ts
    if len(ts) > 1:
        Ts += [(ts[0] + ts[1]) / 2]
    for x in xs:
        for T in Ts:
            K = x * F if s['axis'] == 'moneyness' else x
            out.append((K, T, F))
    for _ in range(40):
        x = math.exp(rng.uniform(math.log(pts[0]) - 0.3, math.log(pts[-1]) + 0.3))
        T = rng.uniform(-0.02, ts[-1] * 1.3)
        K = x * F if s['axis'] == 'moneyness' else x
        out.append((K, T, F))
    return [{'K': K, 'T': T, 'F': F, 'vol': lookup(s, AS_OF, K, T, F)} for K, T, F in out]


def main():
    rng = random.Random(20261203)
    fixture = {
        'description': 'Vols read from surfaces by scripts/surface-fixture.py (numpy/scipy); do not edit.',
        'asOf': AS_OF,
        'surfaces': [{'name': n, 'surface': s, 'lookups': cases(n, s, rng)} for n, s in SURFACES.items()],
    }
    path = Path(__file__).resolve().parent.parent / 'test' / 'fixtures' / 'surface.json'
    path.write_text(json.dumps(fixture, indent=1) + '\n')
    print(f'wrote {path.name}: {sum(len(s["lookups"]) for s in fixture["surfaces"])} lookups')


if __name__ == '__main__':
    main()

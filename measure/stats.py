"""Across-seed statistics of the benchmarks: mean and two-sided 95 % t-interval (no scipy)."""
from __future__ import annotations

import math

T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
        10: 2.228, 12: 2.179, 15: 2.131, 20: 2.086, 30: 2.042}  # two-sided 95 % t quantiles


def t_quantile(df: int) -> float:
    """97.5 % quantile of Student's t (the nearest tabulated df at or below; 1.96 above 30)."""
    if df < 1:
        return math.nan
    return T975[max(k for k in T975 if k <= df)] if df <= 30 else 1.96


def mean_ci(values) -> tuple[float, float, int]:
    """(mean, 95 % half-width across seeds, n) ignoring NaN."""
    v = [float(x) for x in values if x is not None and not math.isnan(x)]
    n = len(v)
    if n == 0:
        return math.nan, math.nan, 0
    m = sum(v) / n
    if n == 1:
        return m, math.nan, 1
    sd = math.sqrt(sum((x - m) ** 2 for x in v) / (n - 1))
    return m, t_quantile(n - 1) * sd / math.sqrt(n), n

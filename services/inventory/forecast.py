"""Demand forecast per site × component × ABO × RhD from daily issues: trend, weekday, public holidays, 调休.

A linear model of the daily issues (U) fitted by least squares over the last `history_days` days:

    issues(day) = a + b·t + Σ weekday effects (Monday…Saturday against Sunday) + holiday + makeup working day

- a public holiday (法定节假日, including the days off a 调休 moves) is taken as a Sunday plus its own effect:
  hospitals run emergencies, not elective surgery, so with no holiday yet in the window it forecasts a Sunday;
- a makeup working day (调休上班, a Saturday or Sunday worked in exchange) is taken as an average Monday–Friday
  plus its own effect, so with none in the window it forecasts an ordinary working day;
- the calendar is China's from the `holidays` package (its `weekend_workdays` are the 调休 working days).

Prediction intervals are the regression's: σ²(1 + x(XᵀX)⁺xᵀ), σ² from the residuals, normal quantiles; the
lower bound is cut at 0. Many series share one calendar, so `fit` takes a matrix of series (one column each)
and solves them all with one pseudo-inverse: a region's 640 series cost one small factorisation.

Plain Python + numpy (no statsmodels): the inventory service imports it for days of supply (services/stock.py).
Backtest figures: docs/simulation.md.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from statistics import NormalDist
from typing import Iterable, Sequence

import numpy as np

from .policy import FORECAST, ForecastPolicy

FEATURES = ("intercept", "trend", "mon", "tue", "wed", "thu", "fri", "sat", "holiday", "makeup_workday")


@dataclass(frozen=True)
class Calendar:
    """Days off that are not weekends' and weekend days that are worked (调休)."""
    holidays: frozenset[date] = frozenset()
    makeup_workdays: frozenset[date] = frozenset()


@lru_cache(maxsize=16)
def china_calendar(first_year: int, last_year: int) -> Calendar:
    """China's public holidays and 调休 working days for these years (`holidays` package, public category)."""
    import holidays    # imported here: only a forecast needs it

    years = list(range(first_year, last_year + 1))
    cn = holidays.China(years=years)
    return Calendar(frozenset(cn), frozenset(d for d in cn.weekend_workdays if first_year <= d.year <= last_year))


def calendar_for(days: Iterable[date]) -> Calendar:
    days = list(days)
    return china_calendar(min(days).year, max(days).year) if days else Calendar()


def design(days: Sequence[date], origin: date, calendar: Calendar) -> np.ndarray:
    """One row per day, columns as FEATURES; `origin` is t = 0 (trend in years)."""
    x = np.zeros((len(days), len(FEATURES)))
    x[:, 0] = 1.0
    for n, day in enumerate(days):
        x[n, 1] = (day - origin).days / 365.0
        if day in calendar.holidays:
            x[n, 8] = 1.0
        elif day in calendar.makeup_workdays:
            x[n, 2:7] = 0.2          # an average working day
            x[n, 9] = 1.0
        elif day.weekday() < 6:
            x[n, 2 + day.weekday()] = 1.0
    return x


@dataclass(frozen=True)
class Fit:
    coef: np.ndarray          # features × series
    xtx_pinv: np.ndarray      # (XᵀX)⁺, features × features
    sigma: np.ndarray         # residual standard deviation per series
    origin: date
    last_day: date


@dataclass(frozen=True)
class Forecast:
    days: list[date]
    mean: np.ndarray          # days × series (or days, for one series)
    lower: np.ndarray
    upper: np.ndarray
    level: float


def fit(history: np.ndarray, first_day: date, calendar: Calendar | None = None) -> Fit:
    """Fit every column of `history` (days × series; a vector is one series), day 0 being `first_day`."""
    y = np.asarray(history, dtype=float)
    y = y[:, None] if y.ndim == 1 else y
    days = [first_day + timedelta(days=n) for n in range(len(y))]
    calendar = calendar if calendar is not None else calendar_for(days)
    origin = days[-1]
    x = design(days, origin, calendar)
    pinv = np.linalg.pinv(x)
    coef = pinv @ y
    rank = np.linalg.matrix_rank(x)
    resid = y - x @ coef
    dof = max(1, len(y) - rank)
    sigma = np.sqrt((resid ** 2).sum(axis=0) / dof)
    return Fit(coef, pinv @ pinv.T, sigma, origin, days[-1])


def predict(model: Fit, days: Sequence[date], calendar: Calendar | None = None,
            level: float = FORECAST.interval) -> Forecast:
    calendar = calendar if calendar is not None else calendar_for(days)
    x = design(days, model.origin, calendar)
    mean = x @ model.coef
    spread = np.sqrt(1.0 + np.einsum("ij,jk,ik->i", x, model.xtx_pinv, x))[:, None] * model.sigma[None, :]
    z = NormalDist().inv_cdf(0.5 + level / 2)
    return Forecast(list(days), np.maximum(mean, 0.0), np.maximum(mean - z * spread, 0.0),
                    np.maximum(mean + z * spread, 0.0), level)


def forecast(history: np.ndarray, first_day: date, horizon: int, calendar: Calendar | None = None,
             level: float = FORECAST.interval) -> Forecast:
    """The `horizon` days after the history; one column per series (a vector in, vectors out)."""
    y = np.asarray(history, dtype=float)
    start = first_day + timedelta(days=len(y))
    days = [start + timedelta(days=n) for n in range(horizon)]
    if calendar is None:
        calendar = calendar_for([first_day, days[-1]])
    result = predict(fit(y, first_day, calendar), days, calendar, level)
    if y.ndim == 1:
        return Forecast(days, result.mean[:, 0], result.lower[:, 0], result.upper[:, 0], level)
    return result


def daily_rates(series: dict, today: date, policy: ForecastPolicy = FORECAST,
                calendar: Calendar | None = None) -> dict:
    """Mean forecast U/day over the next `horizon_days` from `today` (inclusive), for every key of `series`
    ({key: {day: U}}) whose issues began at least `min_history_days` before today; other keys are left out
    (their caller keeps its baseline). Days without issues count as 0."""
    first = today - timedelta(days=policy.history_days)
    keys = [k for k, by_day in series.items() if by_day]
    y = np.zeros((policy.history_days, len(keys)))
    starts = []
    for col, key in enumerate(keys):
        for day, u in series[key].items():
            n = (day - first).days
            if 0 <= n < policy.history_days:
                y[n, col] += u
        starts.append((min(series[key]) - first).days)
    rates = window_rates(y, first, np.array(starts, dtype=int), policy, calendar)
    return {keys[col]: float(rates[col]) for col in range(len(keys)) if not np.isnan(rates[col])}


def window_rates(y: np.ndarray, first_day: date, starts: np.ndarray, policy: ForecastPolicy = FORECAST,
                 calendar: Calendar | None = None) -> np.ndarray:
    """`y`: the last `history_days` days of issues (days × series) from `first_day`; `starts[c]`: the day index
    of series c's first issue (negative: before the window). Returns the mean forecast of the `horizon_days`
    after the window per series, NaN where the history is shorter than `min_history_days`.

    A series whose first issue falls inside the window is fitted on its own days only (the zeros before it
    are not demand); series that start on the same day share one fit."""
    n_days, n_series = y.shape
    out = np.full(n_series, np.nan)
    today = first_day + timedelta(days=n_days)
    days = [today + timedelta(days=n) for n in range(policy.horizon_days)]
    if calendar is None:
        calendar = calendar_for([first_day, days[-1]])
    clipped = np.maximum(starts, 0)
    eligible = (n_days - clipped) >= policy.min_history_days
    for start in np.unique(clipped[eligible]):
        cols = np.flatnonzero(eligible & (clipped == start))
        model = fit(y[start:, cols], first_day + timedelta(days=int(start)), calendar)
        out[cols] = predict(model, days, calendar, policy.interval).mean.mean(axis=0)
    return out

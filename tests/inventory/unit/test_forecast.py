"""The demand forecast: a known weekly, holiday and trend pattern is recovered; its intervals cover at about
their nominal rate; the 调休 working days and holidays come from China's calendar."""
from datetime import date, timedelta

import numpy as np
import pytest

from inventory import forecast as fc
from inventory.policy import FORECAST, ForecastPolicy

FIRST = date(2025, 1, 1)
CAL = fc.china_calendar(2025, 2027)
TRUE = np.array([20.0, 3.0, 10.0, 11.0, 10.0, 9.0, 8.0, 2.0, -6.0, 4.0])   # as fc.FEATURES


def _series(n_days: int, rng, noise: float, columns: int = 1) -> np.ndarray:
    days = [FIRST + timedelta(days=n) for n in range(n_days)]
    mean = fc.design(days, days[-1], CAL) @ TRUE
    return mean[:, None] + rng.normal(0, noise, (n_days, columns))


def test_china_calendar_has_spring_festival_and_its_makeup_working_days():
    assert date(2026, 2, 17) in CAL.holidays                  # 春节
    assert date(2026, 10, 1) in CAL.holidays                  # 国庆
    assert date(2026, 2, 14) in CAL.makeup_workdays           # a Saturday worked for the Spring Festival break
    assert date(2026, 2, 14).weekday() == 5 and date(2026, 2, 14) not in CAL.holidays


def test_design_treats_holidays_as_sundays_and_makeup_days_as_working_days():
    x = fc.design([date(2026, 2, 17), date(2026, 2, 14), date(2026, 3, 2), date(2026, 3, 1)], date(2026, 3, 1), CAL)
    weekday = slice(2, 8)
    assert x[0, weekday].sum() == 0 and x[0, 8] == 1          # holiday: Sunday + its own effect
    assert x[1, 2:7].tolist() == [0.2] * 5 and x[1, 9] == 1   # 调休 Saturday: an average Mon–Fri + its own
    assert x[2, 2] == 1 and x[3, weekday].sum() == 0           # an ordinary Monday, an ordinary Sunday


def test_fit_recovers_a_known_seasonal_series():
    y = _series(540, np.random.default_rng(3), noise=1.0)
    coef = fc.fit(y[:, 0], FIRST, CAL).coef[:, 0]
    assert coef[2:8] == pytest.approx(TRUE[2:8], abs=0.6)      # weekday effects
    assert coef[1] == pytest.approx(TRUE[1], abs=0.6)          # trend per year
    assert coef[8] == pytest.approx(TRUE[8], abs=1.5)          # holidays (about 30 of them)


def test_forecast_follows_the_week_and_a_holiday_ahead():
    y = _series(400, np.random.default_rng(4), noise=1.0)
    f = fc.forecast(y[:, 0], FIRST, horizon=14, calendar=CAL)
    days = [FIRST + timedelta(days=400 + n) for n in range(14)]
    expected = fc.design(days, FIRST + timedelta(days=399), CAL) @ TRUE
    assert f.days == days
    assert np.abs(f.mean - expected).max() < 1.5
    assert (f.lower <= f.mean).all() and (f.mean <= f.upper).all()


@pytest.mark.parametrize("level", [0.8, 0.9])
def test_intervals_cover_at_about_the_nominal_rate(level):
    rng = np.random.default_rng(5)
    y = _series(300, rng, noise=2.0, columns=400)             # 400 series, one fit
    f = fc.forecast(y[:252], FIRST, horizon=28, calendar=CAL, level=level)
    inside = (y[252:280] >= f.lower) & (y[252:280] <= f.upper)
    assert inside.mean() == pytest.approx(level, abs=0.03)


def test_window_rates_leave_out_series_with_too_little_history():
    policy = ForecastPolicy(min_history_days=56, history_days=182, horizon_days=7)
    y = np.full((182, 3), 10.0)
    y[:150, 2] = 0.0                                          # first issue 32 days ago: too young
    rates = fc.window_rates(y, FIRST, np.array([-40, 0, 150]), policy, CAL)
    assert rates[:2] == pytest.approx([10.0, 10.0], abs=1e-6)
    assert np.isnan(rates[2])


def test_daily_rates_from_issues_by_day():
    today = date(2026, 6, 1)
    old = {today - timedelta(days=n): 6.0 for n in range(1, 120)}
    young = {today - timedelta(days=n): 6.0 for n in range(1, 30)}
    rates = fc.daily_rates({"old": old, "young": young, "none": {}}, today, FORECAST, CAL)
    assert set(rates) == {"old"} and rates["old"] == pytest.approx(6.0, abs=1e-6)

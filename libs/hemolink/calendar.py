"""Calendar arithmetic the rules are written in ("6 months", "4 weeks", "5 years"), on Asia/Shanghai dates."""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")     # every day, month and window of the rules is counted here


def shanghai_day(moment: datetime) -> date:
    """The calendar day in Shanghai: 23:30 there is still today, 00:30 already tomorrow, whatever UTC says. A naive
    moment is UTC (as SQLite hands stored times back)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(SHANGHAI).date()


def add_months(day: date, months: int) -> date:
    """`months` calendar months after `day`; a day the target month lacks clamps to its last day
    (31 August + 6 months = 28 or 29 February), as people count "six months later"."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def add_years(day: date, years: int) -> date:
    """`years` years after `day`; 29 February becomes 1 March in a common year (a birthday, an anniversary)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, month=3, day=1)


@dataclass(frozen=True)
class Span:
    """A span as a rule states it: calendar months, weeks or days (one of them, or a sum)."""
    months: int = 0
    weeks: int = 0
    days: int = 0

    def after(self, day: date) -> date:
        return add_months(day, self.months) + timedelta(weeks=self.weeks, days=self.days)

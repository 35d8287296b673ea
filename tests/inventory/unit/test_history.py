"""Stock history's plain rules (#20): the Shanghai day of a moment, the days a history covers, a snapshot of a
stock view row."""
from datetime import date, datetime, timezone

import pytest

from hemolink.calendar import shanghai_day
from inventory.history import MAX_DAYS, snapshot_of, window
from inventory.services.stock import StockRow


def test_the_day_is_shanghais_not_utcs():
    assert shanghai_day(datetime(2026, 3, 9, 15, 30, tzinfo=timezone.utc)) == date(2026, 3, 9)    # 23:30 there
    assert shanghai_day(datetime(2026, 3, 9, 16, 30, tzinfo=timezone.utc)) == date(2026, 3, 10)   # 00:30 there


def test_the_window_is_the_last_days_including_today_in_shanghai():
    now = datetime(2026, 3, 9, 16, 30, tzinfo=timezone.utc)                                        # 10 March there
    assert window(now, 1) == (date(2026, 3, 10), date(2026, 3, 10))
    assert window(now, 28) == (date(2026, 2, 11), date(2026, 3, 10))
    assert window(now, MAX_DAYS)[0] == date(2025, 12, 11)


@pytest.mark.parametrize("days", [0, -1, MAX_DAYS + 1])
def test_a_window_outside_1_to_90_days_is_refused(days):
    with pytest.raises(ValueError):
        window(datetime(2026, 3, 9, tzinfo=timezone.utc), days)


def test_a_snapshot_keeps_the_level_staff_saw_including_no_data():
    row = StockRow(site_id="SH-S1", region="SH", component="platelets", abo="AB", rhd="neg", available_units=0.0,
                   daily_demand=0.0, days_of_supply=None, level="no_data", warning="green")
    snap = snapshot_of(row, datetime(2026, 3, 9, 16, 30, tzinfo=timezone.utc))
    assert (snap.day, snap.site_id, snap.region, snap.component, snap.abo, snap.rhd) == \
        (date(2026, 3, 10), "SH-S1", "SH", "platelets", "AB", "neg")
    assert (snap.available_units, snap.days_of_supply, snap.level) == (0.0, None, "no_data")

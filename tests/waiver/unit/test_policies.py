"""Each region's default policy at its boundaries: windows (last day inside, first day outside, counted in
Asia/Shanghai days), lifetime thresholds at N−1 and N ml, every multiple, every relation in and out."""
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from waiver.allocation import DonationFact, quota_on
from waiver.policy import FAMILY_RELATIONS, SHANGHAI, Policy, PolicyBook, add_years
from waiver.policy_data import DEFAULTS

BOOK = PolicyBook([Policy.from_dict(d) for d in DEFAULTS])
UTC = timezone.utc


def policy(region, day=date(2026, 1, 1)):
    return BOOK.in_force(region, day)


def cst(y, m, d, hh=12, mm=0):
    """An Asia/Shanghai wall-clock time as an aware UTC instant."""
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI).astimezone(UTC)


def donation(region, at, volume_ml=400, kind="whole_blood", doses=None, rhd="pos"):
    return DonationFact("d", region, kind, volume_ml if kind == "whole_blood" else None, doses, rhd, at)


def quota(region, donations, at, relation="self", award=None):
    return quota_on(policy(region, at.date()), donations, relation=relation, award_level=award, at=at)


DONATED = cst(2020, 3, 15, 10)
LAST_DAY_INSIDE = cst(2025, 3, 14, 23, 59)
FIRST_DAY_OUTSIDE = cst(2025, 3, 15, 0, 0)


def test_cst_helper_is_utc_plus_eight():
    assert cst(2025, 3, 15, 0, 0) == datetime(2025, 3, 14, 16, 0, tzinfo=UTC)


# --- Shanghai -----------------------------------------------------------------------------------------
def test_shanghai_donor_gets_5x_until_the_last_day_of_the_window_then_1x():
    ds = [donation("SH", DONATED, 400)]
    inside, outside = quota("SH", ds, LAST_DAY_INSIDE), quota("SH", ds, FIRST_DAY_OUTSIDE)
    assert (inside.amount, inside.window_ends) == (2000, date(2025, 3, 14))
    assert (outside.amount, outside.window_ends) == (400, None)


def test_shanghai_window_is_counted_in_shanghai_days_not_utc():
    ds = [donation("SH", datetime(2020, 3, 14, 17, 0, tzinfo=UTC), 200)]   # 2020-03-15 01:00 in Shanghai
    assert quota("SH", ds, datetime(2025, 3, 14, 15, 59, tzinfo=UTC)).amount == 1000   # 23:59 on the 14th
    assert quota("SH", ds, datetime(2025, 3, 14, 16, 0, tzinfo=UTC)).amount == 200     # 00:00 on the 15th


def test_shanghai_each_donation_has_its_own_window():
    ds = [donation("SH", DONATED, 400), donation("SH", cst(2023, 6, 1), 200)]
    assert quota("SH", ds, FIRST_DAY_OUTSIDE).amount == 400 + 5 * 200
    assert quota("SH", ds, LAST_DAY_INSIDE).window_ends == date(2025, 3, 14)


def test_shanghai_has_no_lifetime_threshold():
    ds = [donation("SH", cst(2010 + i, 1, 1), 400) for i in range(10)]   # 4000 ml, 2010–2019
    q = quota("SH", ds, cst(2026, 1, 1))                                 # every window has closed
    assert not q.unlimited and q.amount == 4000


@pytest.mark.parametrize("relation", ["spouse", "child", "parent", "parent_in_law"])
def test_shanghai_family_gets_1x_within_5_years_and_nothing_after(relation):
    ds = [donation("SH", DONATED, 400)]
    assert quota("SH", ds, LAST_DAY_INSIDE, relation).amount == 400
    assert quota("SH", ds, FIRST_DAY_OUTSIDE, relation).amount == 0


@pytest.mark.parametrize("relation", ["sibling", "grandparent", "grandchild"])
def test_shanghai_family_scope_excludes_siblings_and_grandparents(relation):
    assert not quota("SH", [donation("SH", DONATED)], LAST_DAY_INSIDE, relation, award="lifetime").in_scope


# --- Zhejiang -----------------------------------------------------------------------------------------
def test_zhejiang_lifetime_from_400_ml_cumulative():
    below, at = [donation("ZJ", DONATED, 399)], [donation("ZJ", DONATED, 200), donation("ZJ", cst(2021, 1, 1), 200)]
    q_below = quota("ZJ", below, cst(2022, 1, 1))
    assert not q_below.unlimited and q_below.amount == 5 * 399
    assert quota("ZJ", at, cst(2022, 1, 1)).unlimited


def test_zhejiang_below_threshold_is_5x_then_1x():
    ds = [donation("ZJ", DONATED, 300)]
    assert quota("ZJ", ds, LAST_DAY_INSIDE).amount == 1500
    assert quota("ZJ", ds, FIRST_DAY_OUTSIDE).amount == 300


def test_zhejiang_platelet_donor_and_rhd_negative_donor_are_free_for_life():
    assert quota("ZJ", [donation("ZJ", DONATED, kind="platelets", doses=1)], cst(2030, 1, 1)).unlimited
    assert quota("ZJ", [donation("ZJ", DONATED, 200, rhd="neg")], cst(2030, 1, 1)).unlimited


@pytest.mark.parametrize("relation", ["spouse", "parent", "child"])
def test_zhejiang_close_family_gets_2x_within_5_years_then_1x(relation):
    ds = [donation("ZJ", DONATED, 400)]
    assert quota("ZJ", ds, LAST_DAY_INSIDE, relation).amount == 800
    assert quota("ZJ", ds, FIRST_DAY_OUTSIDE, relation).amount == 400


@pytest.mark.parametrize("relation", ["sibling", "grandparent", "parent_in_law"])
def test_zhejiang_wider_family_only_at_gold(relation):
    ds = [donation("ZJ", DONATED, 400)]
    assert not quota("ZJ", ds, LAST_DAY_INSIDE, relation).in_scope
    assert not quota("ZJ", ds, LAST_DAY_INSIDE, relation, award="silver").in_scope
    assert quota("ZJ", ds, LAST_DAY_INSIDE, relation, award="gold").amount == 800
    assert quota("ZJ", ds, FIRST_DAY_OUTSIDE, relation, award="lifetime").amount == 400


def test_zhejiang_grandchildren_are_never_in_scope():
    assert not quota("ZJ", [donation("ZJ", DONATED)], LAST_DAY_INSIDE, "grandchild", award="lifetime").in_scope


# --- Jiangsu ------------------------------------------------------------------------------------------
def test_jiangsu_lifetime_from_800_ml_else_3x_with_no_window():
    below = [donation("JS", DONATED, 400), donation("JS", cst(2021, 1, 1), 399)]
    q = quota("JS", below, cst(2040, 1, 1))
    assert not q.unlimited and q.amount == 3 * 799 and q.window_ends is None
    assert quota("JS", below + [donation("JS", cst(2022, 1, 1), 1)], cst(2040, 1, 1)).unlimited


@pytest.mark.parametrize("relation", ["spouse", "parent", "child", "sibling", "parent_in_law"])
def test_jiangsu_relatives_including_siblings_and_spouses_parents_get_1x(relation):
    assert quota("JS", [donation("JS", DONATED, 400)], cst(2040, 1, 1), relation).amount == 400


@pytest.mark.parametrize("relation", ["grandparent", "grandchild"])
def test_jiangsu_grandparents_and_grandchildren_are_out_of_scope(relation):
    assert not quota("JS", [donation("JS", DONATED)], cst(2040, 1, 1), relation, award="lifetime").in_scope


# --- Anhui (money model) ------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,yuan", [
    (dict(volume_ml=200), "220.00"), (dict(volume_ml=400), "440.00"), (dict(volume_ml=300), "330.00"),
    (dict(volume_ml=200, rhd="neg"), "390.00"), (dict(kind="platelets", doses=1), "1400.00"),
    (dict(kind="platelets", doses=2), "2800.00"),
])
def test_anhui_base_amounts_from_the_price_table(kwargs, yuan):
    q = quota("AH", [donation("AH", cst(2025, 8, 1), **kwargs)], cst(2040, 1, 1))
    assert q.amount == Decimal(yuan) and not q.unlimited


def test_anhui_has_no_lifetime_threshold_and_no_window():
    ds = [donation("AH", cst(2025, 8, 1), 400) for _ in range(5)]           # 2000 ml
    q = quota("AH", ds, cst(2045, 1, 1))
    assert not q.unlimited and q.amount == Decimal("2200.00")


@pytest.mark.parametrize("relation", ["spouse", "parent", "grandparent", "child", "grandchild"])
def test_anhui_relatives_as_bozhou_get_1x_the_base_amount(relation):
    assert quota("AH", [donation("AH", cst(2025, 8, 1), 400)], cst(2030, 1, 1), relation).amount == Decimal("440.00")


@pytest.mark.parametrize("relation", ["sibling", "parent_in_law"])
def test_anhui_siblings_and_parents_in_law_are_out_of_scope(relation):
    assert not quota("AH", [donation("AH", cst(2025, 8, 1))], cst(2030, 1, 1), relation, award="lifetime").in_scope


# --- common rules -------------------------------------------------------------------------------------
@pytest.mark.parametrize("region", ["SH", "ZJ", "JS", "AH"])
def test_a_donation_covers_blood_used_from_its_own_shanghai_day_on(region):
    donated = [donation(region, cst(2026, 5, 1, 9), 200)]
    day_before = quota(region, donated, cst(2026, 4, 30, 23, 59))
    assert day_before.preceding == 0 and day_before.amount == 0 and not day_before.unlimited
    assert quota(region, donated, cst(2026, 5, 1, 0, 0)).preceding == 1      # same day, hours earlier


@pytest.mark.parametrize("region", ["SH", "ZJ", "JS", "AH"])
def test_only_donations_made_in_the_policys_region_count(region):
    other = "JS" if region != "JS" else "SH"
    assert quota(region, [donation(other, DONATED, 400)], cst(2022, 1, 1)).preceding == 0


def test_every_region_scopes_only_known_relations():
    for region in BOOK.regions:
        scope = policy(region).relations_in_scope("lifetime")
        assert set(scope) <= set(FAMILY_RELATIONS) and scope


def test_a_new_version_applies_from_its_effective_date_and_the_old_one_before():
    newer = Policy.from_dict({**DEFAULTS[0], "effective_from": "2027-01-01",
                              "donor": {**DEFAULTS[0]["donor"], "within_window": "3"}})
    book = PolicyBook([Policy.from_dict(d) for d in DEFAULTS] + [newer])
    assert book.in_force("SH", date(2026, 12, 31)).donor.within == 5
    assert book.in_force("SH", date(2027, 1, 1)).donor.within == 3
    assert book.in_force("SH", date(1990, 1, 1)).effective_from == date(1998, 10, 1)   # earliest before any


def test_a_stored_version_with_the_same_date_replaces_the_default():
    edited = Policy.from_dict({**DEFAULTS[0], "claim_deadline_days": 180}, source="table")
    book = PolicyBook([Policy.from_dict(d) for d in DEFAULTS] + [edited])
    assert book.in_force("SH", date(2026, 1, 1)).claim_deadline_days == 180


def test_policies_round_trip_through_their_stored_form():
    for d in DEFAULTS:
        assert Policy.from_dict(Policy.from_dict(d).to_dict()) == Policy.from_dict(d)


@pytest.mark.parametrize("component,volume,units,doses,ml", [
    ("red_cells", 300, Decimal(2), None, 400), ("red_cells", 300, None, None, 300), ("plasma", 250, None, None, 250),
    ("platelets", 250, None, None, 800), ("platelets", 500, None, Decimal(2), 1600), ("cryo", 250, Decimal(10), None, 1000),
])
def test_used_blood_converts_to_ml(component, volume, units, doses, ml):
    assert policy("SH").usage_ml(component, volume, units, doses) == ml


def test_29_february_windows_end_on_1_march():
    assert add_years(date(2024, 2, 29), 5) == date(2029, 3, 1)


def test_rare_blood_types_are_a_data_list_not_rhd_negative_alone():
    from dataclasses import replace
    from datetime import datetime, timezone

    from waiver.allocation import DonationFact, _free_for_life
    from waiver.policy_data import RARE_TYPES

    zhejiang = next(Policy.from_dict(d) for d in DEFAULTS if d["region"] == "ZJ")
    assert zhejiang.rare_type_lifetime and zhejiang.rare_types == tuple(RARE_TYPES)
    at = datetime(2026, 1, 5, tzinfo=timezone.utc)
    def fact(rhd, phenotypes=()):
        return DonationFact("d", "ZJ", "whole_blood", 200, None, rhd, at, phenotypes)
    strict = replace(zhejiang, donor_lifetime_threshold_ml=None)          # only the rare-type rule can apply
    assert _free_for_life(strict, [fact("neg")])
    assert _free_for_life(strict, [fact("pos", ("bombay",))])              # a rare ABO phenotype, RhD-positive
    assert not _free_for_life(strict, [fact("pos")])
    assert not _free_for_life(replace(strict, rare_types=("rhd_neg",)), [fact("pos", ("bombay",))])
    assert not _free_for_life(replace(strict, rare_type_lifetime=False), [fact("neg")])
    assert Policy.from_dict(zhejiang.to_dict()).rare_types == zhejiang.rare_types      # stored and read back


def test_every_price_table_says_where_it_comes_from_and_copies_are_marked():
    for data in DEFAULTS:
        policy = Policy.from_dict(data)
        for table in policy.price_tables:
            assert table.source, (policy.region, table.effective_from)
            if policy.region != "AH":
                assert "copied from Anhui" in table.source and "[U]" in table.source
        assert Policy.from_dict(policy.to_dict()).price_tables == policy.price_tables


# --- a donation is valued by the version in force when it was given (Anhui 1999 statute → Bozhou 2025) -------
ANHUI_2025 = cst(2025, 7, 16, 0, 0)          # the base-amount version's first day


def quota_by_book(region, donations, at, relation="self", award=None):
    return quota_on(policy(region, at.date()), donations, relation=relation, award_level=award, at=at, book=BOOK)


def test_anhui_keeps_its_1999_statute_as_a_dated_version():
    old, new = BOOK.in_force("AH", date(2025, 7, 15)), BOOK.in_force("AH", date(2025, 7, 16))
    assert (old.quota_model, old.donor.within, old.donor_lifetime_threshold_ml) == ("volume", 2, 1000)
    assert new.quota_model == "money" and new.effective_from == date(2025, 7, 16)


def test_a_donation_the_day_before_the_new_version_is_worth_what_the_statute_granted():
    # 400 ml given under the statute: 2 × 400 ml, paid at the 200 ml whole-blood price of then (220) = 880 yuan
    day_before = [donation("AH", cst(2025, 7, 15, 23, 59), 400)]
    assert quota_by_book("AH", day_before, cst(2026, 12, 1)).amount == Decimal("880.00")


@pytest.mark.parametrize("given", [ANHUI_2025, cst(2025, 7, 17)])
def test_a_donation_on_or_after_the_new_versions_first_day_is_worth_its_base_amount(given):
    assert quota_by_book("AH", [donation("AH", given, 400)], cst(2026, 12, 1)).amount == Decimal("440.00")


def test_the_statutes_lifetime_rule_holds_for_1000_ml_given_under_it_only():
    under_statute = [donation("AH", cst(2010 + i, 5, 1), 400) for i in range(3)]        # 1,200 ml before 2025
    assert quota_by_book("AH", under_statute, cst(2026, 12, 1)).unlimited
    split = [donation("AH", cst(2024, 5, 1), 400), donation("AH", cst(2024, 11, 1), 400),
             donation("AH", cst(2025, 8, 1), 400)]                                        # 800 ml + 400 ml after
    q = quota_by_book("AH", split, cst(2026, 12, 1))
    assert not q.unlimited and q.amount == Decimal("2200.00")     # 2 × 800 ml at 220 per 200 ml + 440 base


def test_relatives_get_the_statutes_half_fee_for_donations_given_under_it():
    given = [donation("AH", cst(2024, 5, 1), 400), donation("AH", cst(2025, 8, 1), 400)]
    q = quota_by_book("AH", given, cst(2026, 12, 1), relation="spouse")
    assert q.amount == Decimal("660.00")          # 0.5 × 400 ml at 220 per 200 ml (220) + 1 × 440 base


def test_blood_used_while_the_statute_was_in_force_is_counted_in_its_ml():
    given = [donation("AH", cst(2024, 5, 1), 400)]
    q = quota_by_book("AH", given, cst(2025, 7, 15, 12))
    assert q.amount == Decimal(800) and q.in_scope


def test_regions_with_one_version_value_alike_with_or_without_the_book():
    for region in ("SH", "ZJ", "JS"):
        ds = [donation(region, cst(2019, 3, 1), 400), donation(region, cst(2024, 3, 1), 300)]
        at = cst(2026, 12, 1)
        assert quota_by_book(region, ds, at) == quota(region, ds, at)


def test_a_lines_price_is_per_count_of_its_usage_basis_and_absent_where_the_table_gives_none():
    table = {"effective_from": "2020-01-01", "prices": {}, "source": "test",
             "line_prices": {"plasma": "40.00", "red_cells": "210.00", "platelets": "1400.00"}}
    p = Policy.from_dict({**DEFAULTS[0], "price_tables": [table]})
    day = date(2026, 1, 1)
    assert p.line_price("plasma", 250, None, None, day) == Decimal("100.00")            # per 100 ml
    assert p.line_price("red_cells", 400, Decimal(2), None, day) == Decimal("420.00")   # per U
    assert p.line_price("red_cells", 300, None, None, day) == Decimal("315.00")         # 300 ml = 1.5 U
    assert p.line_price("platelets", 250, None, None, day) == Decimal("1400.00")        # a bag is one dose
    assert p.line_price("cryo", 25, Decimal(1), None, day) is None
    assert Policy.from_dict(p.to_dict()).price_tables == p.price_tables

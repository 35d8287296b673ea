"""ISBT 128 DINs, the award ladder, identity documents."""
import pytest

from donor import awards
from donor.din import (check_character, compose, default_facility_id, facility_for, is_facility_id,
                       normalise)
from donor.errors import InvalidDin, InvalidNationalId
from donor.model import gb11643_check_char, parse_identity
from donor.policy import AwardRules, AwardStep


def test_check_characters_match_the_isbt_128_worked_examples():
    assert check_character("G123417654321") == "A"
    assert check_character("A999921123456") == "3"


def test_a_typed_din_may_carry_its_check_character_and_a_wrong_one_is_refused():
    assert normalise("g123417654321a") == "G123417654321"
    assert normalise("G123417654321") == "G123417654321"
    with pytest.raises(InvalidDin):
        normalise("G123417654321B")
    for bad in ("G12341765432", "G1234176543210X1", "G1234AB654321", "G12341765432!"):
        with pytest.raises(InvalidDin):
            normalise(bad)


def test_facility_ids_follow_the_isbt_128_character_rules():
    assert is_facility_id("A9999") and is_facility_id("W0001") and is_facility_id("1AB23")
    for bad in ("09999", "O9999", "AO999", "A99A9", "A999", "a9999", "A99999"):
        assert not is_facility_id(bad), bad
    for site in ("SH-S01", "SH-S02", "JS-S01", "x" * 40):
        assert is_facility_id(default_facility_id(site))
        assert normalise(compose(default_facility_id(site), 2026, 1)) == compose(default_facility_id(site), 2026, 1)
    assert facility_for("SH-S01", {"SH-S01": "B3101"}) == "B3101"
    assert facility_for("SH-S02", {"SH-S01": "B3101"}) == default_facility_id("SH-S02")


def test_composed_dins_have_facility_year_and_sequence():
    assert compose("W0001", 2026, 42) == "W000126000042"
    assert len(default_facility_id("SH-S01")) == 5 and default_facility_id("SH-S01") == default_facility_id("SH-S01")


def test_award_units_and_ladder():
    assert awards.award_units("whole_blood", 400, None) == 2 and awards.award_units("platelets", None, 2) == 2
    assert awards.earned(19.5) == []
    assert awards.earned(20) == [("bronze", 1)]
    assert awards.earned(40) == [("bronze", 1), ("silver", 1), ("gold", 1)]
    assert awards.earned(119) == [("bronze", 1), ("silver", 1), ("gold", 1), ("gold", 2)]
    assert awards.earned(120)[-2:] == [("gold", 3), ("lifetime", 1)]
    assert awards.next_award(18, set()) == awards.NextAward("bronze", 2)
    assert awards.next_award(85, {("bronze", 1), ("silver", 1), ("gold", 1), ("gold", 2)}) == awards.NextAward("lifetime", 35)


def test_the_award_ladder_and_its_counting_are_data():
    provincial = AwardRules(ladder=(AwardStep("bronze", 10),), gold_every=20, golds_for_lifetime=2, ml_per_unit=400,
                            units_per_platelet_dose=0.5)
    assert awards.award_units("whole_blood", 400, None, provincial) == 1
    assert awards.award_units("platelets", None, 2, provincial) == 1
    assert awards.earned(40, provincial) == [("bronze", 1), ("gold", 1), ("gold", 2), ("lifetime", 1)]
    assert awards.next_award(15, {("bronze", 1)}, provincial) == awards.NextAward("gold", 5)
    assert awards.award_units("whole_blood", 300, None) == 1.5           # national: 200 ml counts 1


def _id(prefix: str, birth: str, seq: int) -> str:
    first17 = f"{prefix}{birth}{seq:03d}"
    return first17 + gb11643_check_char(first17)


def test_resident_ids_give_birth_date_and_sex_and_reject_bad_ones():
    assert parse_identity("11010519491231002X") == (__import__("datetime").date(1949, 12, 31), "F")
    for bad in ("11010519491231002", "110105194912310021", "110105194902300010"[:17] + gb11643_check_char("11010519490230001")):
        with pytest.raises(InvalidNationalId):
            parse_identity(bad)


def test_residence_permits_and_foreign_permanent_ids_need_their_explicit_type():
    hk = _id("810000", "19900101", 12)
    assert parse_identity(hk, "hk_macau_permit")[0].year == 1990
    with pytest.raises(InvalidNationalId):
        parse_identity(hk)                              # not a mainland resident ID
    with pytest.raises(InvalidNationalId):
        parse_identity(_id("310104", "19900101", 12), "taiwan_permit")
    foreign = "9" + "31" + "840" + "19850707" + "011"
    foreign += gb11643_check_char(foreign)
    assert parse_identity(foreign, "foreign_permanent_id")[0].isoformat() == "1985-07-07"

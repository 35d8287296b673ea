"""Default waiver policies per region (docs/domain-reference.md §1.2–1.5, §1.11). Data, not code.

Rows in the `policies` table add versions or replace a default with the same (region, effective_from).
Confidence marks from docs/domain-reference.md: [C] statute/official text, [S] secondary, [U] our assumption.
"""
from __future__ import annotations

# How used blood converts to ml of quota. Red cells: 1 U = 200 ml [S §3]; plasma by its ml; platelets per
# therapeutic dose at the region's dose equivalent; cryo per U. Lines should carry `units`/`doses`; without
# them the count is volume_ml / nominal_ml (200 ml per U of red cells as inventory labels them, 250 ml per
# platelet bag, 25 ml per U of cryo).
def _usage(platelet_dose_ml: int, cryo_ml_per_unit: int = 100) -> dict:
    return {
        "red_cells": {"basis": "units", "ml_per": 200, "nominal_ml": 200},
        "plasma": {"basis": "ml", "ml_per": 1, "nominal_ml": 1},
        "platelets": {"basis": "doses", "ml_per": platelet_dose_ml, "nominal_ml": 250},
        "cryo": {"basis": "units", "ml_per": cryo_ml_per_unit, "nominal_ml": 25},
    }


# "Rare blood type" as the entitlement rules use it: RhD-negative and the rare ABO phenotypes the reference names
# (Bombay, para-Bombay: docs/domain-reference.md §7.3) [S], codes of hemolink.phenotypes. A donation is rare when
# the donor's types meet this list: RhD from the donation, the others as the donor service records them
# (DonorUpdated.phenotypes).
RARE_TYPES = ["rhd_neg", "bombay", "para_bombay"]

# Bozhou 2025 supply prices (皖价医〔2006〕203号) [C]; used for valuation under the money model only.
ANHUI_PRICES = {"whole_blood_200ml": "220.00", "whole_blood_200ml_rhd_neg": "390.00", "platelets_dose": "1400.00"}
# A used line is waived at most at the supply price of its component (per U / per dose / per 100 ml). Only the
# prices a source gives are listed: Anhui's apheresis platelet dose [C]. Shanghai, Jiangsu and Zhejiang have no
# sourced table (docs/domain-reference.md §6), so their lines are waived as billed until one is added as data.
ANHUI_LINE_PRICES = {"platelets": "1400.00"}

_COMMON_NOTES = ("Cryo counts 100 ml per U (1 U is made from 200 ml of whole blood but is counted like 1 U of "
                 "plasma in hospital statistics) [U]. ")

DEFAULTS: list[dict] = [
    {
        "region": "SH", "name": "上海市献血条例 第32条", "effective_from": "1998-10-01", "quota_model": "volume",
        "relative_conditions_required": True,
        "donor": {"within_window": "5", "after_window": "1", "window_years": 5, "lifetime_threshold_ml": None,
                  "rare_type_lifetime": False, "rare_types": RARE_TYPES},
        # Art. 45: spouse, children, parents, parents-in-law; Art. 32(2): equal volume within 5 years only.
        "family": [{"relations": ["spouse", "child", "parent", "parent_in_law"], "within_window": "1",
                    "after_window": "0", "window_years": 5, "min_award_level": None}],
        "platelet_dose_ml": 800,
        "usage": _usage(800),
        "price_tables": [{"effective_from": "2020-01-31", "prices": ANHUI_PRICES,
                          "source": "copied from Anhui (皖价医〔2006〕203号): Shanghai's own table not found [U]"}],
        "claim_deadline_days": None,
        "required_documents": {"self": ["id_card", "donation_certificate", "invoice"],
                               "relative": ["id_card", "donation_certificate", "invoice", "kinship_proof"]},
        "notes": ("Statute [C]: donor 5× within 5 years of each donation then 1×; family 1× within 5 years, "
                  "none after; no lifetime threshold. The statute limits family waivers to members not "
                  "eligible to donate and without an employer: the hospital's attestation or the reviewer "
                  "checks that, the system cannot (relative_conditions_required: family pools pay only when "
                  "`relative_conditions_attested` is given). Platelet dose = 800 ml [U, as Zhejiang]; price table is "
                  "informational under the volume model (placeholder, confirm) [U]. " + _COMMON_NOTES),
    },
    {
        "region": "ZJ", "name": "浙江省实施《献血法》办法 第18条", "effective_from": "2014-01-01",
        "quota_model": "volume",
        "donor": {"within_window": "5", "after_window": "1", "window_years": 5, "lifetime_threshold_ml": 400,
                  "rare_type_lifetime": True, "rare_types": RARE_TYPES},
        "family": [
            {"relations": ["spouse", "parent", "child"], "within_window": "2", "after_window": "1",
             "window_years": 5, "min_award_level": None},
            {"relations": ["sibling", "grandparent", "parent_in_law"], "within_window": "2", "after_window": "1",
             "window_years": 5, "min_award_level": "gold"},
        ],
        "platelet_dose_ml": 800,
        "usage": _usage(800),
        "price_tables": [{"effective_from": "2014-01-01", "prices": ANHUI_PRICES,
                          "source": "copied from Anhui (皖价医〔2006〕203号): Zhejiang's own table not found [U]"}],
        "claim_deadline_days": None,
        "required_documents": {"self": [], "relative": ["invoice", "kinship_proof"]},
        "notes": ("Statute [C] (amended 2020-11-27): donor free for life from 400 ml cumulative (an apheresis "
                  "dose counts 800 ml, so any platelet donor qualifies); otherwise 5× within 5 years then 1×. "
                  "Spouse, parents, children 2× within 5 years then 1×; siblings, grandparents and the spouse's "
                  "parents the same once the donor holds the gold award. Rare type: RhD-negative donors are free "
                  "for life [U: rare = RhD-negative]. Documents cut to 0 (donor) / 2 (relatives) in 2019 [S]; a "
                  "signed commitment letter is accepted as kinship proof. " + _COMMON_NOTES),
    },
    {
        "region": "JS", "name": "江苏省献血条例", "effective_from": "2017-09-01", "quota_model": "volume",
        "donor": {"within_window": "3", "after_window": "3", "window_years": None, "lifetime_threshold_ml": 800,
                  "rare_type_lifetime": False, "rare_types": RARE_TYPES},
        "family": [{"relations": ["spouse", "parent", "child", "sibling", "parent_in_law"], "within_window": "1",
                    "after_window": "1", "window_years": None, "min_award_level": None}],
        "platelet_dose_ml": 800,
        "usage": _usage(800),
        "price_tables": [{"effective_from": "2017-09-01", "prices": ANHUI_PRICES,
                          "source": "copied from Anhui (皖价医〔2006〕203号): Jiangsu's own table not found [U]"}],
        "claim_deadline_days": None,
        "required_documents": {"self": ["id_card", "invoice", "transfusion_record"],
                               "relative": ["id_card", "invoice", "transfusion_record", "kinship_proof"]},
        "notes": ("Donor free for life from 800 ml cumulative, otherwise 3× cumulative with no time window [S]; "
                  "relatives including siblings and the spouse's parents 1× cumulative [C scope, S amount]. "
                  "Effective date is the month of the revision (day assumed) [U]; platelet dose 800 ml [U]; "
                  "price table informational (placeholder) [U]. " + _COMMON_NOTES),
    },
    {
        # The 1999 statute: donations given while it was the rule keep what it granted (allocation.quota_on).
        "region": "AH", "name": "安徽省实施《献血法》办法 第16–17条（1999）", "effective_from": "1999-01-01",
        "quota_model": "volume",
        "donor": {"within_window": "2", "after_window": "2", "window_years": None, "lifetime_threshold_ml": 1000,
                  "rare_type_lifetime": False, "rare_types": RARE_TYPES},
        "family": [{"relations": ["spouse", "parent", "grandparent", "child", "grandchild"], "within_window": "0.5",
                    "after_window": "0.5", "window_years": None, "min_award_level": None}],
        "platelet_dose_ml": 800,
        "usage": _usage(800),
        "price_tables": [],
        "claim_deadline_days": None,
        "required_documents": {"self": ["id_card", "donation_certificate", "invoice", "transfusion_record"],
                               "relative": ["id_card", "donation_certificate", "invoice", "transfusion_record",
                                            "kinship_proof"]},
        "notes": ("1999 statute Art. 16–17 as quoted in a mirror [S] R20: the donor uses 2× the donated volume free, "
                  "for life from 1,000 ml cumulative; spouse and lineal relatives the same volume at half fee, "
                  "encoded as 0.5× (the same money for blood priced per ml) [U]; the statute's \"where conditions "
                  "allow, free\" is not applied. Lineal relatives read as parents, grandparents, children, "
                  "grandchildren (Bozhou's list) [U]. The effective day is the statute's year [U]: it changes "
                  "nothing, as the earliest version values every donation given before the next. Donations given "
                  "before 2025-07-16 are valued by this version; their ml are paid, under the base-amount model now "
                  "in force, at the price of 200 ml of whole blood when donated [U]. Platelet dose as 800 ml [U]. "
                  + _COMMON_NOTES),
    },
    {
        "region": "AH", "name": "亳州市中心血站 用血减免基准金额", "effective_from": "2025-07-16",
        "quota_model": "money",
        "donor": {"within_window": "1", "after_window": "1", "window_years": None, "lifetime_threshold_ml": None,
                  "rare_type_lifetime": False, "rare_types": RARE_TYPES},
        "family": [{"relations": ["spouse", "parent", "grandparent", "child", "grandchild"], "within_window": "1",
                    "after_window": "1", "window_years": None, "min_award_level": None}],
        "platelet_dose_ml": 800,
        "usage": _usage(800),
        "price_tables": [{"effective_from": "2006-01-01", "prices": ANHUI_PRICES,
                          "source": "皖价医〔2006〕203号 as Bozhou blood station quotes it, 2025-07-16 [C] R18; "
                                    "line prices: apheresis platelets per therapeutic dose [C] R18, no other "
                                    "component's price was reached [U]",
                          "line_prices": ANHUI_LINE_PRICES}],
        "claim_deadline_days": None,
        "required_documents": {"self": ["id_card", "donation_certificate", "invoice", "transfusion_record"],
                               "relative": ["id_card", "donation_certificate", "invoice", "transfusion_record",
                                            "kinship_proof"]},
        "notes": ("Money model (Bozhou 2025-07-16 [C]): each donation is worth a base amount at the supply price "
                  "in force when donated: 200 ml whole blood CNY 220, 200 ml RhD-negative CNY 390, one apheresis "
                  "platelet dose CNY 1400. Assumptions [U]: the donor's pool is 1× the base amounts and the "
                  "relatives' pool a separate 1× (the notice gives no multiple; quotas are separate and not "
                  "interchangeable); unused balance carries forward with no time window; the 1999 statute's "
                  "1000 ml lifetime rule is not applied to donations given under this version (those given "
                  "before it keep it: the 1999 version values them); relatives as Bozhou "
                  "(spouse, parents, grandparents, children, grandchildren; Dangshan's narrower list conflicts). "
                  "Pools pay blood-fee yuan directly, so usage ml is only reported. Stem-cell donors are out of "
                  "scope (no such events). " + _COMMON_NOTES),
    },
]

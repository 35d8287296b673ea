"""Rare blood phenotypes the project records, by code: declared once for every service (the donor service records
them on donors, the waiver service's policies name which count as a rare type for entitlements).

RhD-negative is read from the donor's RhD (never recorded twice); the others are found by the station's serology
and recorded on the donor. Bombay and para-Bombay are the rare ABO phenotypes the reference names
(docs/domain-reference.md §7.3) [S]; more are added here as data.
"""
RHD_NEGATIVE = "rhd_neg"
PHENOTYPES = {
    RHD_NEGATIVE: "RhD阴性",
    "bombay": "孟买型（Oh）",
    "para_bombay": "类孟买型",
}
RECORDED = tuple(code for code in PHENOTYPES if code != RHD_NEGATIVE)      # what a station may record on a donor

"""Donor service: donor records, donations, eligibility, awards, notifications."""

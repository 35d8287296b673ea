"""Mechanism shared by every Hemolink service: never domain words here."""

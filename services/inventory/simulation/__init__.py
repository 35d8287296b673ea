"""A year of the region simulated on the inventory's own rules (engine.py), its synthetic region (region.py)
and the report over seeds and policies (report.py). `python -m inventory.simulate`; docs/simulation.md."""

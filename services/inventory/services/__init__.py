"""Use cases of the inventory service, one transaction each, by what they act on: sites, units, stock,
orders, transfusions, transfers, rebalancing plans."""

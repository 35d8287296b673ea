"""Inventory service: sites, blood units, stock levels, orders, transfusions, transfers, rebalancing."""

"""Catalog: items of several kinds (physical products with SKUs, dishes with option groups,
services, virtual goods), two-level categories, and stock that never goes below zero.

Offers: the models `Item`, `Sku`, `Category`, and in `engines.catalog.services` the write path,
including `reserve_stock` / `release_stock` for the orders engine."""

"""Stores: the tenant's outlets (address, coordinates, hours, phone, same-city delivery bands)
and their dining tables with QR codes. Used by pickup, dine-in and same-city delivery.

Offers: the models `Store`, `DiningTable`, and in `engines.stores.services` the write path and
`delivery_fee` (distance bands), `table_by_code`."""

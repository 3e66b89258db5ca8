"""Payments: a provider interface (`sandbox`, the default, and `stripe`), payments of orders,
refunds, and webhooks applied exactly once.

Offers: `engines.payments.services.start_payment`, `apply_outcome`, `refund_after_sale`."""

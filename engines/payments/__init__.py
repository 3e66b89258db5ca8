"""Payments: a provider interface (`sandbox` in development, `stripe`), each shop's payment
accounts, payments of orders, refunds, and webhooks applied exactly once.

Offers: `engines.payments.services.start_payment`, `place_and_pay`, `apply_outcome`."""

from flask_babel import lazy_gettext as _l

from core.engines import Engine, NavEntry, Permission

ENGINE = Engine(
    name="payments", label=_l("Payments"),
    in_every_plan=True,  # a shop sells, takes orders and payments whatever its plan
    description="Providers per shop (Stripe; the sandbox in development), payments, refunds and webhooks.",
    depends_on=("orders",),
    api=("engines.payments.api:bp",),
    pages=("engines.payments.pages:bp",),
    development_pages=("engines.payments.pages:sandbox_bp",),
    back_office=("engines.payments.admin:bp",),
    permissions=(Permission("payments.manage", _l("Set up how the shop takes payments")),),
    navigation=(NavEntry("payments_admin.index", _l("Payments"), icon="credit-card", permission="payments.manage",
                         order=45),),
    tasks="engines.payments.tasks",
    suspension_exempt=("payments_api.stripe_webhook",),
)

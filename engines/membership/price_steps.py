"""The membership engine's steps of the price pipeline: items exclusive to a tier
(engines.membership.exclusives), the member price, points at checkout and free delivery
(engines.membership.pricing), and the points mall's redemption (engines.membership.redemption)."""

from engines.membership import exclusives, pricing, redemption

__all__ = ["exclusives", "pricing", "redemption"]

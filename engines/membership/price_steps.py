"""The membership engine's steps of the price pipeline: the member price, points at checkout and
free delivery (engines.membership.pricing), and the points mall's redemption
(engines.membership.redemption)."""

from engines.membership import pricing, redemption

__all__ = ["pricing", "redemption"]

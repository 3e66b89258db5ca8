"""Orders: the consumer's cart now; checkout, the order state machine, verification codes and
after-sales come next (issue: Commerce)."""

"""The console and the platform around tenants."""

from tests.engines.membership.test_membership_admin import enter  # noqa: F401  a fixture: staff of a role signed in

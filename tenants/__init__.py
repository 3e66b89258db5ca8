"""The platform around tenants: the admin console, tenant lifecycle, plans, resellers."""

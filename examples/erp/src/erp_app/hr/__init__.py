"""Human resources: departments and their employees."""

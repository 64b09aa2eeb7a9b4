"""Users, roles and permissions (the original schema's tables), login and sessions."""

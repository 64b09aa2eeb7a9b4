"""The inside of the service, for admins: breakers, session store, DB pool, slow queries."""

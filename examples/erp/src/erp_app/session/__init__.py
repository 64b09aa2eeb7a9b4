"""``/api/session``: which session store serves, and its fail-over history."""

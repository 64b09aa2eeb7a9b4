"""Search: one query across employees, invoices, ideas and the functions catalogue."""

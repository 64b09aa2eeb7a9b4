"""Finance: invoices with line items, totals computed here, payment status transitions."""

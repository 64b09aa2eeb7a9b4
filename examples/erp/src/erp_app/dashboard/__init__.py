"""Dashboard: KPIs computed from the other modules' data, cached briefly."""

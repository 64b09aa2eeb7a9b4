"""``/api/ai``: completions through the provider chain, and the providers' health."""

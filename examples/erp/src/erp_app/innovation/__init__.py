"""Innovation: ideas, and one vote per user on each."""

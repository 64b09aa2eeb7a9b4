"""Cross-cutting platform pieces: errors, logging, metrics, database, sessions, AI, health."""

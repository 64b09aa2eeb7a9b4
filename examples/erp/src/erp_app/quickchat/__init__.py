"""``/api/quickchat``: short conversations with the AI chain, every answer's provider kept."""

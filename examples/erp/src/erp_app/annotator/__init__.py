"""``/api/ai-annotator``: notes on functions-catalogue nodes, written by the AI chain."""

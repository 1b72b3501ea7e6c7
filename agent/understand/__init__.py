"""Understanding a marketer's message in code: what it asks for (intent) and what it states (slots)."""

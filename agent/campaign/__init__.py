"""Campaign planning: read the request, run the analytics and copy tools, answer with a brief."""

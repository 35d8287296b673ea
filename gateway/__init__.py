"""API gateway: one entry point, routing, tokens, request ids, limits, the web console."""

"""A local server that behaves like the Fortnox API v3 (see app.py)."""

"""One module per source system; each yields Arrow tables with dlt table hints."""

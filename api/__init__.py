"""The FastAPI application: routers, auth, audit, error mapping.  Nothing imports this."""

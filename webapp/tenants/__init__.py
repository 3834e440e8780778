"""Tenants: who calls the API (AUTH_MODE), their API keys and limits."""

"""Identity and access: organisations (tenants), users, API clients, tokens and sessions."""

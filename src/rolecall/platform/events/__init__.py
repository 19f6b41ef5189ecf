"""Domain events: a transactional outbox, a relay behind a small interface, idempotent handlers."""

"""Webhooks: signed deliveries of the organisation's public events to URLs it registers, and the
pull-based event feed (``GET /v1/events``) beside them."""

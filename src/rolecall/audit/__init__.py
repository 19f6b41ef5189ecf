"""Append-only audit log of security-relevant and data-changing actions."""

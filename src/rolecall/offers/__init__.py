"""Offers with versions and approvals, and the hire saga that follows an accepted offer."""

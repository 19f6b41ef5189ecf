"""Shared platform layer: storage, HTTP conventions, events, security primitives.

Nothing here may import a bounded context; contexts build on the platform, never the reverse.
"""

"""Rolecall: an API-first back end for structured hiring."""

__version__ = "0.1.0"

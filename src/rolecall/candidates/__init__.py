"""Candidates: people who apply, their resumes and personal data."""

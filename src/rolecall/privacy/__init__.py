"""Data-subject rights and retention: export, erasure and scheduled erasure of candidates."""

"""Jobs: openings built from a pinned role-profile version, their lifecycle and their descriptions."""

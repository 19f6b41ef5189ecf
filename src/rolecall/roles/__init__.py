"""Role profiles: what a role needs, described against a shared skills vocabulary."""

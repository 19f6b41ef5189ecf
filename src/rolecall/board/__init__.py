"""The public careers board: search, posting pages and feeds."""

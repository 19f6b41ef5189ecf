"""Jobs: job-description rendering (no database)."""

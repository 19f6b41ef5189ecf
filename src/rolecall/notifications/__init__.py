"""E-mail to candidates and staff: queued with the change that calls for it, sent from the queue."""

"""The notify function: S3 events from the queue, rendered and sent as email, never twice."""

"""The organizers' console command `letterbox`: list, show, export, delete and resend submissions.

A development tool, never deployed: it runs on an organizer's machine (or a cron host) against the
`make dev` stack (`--local`) or a deployed stage (`--stage NAME`), with the standard AWS credentials.
"""

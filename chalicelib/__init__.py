"""letterbox: the logic behind app.py, one module per concern."""

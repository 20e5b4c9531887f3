"""The baseline: a minimal Chalice app, for figures that are ratios."""

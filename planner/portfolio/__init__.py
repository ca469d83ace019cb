"""Renewal portfolio: projects built from flags (portfolio.md)."""

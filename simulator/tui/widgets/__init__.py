"""Widgets the practice screens are built from (no screen logic here)."""

"""needs module."""

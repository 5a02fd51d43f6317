"""enterprises module."""

"""activities module."""

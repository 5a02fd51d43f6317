"""Core: organisations, users and roles, permission policy, audit chain, calendar, notifier."""

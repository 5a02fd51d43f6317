"""Bankruptcy reconciliation (破产和解): cases, claims, meetings, agreements, figures."""

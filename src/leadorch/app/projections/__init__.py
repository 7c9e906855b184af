"""Projections: read models (plain SQL tables) kept up to date from the event log, exactly once."""

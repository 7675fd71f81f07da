"""The sessions service: work groups, their sessions and the three questions (seed 000)."""

"""A stand-in service for the supervisor tests: `migrate` and `serve`, health only."""

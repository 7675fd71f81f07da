"""The reporting service: projections of every service's events into read models,
and the queries (and, later, compiled reports) that read them."""

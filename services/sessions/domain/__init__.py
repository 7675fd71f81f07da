"""Work groups, their members and sessions, the catalogue of support parts: pure domain logic."""

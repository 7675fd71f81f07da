"""The sessions service's adapters: event store repository and gRPC API."""

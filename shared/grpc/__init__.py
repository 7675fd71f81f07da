"""gRPC plumbing shared by every service: server start-up, authentication, error mapping."""

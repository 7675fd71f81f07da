"""Generated gRPC code (from proto/, by `make proto`). Do not edit by hand."""

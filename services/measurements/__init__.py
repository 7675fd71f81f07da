"""The measurements service: client follow-ups with goals, scales, A-B-C series
and client surveys (LOKE, seed 003)."""

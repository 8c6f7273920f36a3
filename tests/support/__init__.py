"""Helpers shared by the tests, the local demo and the benchmarks (never packaged into the Lambda zip)."""

"""Benchmarks that drive the real functions (installed with the project) against simulated AWS APIs."""

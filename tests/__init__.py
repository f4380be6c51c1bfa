"""Top-level tests: system tests (real Odoo servers) and benchmarks."""

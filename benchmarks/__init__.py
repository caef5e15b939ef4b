"""Benchmarks: run by hand or with `make bench`, never by pytest (see benchmarks/README.md)."""

"""Conformance suite: spec-legal deliveries written straight from SOURCES.md, built end to end, and
their marts and findings compared with an independent recomputation in plain Python/shapely."""

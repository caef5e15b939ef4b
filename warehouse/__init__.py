"""The DuckDB warehouse: the one place that opens the database file."""

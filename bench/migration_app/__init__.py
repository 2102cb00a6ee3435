"""A school app that exists only for bench/migrations.py: one table whose migration 0002 adds a
column, so the bench can time a real one-column migration over every school."""

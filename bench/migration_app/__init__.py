"""A tenant app that exists only for bench/migrations.py: one table, then one column added per
release, so the bench can time a real one-column migration over every school. Its migrations
come in three snapshots (``migrations_v1`` .. ``migrations_v3``, chosen by
``SMARTEDU_BENCH_MIGRATIONS``): v1 is the table, v2 adds ``pinned``, v3 adds ``colour``."""

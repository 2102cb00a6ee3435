# The same migration as in migrations_v3: the snapshots differ only in how many they hold.
import importlib

Migration = importlib.import_module("migration_app.migrations_v3.0002_notice_pinned").Migration

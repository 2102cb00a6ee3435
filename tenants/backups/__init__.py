"""A school's data as one archive: backup, restore (same instance under a new name, or a fresh
instance), full export for the school, and erasure on request.

A backup holds every table of the school's schema (rows as CSV, copied in one REPEATABLE READ
snapshot), the school's public rows (name, plan, domains, API keys, AI usage) and every stored
file under ``schools/<schema>/``. Restoring provisions a new schema from the template (so the
structure is the instance's own) and copies the rows in; the archive's migration state must be
the instance's, or the restore stops before writing anything.

Archive layout (tar, gzip)::

    manifest.json            format, school, migration state, row counts, file sha256s
    tables/<table>.csv       one per table, with a header row
    public.json              the school's public rows
    files/<storage path>     the school's stored files

One module an operation: ``backup``, ``restore``, ``export`` (the school's own copy) and
``erase``; they share ``archive`` (the format and its manifest), ``schema`` (tables, columns,
migration state), ``storage`` (the school's files) and ``public`` (its public rows).
"""

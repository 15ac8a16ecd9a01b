"""The portable statements, identical on every database: named queries over the
tables, each taking the caller's session. Operations whose statements differ per
database forward to the session's store (``persistence/store.py``)."""

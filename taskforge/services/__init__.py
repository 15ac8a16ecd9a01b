"""Use cases, one transaction each, and the background engines."""

"""Repositories: named queries over the tables, each taking the caller's session."""

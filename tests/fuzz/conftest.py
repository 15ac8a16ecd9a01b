"""The fuzz stage runs on both deployments, as the end-to-end suite does."""

from tests.e2e.conftest import migrated_template, server_env

__all__ = ["migrated_template", "server_env"]

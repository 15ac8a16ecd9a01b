"""TaskForge: multi-tenant job orchestration behind one GraphQL API."""

__version__ = "0.1.0"

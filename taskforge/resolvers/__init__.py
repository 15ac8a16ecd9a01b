"""Thin resolvers and DataLoaders: GraphQL <-> services. No SQL, no rules."""

"""The GraphQL schema: types, inputs, roots, permissions and extensions."""

"""The Python worker SDK and runner: claims jobs through the GraphQL API with an API key."""

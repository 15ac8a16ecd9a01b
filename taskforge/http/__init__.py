"""The front door: request ids and the outer guard, request parsing and refusals, the
GraphQL view over HTTP and WebSocket."""

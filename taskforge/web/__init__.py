"""What browsers meet: CORS and the WebSocket Origin check, the GraphiQL page and its
assets (shipped in ``static/``, never loaded from a CDN), and the dashboard (``ui``:
the bundle built from ``web/`` into ``dashboard/``)."""

"""What the fuzz stage counts as a server defect in an answer."""

from __future__ import annotations

import requests


def problem(resp: requests.Response) -> str | None:
    """Why this response shows a server defect, or None."""
    if resp.status_code >= 500:
        return f"HTTP {resp.status_code}"
    try:
        body = resp.json()
    except ValueError:
        return "body is not JSON"
    if not isinstance(body, dict) or not ("data" in body or "errors" in body):
        return "body is not a GraphQL response"
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code is None or code == "INTERNAL":
            return f"error coded {code}: {error.get('message')}"
        if "Cannot return null for non-nullable field" in str(error.get("message")):
            return f"schema violation: {error['message']}"
    return None

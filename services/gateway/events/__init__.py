"""Live events for dashboards (SSE and WebSocket framing is in api/events.py)."""

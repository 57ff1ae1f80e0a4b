"""NATS subscribers of the gateway, one module per consumer; app.py subscribes them once the bus is up."""

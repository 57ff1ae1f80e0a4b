"""Live video fan-out: fMP4 from ``live.<camera>.<quality>`` to the browsers' live WebSockets."""

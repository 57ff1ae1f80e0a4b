"""The bus: one NATS connection per process (``Bus``) and the one durable-consumer loop."""

from shared.bus.connection import Bus
from shared.bus.consumer import ConsumerSpec, Delivery, DurableConsumer, Reject, Retry

__all__ = ["Bus", "ConsumerSpec", "Delivery", "DurableConsumer", "Reject", "Retry"]

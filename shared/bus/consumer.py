"""The one loop for durable JetStream consumers: explicit outcomes, bounded retries, dead letters.

A handler receives the parsed message and its delivery, and its outcome is explicit:
- it returns: the message is acked;
- it raises ``Retry``: nak with the given delay (a transient problem of this message);
- it raises ``Reject``: the message can never succeed; it is dead-lettered and termed;
- it raises ``UnavailableError`` (the database or another dependency is down): nothing is counted
  against the message; the loop keeps it in progress and retries it with backoff until the
  dependency is back, so an outage dead-letters nothing;
- any other exception: nak with a growing delay.
After ``max_deliver`` failed deliveries the message is dead-lettered (``deadletter.<durable>`` in the
DEADLETTERS stream, with its original subject, sequence and last error in headers) and termed; an
operator lists and replays dead letters with ``python -m shared.bus.deadletters``. A message that
cannot be parsed into the consumer's model is rejected at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from prometheus_client import Counter, Gauge
from pydantic import BaseModel, ValidationError

from shared.bus.connection import Bus
from shared.errors import UnavailableError
from shared.subjects import dead_letter

log = logging.getLogger("cityops.bus.consumer")

MESSAGES = Counter(
    "cityops_consumer_messages_total",
    "Messages taken by a durable consumer, by outcome (handled, failed, redelivered, dead_lettered)",
    ["consumer", "outcome"],
)
LAG = Gauge("cityops_consumer_lag", "Messages of the stream not yet delivered to the consumer", ["consumer"])
HANDLING = Gauge("cityops_consumer_paused", "1 while a consumer waits for a dependency to come back", ["consumer"])

M = TypeVar("M", bound=BaseModel)


class Retry(Exception):
    """Nak the message: it may succeed later."""

    def __init__(self, reason: str, *, delay_s: float = 2.0) -> None:
        super().__init__(reason)
        self.delay_s = delay_s


class Reject(Exception):
    """Dead-letter and term the message: no retry can make it succeed."""


@dataclass(frozen=True)
class Delivery:
    subject: str
    stream_seq: int
    num_delivered: int
    headers: dict[str, str]


@dataclass(frozen=True)
class ConsumerSpec:
    durable: str
    stream: str
    filter_subject: str
    max_deliver: int = 5
    ack_wait_s: float = 30.0
    batch: int = 50
    deliver_policy: DeliverPolicy = DeliverPolicy.ALL
    max_ack_pending: int = 1000
    # First nak delay; the n-th failed delivery waits n times as long.
    retry_delay_s: float = 2.0
    # How long a dependency outage may pause the consumer between two tries.
    outage_retry_max_s: float = 10.0


Handler = Callable[[M, Delivery], Awaitable[None]]


class DurableConsumer(Generic[M]):
    """Runs ``handler`` for each message of ``spec`` until stopped; reconnects by itself."""

    def __init__(self, bus: Bus, spec: ConsumerSpec, model: type[M], handler: Handler[M]) -> None:
        self._bus = bus
        self.spec = spec
        self._model = model
        self._handler = handler
        self._task: asyncio.Task[None] | None = None
        self._subscribed = False
        self._lag_at = 0.0

    def check(self) -> str:
        """Readiness condition: "ok" once subscribed."""
        return "ok" if self._subscribed else f"consumer {self.spec.durable} not subscribed"

    async def start(self, _: object = None) -> None:
        self._task = asyncio.create_task(self._run(), name=f"consumer-{self.spec.durable}")

    async def stop(self, _: object = None) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def config(self) -> ConsumerConfig:
        spec = self.spec
        return ConsumerConfig(
            durable_name=spec.durable,
            filter_subject=spec.filter_subject,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=spec.deliver_policy,
            ack_wait=spec.ack_wait_s,
            # The server's bound is a backstop for a handler that kills the process every time.
            max_deliver=spec.max_deliver,
            max_ack_pending=spec.max_ack_pending,
        )

    async def _run(self) -> None:
        await self._bus.wait_ready()
        while True:
            try:
                sub = await self._bus.js.pull_subscribe(
                    self.spec.filter_subject, durable=self.spec.durable, stream=self.spec.stream, config=self.config()
                )
                self._subscribed = True
                log.info("consumer.started", extra={"consumer": self.spec.durable})
                await self._consume(sub)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._subscribed = False
                log.error("consumer.failed", extra={"consumer": self.spec.durable, "error": repr(exc)})
                await asyncio.sleep(2)

    async def _consume(self, sub: JetStreamContext.PullSubscription) -> None:
        while True:
            # A long poll for one message returns as soon as it arrives (a batch long poll would wait
            # to fill the batch); whatever queued up behind it is then taken without waiting.
            try:
                messages = await sub.fetch(batch=1, timeout=5)
            except TimeoutError:
                await self._measure_lag(sub)
                continue
            with contextlib.suppress(TimeoutError):
                messages += await sub.fetch(batch=self.spec.batch, timeout=0.05)
            for msg in messages:
                await self.handle(msg)
            await self._measure_lag(sub)

    async def unsettled_before(self, subject: str, after: int, before: int) -> bool:
        """Whether a message on ``subject`` with a stream sequence in (``after``, ``before``) may not be
        settled yet. Those up to the consumer's ack floor are (acked, or dead-lettered and termed), so a
        handler that applies a subject's messages in stream order, each once the earlier ones are, always
        lets the oldest unsettled message through: it never waits for ever."""
        js, stream = self._bus.js, self.spec.stream
        try:
            first = (await js.get_msg(stream, seq=after + 1, subject=subject, next=True)).seq
            if first is None or first >= before:
                return False
            floor = (await js.consumer_info(stream, self.spec.durable)).ack_floor
            if floor is None or floor.stream_seq < first:
                return True
            first = (await js.get_msg(stream, seq=floor.stream_seq + 1, subject=subject, next=True)).seq
        except NotFoundError:  # none left on the subject (the stream's age limit removed them)
            return False
        return first is not None and first < before

    async def _measure_lag(self, sub: JetStreamContext.PullSubscription) -> None:
        if time.monotonic() - self._lag_at < 5:
            return
        self._lag_at = time.monotonic()
        with contextlib.suppress(Exception):
            info = await sub.consumer_info()
            LAG.labels(self.spec.durable).set(info.num_pending or 0)

    async def handle(self, msg: Msg) -> None:
        """Run the handler on one message and settle it with exactly one outcome."""
        name = self.spec.durable
        meta = msg.metadata
        delivery = Delivery(msg.subject, meta.sequence.stream, meta.num_delivered, dict(msg.headers or {}))
        if delivery.num_delivered > 1:
            MESSAGES.labels(name, "redelivered").inc()
        try:
            event = self._model.model_validate_json(msg.data)
        except ValidationError as exc:
            await self._dead_letter(msg, delivery, f"unreadable: {exc}")
            return
        try:
            await self._until_dependencies_answer(msg, event, delivery)
        except Reject as exc:
            await self._dead_letter(msg, delivery, f"rejected: {exc}")
            return
        except Exception as exc:
            MESSAGES.labels(name, "failed").inc()
            if delivery.num_delivered >= self.spec.max_deliver:
                await self._dead_letter(msg, delivery, f"{type(exc).__name__}: {exc}")
                return
            delay = exc.delay_s if isinstance(exc, Retry) else self.spec.retry_delay_s * delivery.num_delivered
            log.warning(
                "consumer.retry",
                extra={"consumer": name, "seq": delivery.stream_seq, "delivered": delivery.num_delivered,
                       "delay_s": delay, "error": repr(exc)[:300]},
            )  # fmt: skip
            await msg.nak(delay=delay)
            return
        await msg.ack_sync()
        MESSAGES.labels(name, "handled").inc()

    async def _until_dependencies_answer(self, msg: Msg, event: M, delivery: Delivery) -> None:
        delay = 0.5
        while True:
            try:
                await self._handler(event, delivery)
                return
            except UnavailableError as exc:
                HANDLING.labels(self.spec.durable).set(1)
                log.warning(
                    "consumer.paused",
                    extra={
                        "consumer": self.spec.durable,
                        "dependency": exc.extra.get("dependency"),
                        "retry_in_s": delay,
                    },
                )
                # Keep the message ours while we wait, so it is not redelivered elsewhere meanwhile.
                with contextlib.suppress(Exception):
                    await msg.in_progress()
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.spec.outage_retry_max_s, self.spec.ack_wait_s / 2)
            finally:
                HANDLING.labels(self.spec.durable).set(0)

    async def _dead_letter(self, msg: Msg, delivery: Delivery, reason: str) -> None:
        name = self.spec.durable
        headers = {
            "Cityops-Dead-Consumer": name,
            "Cityops-Dead-Subject": delivery.subject,
            "Cityops-Dead-Stream": self.spec.stream,
            "Cityops-Dead-Seq": str(delivery.stream_seq),
            "Cityops-Dead-Deliveries": str(delivery.num_delivered),
            "Cityops-Dead-Reason": reason.replace("\n", " ")[:500],
            # The same message dead-lettered twice (a redelivery racing us) is stored once.
            "Nats-Msg-Id": f"dead-{name}-{delivery.stream_seq}",
        }
        try:
            await self._bus.js.publish(dead_letter(name), msg.data, headers=headers, timeout=5)
        except Exception as exc:
            # Not dead-lettered: leave it for redelivery rather than lose it.
            log.error("consumer.dead_letter_failed", extra={"consumer": name, "error": repr(exc)})
            await msg.nak(delay=self.spec.retry_delay_s)
            return
        await msg.term()
        MESSAGES.labels(name, "dead_lettered").inc()
        log.error(
            "consumer.dead_lettered",
            extra={"consumer": name, "subject": delivery.subject, "seq": delivery.stream_seq, "reason": reason[:300]},
        )

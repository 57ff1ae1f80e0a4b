"""Inspect and replay dead letters: ``python -m shared.bus.deadletters [--nats URL] list|replay``.

It connects as the operator's NATS user: ``CITYOPS_NATS_USER`` (default ``admin``) with the password of
``CITYOPS_NATS_PASSWORD`` or the file ``CITYOPS_NATS_PASSWORD_FILE`` (never an argument: the command line
of a process is visible to every user of the machine).

A dead letter keeps the original payload and, in headers, where it came from and why it was given up
on. Replaying publishes the payload again on its original subject (with a fresh ``Nats-Msg-Id``, so the
stream does not drop it as a duplicate) and removes the dead letter.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from dataclasses import asdict, dataclass

import nats
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from shared.bus.authorization import ADMIN_USER
from shared.settings import ServiceSettings

STREAM = "DEADLETTERS"


@dataclass(frozen=True)
class DeadLetter:
    seq: int
    consumer: str
    subject: str
    original_seq: int
    deliveries: int
    reason: str
    size: int


async def list_dead_letters(js: JetStreamContext, *, consumer: str | None = None, limit: int = 100) -> list[DeadLetter]:
    """The oldest ``limit`` dead letters (of ``consumer``, if given)."""
    info = await js.stream_info(STREAM)
    out: list[DeadLetter] = []
    seq = max(info.state.first_seq, 1)
    while info.state.messages and seq <= info.state.last_seq and len(out) < limit:
        try:
            raw = await js.get_msg(STREAM, seq)
        except NotFoundError:
            seq += 1
            continue
        headers = raw.headers or {}
        letter = DeadLetter(
            seq=seq,
            consumer=headers.get("Cityops-Dead-Consumer", ""),
            subject=headers.get("Cityops-Dead-Subject", ""),
            original_seq=int(headers.get("Cityops-Dead-Seq", "0")),
            deliveries=int(headers.get("Cityops-Dead-Deliveries", "0")),
            reason=headers.get("Cityops-Dead-Reason", ""),
            size=len(raw.data or b""),
        )
        if consumer is None or letter.consumer == consumer:
            out.append(letter)
        seq += 1
    return out


async def replay(js: JetStreamContext, seq: int) -> DeadLetter:
    """Publish dead letter ``seq`` again on its original subject, then delete it."""
    raw = await js.get_msg(STREAM, seq)
    headers = raw.headers or {}
    subject = headers.get("Cityops-Dead-Subject")
    if not subject or raw.data is None:
        raise ValueError(f"dead letter {seq} names no original subject")
    await js.publish(subject, raw.data, headers={"Nats-Msg-Id": f"replay-{seq}"})
    await js.delete_msg(STREAM, seq)
    return DeadLetter(
        seq=seq,
        consumer=headers.get("Cityops-Dead-Consumer", ""),
        subject=subject,
        original_seq=int(headers.get("Cityops-Dead-Seq", "0")),
        deliveries=int(headers.get("Cityops-Dead-Deliveries", "0")),
        reason=headers.get("Cityops-Dead-Reason", ""),
        size=len(raw.data),
    )


async def _main(args: argparse.Namespace) -> None:
    user, password = ServiceSettings().nats_credentials(ADMIN_USER)
    nc = await nats.connect(args.nats, connect_timeout=5, allow_reconnect=False, user=user, password=password)
    try:
        js = nc.jetstream()
        if args.command == "list":
            for letter in await list_dead_letters(js, consumer=args.consumer, limit=args.limit):
                print(json.dumps(asdict(letter), ensure_ascii=False))  # noqa: T201 — the command's output
        else:
            seqs = args.seq or [d.seq for d in await list_dead_letters(js, consumer=args.consumer, limit=args.limit)]
            for seq in seqs:
                print(json.dumps({"replayed": asdict(await replay(js, seq))}, ensure_ascii=False))  # noqa: T201
    finally:
        await nc.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m shared.bus.deadletters", description=__doc__)
    parser.add_argument("--nats", default=os.environ.get("CITYOPS_NATS_URL", "nats://127.0.0.1:4222"))
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="list dead letters (JSON lines)")
    listing.add_argument("--consumer")
    listing.add_argument("--limit", type=int, default=100)
    again = sub.add_parser("replay", help="replay the given dead letters, or all of --consumer's")
    again.add_argument("seq", nargs="*", type=int)
    again.add_argument("--consumer")
    again.add_argument("--limit", type=int, default=1000)
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()

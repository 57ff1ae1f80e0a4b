"""Who may publish and subscribe to what on NATS, derived from ``shared.subjects`` — never written by hand.

One NATS user per service plus an operator user (``admin``) for tools and tests. A service may
publish the subjects it owns and subscribe to the ones it consumes (``SUBJECTS``); JetStream adds what
its client library needs: declaring the streams and buckets it uses (``declared_by``; each user of a
stream declares it, so any may start first, and none may change a stream it does not use),
consumers, acks, flow control and reads on the streams it consumes, ``$KV``
writes on the buckets it uses (``BucketSpec.users``), the dead letters of its own durable consumers,
and replies on its own inbox prefix (``_INBOX.<service>``, see ``Bus``), so no service can read
another's replies. Nothing is anonymous: a server with this block refuses a client without a user.

``authorization_config()`` is the ``authorization { … }`` block of nats-server's configuration; the
passwords are references to environment variables (``$CITYOPS_NATS_PASSWORD_<USER>``), so the same
text serves the embedded dev server, compose and Kubernetes (a test compares the manifests with it).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from shared.subjects import BUCKETS, DURABLE_CONSUMERS, STREAMS, SUBJECTS, BucketSpec, StreamSpec

DEAD_LETTERS_STREAM = "DEADLETTERS"

SERVICE_USERS: tuple[str, ...] = ("ingest", "analytics", "reports", "gateway")
ADMIN_USER = "admin"
USERS: tuple[str, ...] = (*SERVICE_USERS, ADMIN_USER)


def inbox_prefix(user: str) -> str:
    """The reply-subject prefix a service's connection uses (its only ``_INBOX`` subscriptions)."""
    return f"_INBOX.{user}"


def password_variable(user: str) -> str:
    """The environment variable nats-server reads ``user``'s password from."""
    return f"CITYOPS_NATS_PASSWORD_{user.upper()}"


def wildcard(pattern: str) -> str:
    """``alerts.<camera>.<rule>`` → ``alerts.*.*`` (a NATS subject filter)."""
    return re.sub(r"<[^>]+>", "*", pattern)


def covers(filter_: str, subject: str) -> bool:
    """Whether every subject matched by ``subject`` (itself possibly a filter) is matched by ``filter_``."""
    want, have = filter_.split("."), subject.split(".")
    for i, token in enumerate(want):
        if token == ">":
            return len(have) > i
        if i >= len(have) or (token != "*" and token != have[i]) or (token == "*" and have[i] == ">"):
            return False
    return len(want) == len(have)


def _named(services_text: str) -> set[str]:
    return {s for s in SERVICE_USERS if re.search(rf"\b{s}\b", services_text)}


def _stream_of(transport: str) -> str | None:
    found = re.search(r"JetStream `([A-Z_]+)`", transport)
    return found.group(1) if found else None


@dataclass(frozen=True)
class Permissions:
    publish: tuple[str, ...]
    publish_deny: tuple[str, ...]
    subscribe: tuple[str, ...]


def _read_stream(stream: str) -> list[str]:
    """Consumers (durable, ordered, pull), their acks and flow control, and direct reads on ``stream``."""
    api = "$JS.API"
    return [
        f"{api}.CONSUMER.CREATE.{stream}",
        f"{api}.CONSUMER.CREATE.{stream}.>",
        f"{api}.CONSUMER.DURABLE.CREATE.{stream}.>",
        f"{api}.CONSUMER.INFO.{stream}.>",
        f"{api}.CONSUMER.DELETE.{stream}.>",
        f"{api}.CONSUMER.MSG.NEXT.{stream}.>",
        f"{api}.DIRECT.GET.{stream}",
        f"{api}.DIRECT.GET.{stream}.>",
        f"{api}.STREAM.MSG.GET.{stream}",
        f"$JS.ACK.{stream}.>",
        f"$JS.FC.{stream}.>",
    ]


def declared_by(service: str) -> tuple[tuple[StreamSpec, ...], tuple[BucketSpec, ...]]:
    """The streams and buckets ``service`` uses, which it declares (``Bus``) and alone may create or
    update: those of the subjects it owns or consumes, DEADLETTERS if it runs a durable consumer, and
    the buckets naming it among their users."""
    names = {
        _stream_of(spec.transport) for spec in SUBJECTS if spec.owner == service or service in _named(spec.consumers)
    }
    if service in DURABLE_CONSUMERS.values():
        names.add(DEAD_LETTERS_STREAM)
    streams = tuple(s for s in STREAMS if s.name in names)
    return streams, tuple(b for b in BUCKETS if service in b.users)


def _declare(service: str) -> list[str]:
    streams, buckets = declared_by(service)
    names = [s.name for s in streams] + [f"KV_{b.name}" for b in buckets]
    ops = ("INFO", "CREATE", "UPDATE")
    return ["$JS.API.INFO"] + [f"$JS.API.STREAM.{op}.{name}" for name in names for op in ops]


def service_permissions(service: str) -> Permissions:
    """What ``service``'s NATS user may do (see the module docstring)."""
    publish: list[str] = _declare(service)
    deny: list[str] = []
    subscribe: list[str] = []
    for spec in SUBJECTS:
        subject = wildcard(spec.pattern)
        if spec.owner == service:
            publish.append(subject)
            # A wider pattern must not let the owner publish a narrower subject another service owns.
            deny += [
                wildcard(other.pattern)
                for other in SUBJECTS
                if other.owner != service and other.owner in SERVICE_USERS and covers(subject, wildcard(other.pattern))
            ]
        if service in _named(spec.consumers):
            subscribe.append(subject)
            stream = _stream_of(spec.transport)
            if stream is not None:
                publish += [p for p in _read_stream(stream) if p not in publish]
    for bucket in BUCKETS:
        if service in bucket.users:
            publish += [*_read_stream(f"KV_{bucket.name}"), f"$KV.{bucket.name}.>"]
    durables = [name for name, owner in DURABLE_CONSUMERS.items() if owner == service]
    publish += [f"deadletter.{name}" for name in durables]
    subscribe.append(f"{inbox_prefix(service)}.>")
    return Permissions(tuple(publish), tuple(deny), tuple(subscribe))


def user_entry(user: str) -> dict[str, object]:
    """One entry of ``authorization.users``; the password is a reference ``$CITYOPS_NATS_PASSWORD_<USER>``."""
    if user == ADMIN_USER:
        permissions: dict[str, object] = {"publish": {"allow": [">"]}, "subscribe": {"allow": [">"]}}
    else:
        p = service_permissions(user)
        publish: dict[str, list[str]] = {"allow": list(p.publish)}
        if p.publish_deny:
            publish["deny"] = list(p.publish_deny)
        permissions = {"publish": publish, "subscribe": {"allow": list(p.subscribe)}}
    return {"user": user, "password": f"${password_variable(user)}", "permissions": permissions}


def helm_values() -> dict[str, object]:
    """The same users as values of the official NATS Helm chart (``config.merge``), where a variable is
    written ``<< $NAME >>``, and the chart's container gets the passwords from the secret cityops-nats."""
    users = [{**user_entry(u), "password": f"<< ${password_variable(u)} >>"} for u in USERS]
    env = {password_variable(u): {"valueFrom": {"secretKeyRef": {"name": "cityops-nats", "key": u}}} for u in USERS}
    return {"config": {"merge": {"authorization": {"users": users}}}, "container": {"env": env}}


def authorization_config() -> str:
    """The ``authorization { users [...] }`` block of nats-server's configuration."""
    lines = [
        "# Generated by `python -m shared.subjects nats-config` from shared/subjects.py; do not edit.",
        "authorization {",
        "  users = [",
    ]
    for user in USERS:
        # JSON is valid nats-server configuration; a bare $VARIABLE is read from the environment.
        block = json.dumps(user_entry(user))
        lines.append("    " + block.replace(f'"${password_variable(user)}"', f"${password_variable(user)}"))
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"

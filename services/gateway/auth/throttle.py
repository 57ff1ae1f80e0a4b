"""Failed logins counted per (account, client IP) and per client IP, and the lockouts they earn.

Every credential path (token form, HTTP Basic, API key, personal access token) asks ``check`` before it
looks anything up or computes a hash, so a locked attempt costs a dict lookup. ``max_failures`` failures
of one account from one client lock that pair only: the same account from another address still logs
in. A client that
fails ``max_failures_per_client`` times, whatever the accounts, is locked for every account. Each
further lockout of the same key lasts twice as long as the previous one, up to ``max_lockout_s``; a
key left alone that long (after its lock ends) is forgotten, and a successful login forgets its pair.

Written by hand: the maintained limiters (``limits``, slowapi) count requests per window but have no
lockout that doubles, and this is a few dozen lines of state. Replicas tell each other every attempt
they count (``throttle_sharing.py``), so N gateway replicas give a client no more attempts than one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from shared.errors import RateLimitedError

# (account, client): the account from that client; (None, client): the client, whatever the account.
_Key = tuple[str | None, str]
# Told of every attempt counted here: (account, client, failed).
Listener = Callable[[str, str, bool], None]


@dataclass(frozen=True)
class Origin:
    """Where an attempt came from: the client address (the throttle's key), method and path (for the audit),
    and the Referer it was sent with (a personal access token may be bound to some)."""

    client: str
    method: str
    path: str
    referrer: str | None = None


@dataclass(frozen=True)
class Lockout:
    """A lock that just started: ``account`` None means the client is locked for every account."""

    account: str | None
    client: str
    seconds: int
    failures: int
    nth: int

    def describe(self) -> str:
        who = f"{self.account} from {self.client}" if self.account else f"client {self.client} for every account"
        return f"lockout {self.nth} of {who}: {self.seconds} s after {self.failures} failed logins"


@dataclass
class _Record:
    failures: int = 0
    lockouts: int = 0
    locked_until: float = 0.0
    quiet_from: float = 0.0  # the last failure or the end of the lock, whichever is later


class LoginThrottle:
    def __init__(
        self,
        *,
        max_failures: int,
        max_failures_per_client: int,
        lockout_s: int,
        max_lockout_s: int,
        max_keys: int = 100_000,
    ) -> None:
        self.max_failures = max_failures
        self.max_failures_per_client = max_failures_per_client
        self.lockout_s = lockout_s
        self.max_lockout_s = max_lockout_s
        self._records: dict[_Key, _Record] = {}
        self._max_keys = max_keys
        self.listener: Listener | None = None

    def check(self, account: str, client: str, now: float | None = None) -> None:
        """Raise ``RateLimitedError`` (with the wait) when the pair or the client is locked."""
        now = time.monotonic() if now is None else now
        wait = max(self._locked_for((account, client), now), self._locked_for((None, client), now))
        if wait > 0:
            raise RateLimitedError("too many failed logins, try again later", retry_after_s=math.ceil(wait))

    def failed(self, account: str, client: str, now: float | None = None, *, told: bool = False) -> list[Lockout]:
        """Count one failure of ``account`` from ``client``; the lockouts it started, if any.
        ``told``: another replica saw it (it is not passed on again)."""
        now = time.monotonic() if now is None else now
        if self.listener is not None and not told:
            self.listener(account, client, True)
        started = []
        for key, limit in (((account, client), self.max_failures), ((None, client), self.max_failures_per_client)):
            record = self._record(key, now)
            record.failures += 1
            record.quiet_from = now
            if record.failures >= limit:
                record.lockouts += 1
                seconds = min(self.lockout_s * 2 ** min(record.lockouts - 1, 30), self.max_lockout_s)
                record.failures, record.locked_until, record.quiet_from = 0, now + seconds, now + seconds
                started.append(Lockout(key[0], client, seconds, limit, record.lockouts))
        return started

    def succeeded(self, account: str, client: str, *, told: bool = False) -> None:
        """The right credentials: the pair starts afresh (the client's own count does not, or one
        valid account would let its holder guess the others without end)."""
        if self.listener is not None and not told:
            self.listener(account, client, False)
        self._records.pop((account, client), None)

    def _locked_for(self, key: _Key, now: float) -> float:
        record = self._records.get(key)
        return 0.0 if record is None else record.locked_until - now

    def _record(self, key: _Key, now: float) -> _Record:
        record = self._records.pop(key, None)
        if record is None or now - record.quiet_from > self.max_lockout_s:
            record = _Record()
        if len(self._records) >= self._max_keys:
            # Bounded memory: drop the least recently failed key (dicts keep insertion order and
            # every failure re-inserts its key at the end).
            del self._records[next(iter(self._records))]
        self._records[key] = record
        return record

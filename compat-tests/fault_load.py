"""A bounded S3 load with known contents, and the ledger that remembers
what the gateway acknowledged.

Contents: the bytes of (key, generation) are SHAKE-256 of "key#gen",
sized from the same hash (1 B .. MAX_SIZE), so any byte read back is
checkable without keeping it.

Ledger: per key, the states the object may be in. An acknowledged PUT or
DELETE makes the state definite ({gen} or {ABSENT}); a failed one (an
error, a timeout, a dropped connection) leaves the old states and adds
the new one, since the server may or may not have applied it. A key with
an uncertain outcome is retired (never written again): a request the
client gave up on may still land later, and must not race a newer one.

Load: `threads` workers, each on its own keys, each call bounded by short
client timeouts and no SDK retries, so a stall is seen (counted as
`hang`) rather than waited out; the run stops at `max_ops` or `seconds`.
GETs during the load check every byte against the ledger: wrong bytes,
a 404 for an acknowledged object or an object back after an acknowledged
DELETE are violations, as is a hang. Everything else is a clean error,
counted by kind.
"""
import collections
import hashlib
import random
import threading
import time

from botocore.config import Config
from botocore.exceptions import (BotoCoreError, ClientError, ConnectionClosedError,
                                 ConnectTimeoutError, EndpointConnectionError,
                                 ReadTimeoutError)

ABSENT = None
MAX_SIZE = 96 * 1024
# Bounded client calls: connect, then each read; no retries by the SDK.
CLIENT_CONFIG = dict(connect_timeout=3, read_timeout=20, retries={"max_attempts": 1})


def content(key, gen, size=None):
    h = hashlib.shake_256(f"{key}#{gen}".encode())
    if size is None:
        size = 1 + int.from_bytes(h.digest(4), "big") % MAX_SIZE
    return h.digest(size)


def error_kind(e):
    """A short name for a client-side failure; "hang" for a timeout."""
    if isinstance(e, ClientError):
        err = e.response.get("Error", {})
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return f"{status} {err.get('Code', '?')}"
    if isinstance(e, ReadTimeoutError):
        return "hang"
    if isinstance(e, (ConnectTimeoutError,)):
        return "connect-timeout"
    if isinstance(e, EndpointConnectionError):
        return "connection-refused"
    if isinstance(e, ConnectionClosedError):
        return "connection-closed"
    if isinstance(e, BotoCoreError):
        return type(e).__name__
    return type(e).__name__


class Ledger:
    def __init__(self):
        self.lock = threading.Lock()
        self.states = {}  # (bucket, key) -> set of gen | ABSENT
        self.blobs = {}   # (bucket, key, gen) -> bytes not derived from the key (multipart)
        self.retired = set()

    def definite(self, bk):
        with self.lock:
            s = self.states.get(bk, {ABSENT})
            return next(iter(s)) if len(s) == 1 and bk not in self.retired else "?"

    def acked(self, bk, state):
        with self.lock:
            self.states[bk] = {state}

    def unsure(self, bk, state):
        with self.lock:
            self.states.setdefault(bk, {ABSENT}).add(state)
            self.retired.add(bk)

    def items(self):
        with self.lock:
            return [(bk, set(s)) for bk, s in self.states.items()]

    def expected(self, bk, gen):
        blob = self.blobs.get((*bk, gen))
        return blob if blob is not None else content(bk[1], gen)

    def settle(self, bk, state):
        """After verification found `state`: the key is definite again."""
        with self.lock:
            self.states[bk] = {state}


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.written = 0
        self.deleted = 0
        self.reads = 0
        self.errors = collections.Counter()
        self.violations = []

    def add(self, field, n=1):
        with self.lock:
            setattr(self, field, getattr(self, field) + n)

    def error(self, kind):
        with self.lock:
            self.errors[kind] += 1

    def violation(self, what):
        with self.lock:
            self.violations.append(what)


class Load:
    """`threads` workers over `bucket` until stop(), max_ops or seconds."""

    def __init__(self, make_client, ledger, bucket, tag, threads=4, max_ops=100000,
                 seconds=60.0, seed=0):
        self.make_client = make_client
        self.ledger = ledger
        self.bucket = bucket
        self.tag = tag
        self.stats = Stats()
        self.stop_flag = threading.Event()
        self.max_ops = max_ops
        self.seconds = seconds
        self.workers = [threading.Thread(target=self.work, args=(i, seed * 1000 + i), daemon=True)
                        for i in range(threads)]

    def __enter__(self):
        self.started = time.time()
        for w in self.workers:
            w.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        self.stop_flag.set()
        for w in self.workers:
            w.join(timeout=120)
            assert not w.is_alive(), "a load worker never returned: a client call hung"

    def done(self, ops):
        return (self.stop_flag.is_set() or ops >= self.max_ops
                or time.time() - self.started > self.seconds)

    def work(self, worker, seed):
        rng = random.Random(seed)
        s3 = self.make_client(**CLIENT_CONFIG)
        live = []  # keys of this worker whose state is definite
        fresh = 0
        gens = {}
        ops = 0
        while not self.done(ops):
            ops += 1
            r = rng.random()
            if r < 0.45 or not live:
                if live and rng.random() < 0.4:
                    key = rng.choice(live)
                else:
                    key = f"{self.tag}/w{worker}/k{fresh}"
                    fresh += 1
                gen = gens.get(key, 0) + 1
                gens[key] = gen
                self.put(s3, key, gen, live)
            elif r < 0.85:
                self.get(s3, rng.choice(live))
            else:
                self.delete(s3, rng.choice(live), live)

    def put(self, s3, key, gen, live):
        bk = (self.bucket, key)
        try:
            s3.put_object(Bucket=self.bucket, Key=key, Body=content(key, gen))
        except Exception as e:  # noqa: BLE001 - every failure is classified
            self.failed(e, f"PUT {key}")
            self.ledger.unsure(bk, gen)
            if key in live:
                live.remove(key)
            return
        self.ledger.acked(bk, gen)
        self.stats.add("written")
        if key not in live:
            live.append(key)

    def delete(self, s3, key, live):
        bk = (self.bucket, key)
        live.remove(key)
        try:
            s3.delete_object(Bucket=self.bucket, Key=key)
        except Exception as e:  # noqa: BLE001
            self.failed(e, f"DELETE {key}")
            self.ledger.unsure(bk, ABSENT)
            return
        self.ledger.acked(bk, ABSENT)
        self.stats.add("deleted")

    def get(self, s3, key):
        bk = (self.bucket, key)
        state = self.ledger.definite(bk)
        try:
            got = s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as e:
            if e.response["Error"].get("Code") == "NoSuchKey" and state is not ABSENT:
                self.stats.violation(f"GET {key}: 404 for acknowledged generation {state}")
            self.failed(e, f"GET {key}")
            return
        except Exception as e:  # noqa: BLE001
            self.failed(e, f"GET {key}")
            return
        self.stats.add("reads")
        if state is ABSENT:
            self.stats.violation(f"GET {key}: {len(got)} bytes after an acknowledged DELETE")
        elif got != self.ledger.expected(bk, state):
            self.stats.violation(f"GET {key}: wrong bytes for generation {state} "
                                 f"({len(got)} bytes)")

    def failed(self, e, what):
        kind = error_kind(e)
        self.stats.error(kind)
        if kind == "hang":
            self.stats.violation(f"{what}: no answer within the client timeout ({e})")

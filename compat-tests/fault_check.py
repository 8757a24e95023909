"""What the fault suite checks after each fault, once the cluster is whole
again:

- `read_back`: every key of the ledger through the gateway — an
  acknowledged object byte-identical, an acknowledged delete gone; a key
  with an uncertain outcome in one of its possible states (then settled);
- `converge`: every file the index references is on every storage of
  its group with the same bytes (for a single-file object: the object's
  bytes), and every file it stopped referencing since the last check is
  gone from all of them — polled, since replication and the delete queue
  are asynchronous, within a bound;
- `drain`: the gateway's delete queue empties;
- `sweep`: with the gateway stopped, `fdfs gateway sweep --grace-secs 0`
  deletes the orphans a crash left;
- `disks_match_index`: then every storage's disk holds exactly the files
  the index references in its group: nothing orphaned, nothing left
  behind by a delete, nothing missing.
"""
import time
from concurrent.futures import ThreadPoolExecutor

from botocore.exceptions import ClientError

from fault_load import ABSENT, CLIENT_CONFIG, error_kind
from s3_cluster import raw_download


def get_settled(s3, bucket, key, attempts=5):
    """The object's bytes, or ABSENT; retries transient errors (the
    cluster was just healed), raises the last one."""
    for i in range(attempts):
        try:
            return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as e:
            if e.response["Error"].get("Code") == "NoSuchKey":
                return ABSENT
            last = e
        except Exception as e:  # noqa: BLE001 - retried, then reported
            last = e
        time.sleep(0.5 * (i + 1))
    raise last


def read_back(cluster, ledger):
    """(verified, lost, problems): verified counts objects read back
    byte-identical (absent ones confirmed gone are not counted)."""
    s3 = cluster.boto3_client(max_pool_connections=8, **CLIENT_CONFIG)

    def one(item):
        (bucket, key), states = item
        try:
            got = get_settled(s3, bucket, key)
        except Exception as e:  # noqa: BLE001
            return None, f"{bucket}/{key}: unreadable after the fault ({error_kind(e)}: {e})"
        for st in states:
            if st is ABSENT and got is ABSENT:
                return ABSENT, None
            if st is not ABSENT and got is not ABSENT and got == ledger.expected((bucket, key), st):
                return st, None
        what = "missing" if got is ABSENT else f"{len(got)} bytes matching none of {states}"
        return None, f"{bucket}/{key}: {what}"

    items = ledger.items()
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, items))
    verified, problems = 0, []
    for (bk, _), (state, problem) in zip(items, results):
        if problem:
            problems.append(problem)
        else:
            ledger.settle(bk, state)
            verified += state is not ABSENT
    return verified, len(problems), problems


def replica_problems(cluster, ledger, buckets, files, gone):
    """{file_id: what still differs} between the storages of its group."""
    expected = {}
    for bucket in buckets:
        single, _ = cluster.object_files(bucket)
        for key, fid in single.items():
            states = ledger.states.get((bucket, key))
            if states and len(states) == 1 and None not in states:
                expected[fid] = ledger.expected((bucket, key), next(iter(states)))

    def one(fid):
        group = fid.split("/", 1)[0]
        copies = {}
        for ip, port in cluster.group_members(group):
            try:
                copies[ip] = raw_download(ip, port, fid)
            except FileNotFoundError:
                copies[ip] = ABSENT
            except OSError as e:
                return fid, f"{fid} on {ip}: {e}"
        if fid in gone:
            left = [ip for ip, data in copies.items() if data is not ABSENT]
            return (fid, f"{fid} deleted from the index, still on {left}") if left else None
        want = expected.get(fid)
        if want is None:
            present = [d for d in copies.values() if d is not ABSENT]
            want = present[0] if present else b"<on no storage>"
        bad = [ip for ip, data in copies.items() if data != want]
        return (fid, f"{fid}: missing or different on {bad}") if bad else None

    with ThreadPoolExecutor(8) as pool:
        return dict(p for p in pool.map(one, sorted(files | gone)) if p)


def converge(cluster, ledger, buckets, files, gone, within=90.0):
    """Polls `replica_problems` until none is left; returns those left
    after `within` seconds."""
    deadline = time.time() + within
    pending = set(files)
    pending_gone = set(gone)
    while True:
        problems = replica_problems(cluster, ledger, buckets, pending, pending_gone)
        if not problems or time.time() > deadline:
            return list(problems.values())
        pending &= problems.keys()
        pending_gone &= problems.keys()
        time.sleep(2)


def drain(cluster, within=60.0):
    """Seconds the delete queue took to empty; raises if it did not."""
    start = time.time()
    while True:
        n = cluster.queue_length()
        if n == 0:
            return time.time() - start
        if time.time() - start > within:
            raise AssertionError(f"delete queue still holds {n} entries after {within:.0f} s")
        time.sleep(0.5)


def sweep(cluster):
    """Stops the gateway, runs one sweep (which also drains what it
    queued), restarts the gateway. Returns the files it queued: orphans,
    and files a lagging peer still listed after their delete."""
    cluster.terminate("gateway")
    try:
        return cluster.sweep()[2]
    finally:
        cluster.restart("gateway")


def disks_match_index(cluster, within=60.0):
    """Polls until every storage's disk holds exactly the files the index
    references in its group: no orphan, no file left after its delete,
    none missing. Returns what still differs after `within` seconds."""
    deadline = time.time() + within
    while True:
        refs = cluster.referenced_files()
        problems = []
        for ip, (group, _) in cluster.storages.items():
            want = {f for f in refs if f.startswith(group + "/")}
            have = cluster.disk_files(ip)
            extra, missing = sorted(have - want), sorted(want - have)
            if extra:
                problems.append(f"{ip}: {len(extra)} files no index row references, "
                                f"e.g. {extra[:3]}")
            if missing:
                problems.append(f"{ip}: {len(missing)} referenced files missing, "
                                f"e.g. {missing[:3]}")
        if not problems or time.time() > deadline:
            return problems
        time.sleep(1)

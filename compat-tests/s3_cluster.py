"""A multi-process fdfs cluster with an S3 gateway in front: the layout of
issue 6, with the same interface as S3Server (`endpoint`,
`boto3_client(**config)`, `logs()`, `start()`, `stop()`).

- 2 trackers (127.0.0.10 and 127.0.0.20), each told about both;
- group1 = 127.0.0.11 + 127.0.0.12 (one port), group2 = 127.0.0.13, every
  storage reporting to both trackers;
- one `fdfs gateway` on 127.0.0.30 with `--tracker` for both trackers, the
  owner key from FDFS_ACCESS_KEY_ID / FDFS_SECRET_ACCESS_KEY (the
  s3_server keys, which the client tests import) and its index in
  `<dir>/gateway/index.db` (`index_path`, for tests that look up file IDs).

The processes are conftest's `Cluster`; this adds the gateway. `stop()`
sends SIGTERM to each and requires every one to exit 0.

Test-side helpers for looking behind the gateway: `file_id()` reads an
object's FastDFS file ID from the gateway's SQLite index (opened read-only:
the gateway does not expose file IDs over S3), `fetch_all()` asks a tracker
which storages it would name for a file (QUERY_FETCH_ALL, as the gateway's
QUERY_FETCH_ONE picks from), and `raw_download()` reads a file from one
storage, bypassing the tracker.
"""
import os
import socket
import sqlite3
import struct

from conftest import Cluster, free_port
from s3_server import ACCESS_KEY, SECRET_KEY, S3Server

GATEWAY_IP = "127.0.0.30"
QUERY_FETCH_ALL = 105
DOWNLOAD_FILE = 14
IP_SIZE = 15  # IPv4 fields of a cluster answering as FastDFS 6.15+


class S3Cluster(Cluster):
    # The storages take the gateway's Object Lock tags and its deletes of
    # files whose retention was lifted (`--lock-admin-host`). The gateway
    # listens on GATEWAY_IP, but its own connections to 127.0.0.x leave
    # from 127.0.0.1 (the loopback route's source address).
    storage_args = ("--lock-admin-host", "127.0.0.1")

    def __init__(self, tracker_args=(), trackers=2, gateway_args=(), gateway_env=None):
        super().__init__(tracker_args, trackers=trackers)
        # Further `fdfs gateway` flags and environment (e.g. the lifecycle
        # test's interval and time scale).
        self.gateway_args = list(gateway_args)
        self.gateway_env = dict(gateway_env or {})
        self.port = free_port(GATEWAY_IP)
        self.endpoint = f"http://{GATEWAY_IP}:{self.port}"
        self.gateway_dir = os.path.join(self.dir, "gateway")
        self.index_path = os.path.join(self.gateway_dir, "index.db")
        self.proc = None

    def start(self):
        super().start()
        env = dict(os.environ, FDFS_ACCESS_KEY_ID=ACCESS_KEY, FDFS_SECRET_ACCESS_KEY=SECRET_KEY,
                   **self.gateway_env)
        self.proc = self.spawn("gateway", [
            "gateway", "--listen", f"{GATEWAY_IP}:{self.port}", *self.tracker_flags(),
            "--data", self.gateway_dir, *self.gateway_args,
        ], GATEWAY_IP, self.port, env=env)
        self.wait_http()
        self.wait_writable()

    # The gateway is reached and probed exactly as the all-in-one server is.
    boto3_client = S3Server.boto3_client
    wait_http = S3Server.wait_http
    wait_writable = S3Server.wait_writable

    def stop(self):
        """SIGTERM to every process; each must exit 0."""
        bad = super().stop()
        assert not bad, f"did not exit 0 on SIGTERM: {bad}\n{self.logs()}"

    def file_id(self, bucket, key):
        """The file ID of a single-file object, straight from the index
        (read-only; a test-side lookup, not an S3 feature)."""
        with sqlite3.connect(f"file:{self.index_path}?mode=ro", uri=True) as db:
            row = db.execute(
                "SELECT o.file_id FROM objects o JOIN buckets b ON b.id = o.bucket_id "
                "WHERE b.name = ? AND o.key = ?", (bucket, key.encode())).fetchone()
        if row is None or row[0] is None:
            raise KeyError(f"no single-file object {bucket}/{key} in the index")
        return row[0]

    def fetch_all(self, file_id, tracker=None):
        """[(ip, port)] of every storage the tracker would name for
        `file_id` (QUERY_FETCH_ALL)."""
        ip, port = tracker or self.tracker
        group, name = file_id.split("/", 1)
        status, body = exchange(ip, port, QUERY_FETCH_ALL,
                                group.encode().ljust(16, b"\0") + name.encode())
        if status:
            raise FileNotFoundError(f"QUERY_FETCH_ALL {file_id}: status {status}")
        # G16 + n x (IP15 + P8)
        step = IP_SIZE + 8
        return [(body[i:i + IP_SIZE].rstrip(b"\0").decode(),
                 struct.unpack(">q", body[i + IP_SIZE:i + step])[0])
                for i in range(16, len(body), step)]


def exchange(ip, port, cmd, body):
    """One FastDFS request/response: (status, body)."""
    with socket.create_connection((ip, port), timeout=10) as s:
        s.sendall(struct.pack(">qBB", len(body), cmd, 0) + body)
        length, _, status = struct.unpack(">qBB", recv_exact(s, 10))
        return status, recv_exact(s, length)


def recv_exact(s, n):
    chunks = []
    while n:
        chunk = s.recv(min(1 << 20, n))
        if not chunk:
            raise ConnectionError("connection closed mid-reply")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def raw_download(ip, port, file_id):
    """DOWNLOAD_FILE of the whole `file_id` from one storage; raises
    FileNotFoundError when that storage does not have it."""
    group, name = file_id.split("/", 1)
    status, data = exchange(ip, port, DOWNLOAD_FILE,
                            struct.pack(">qq16s", 0, 0, group.encode()) + name.encode())
    if status:
        raise FileNotFoundError(f"{file_id} on {ip}:{port}: status {status}")
    return data

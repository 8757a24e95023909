"""A real fdfs cluster for the compat tests: `fdfs tracker` and `fdfs storage`
processes on 127.0.0.x with free ports and temporary directories.

Layout: trackers 127.0.0.10 (and 127.0.0.20 when there are two), group1 =
127.0.0.11 + 127.0.0.12, group2 = 127.0.0.13. The binary comes from
$FDFS_BIN, else the cargo target directory's debug build.

S3 targets: `s3_server` spawns one all-in-one `fdfs server` (s3_server.py);
`s3_cluster` the 2-tracker cluster with an `fdfs gateway` (s3_cluster.py).
`s3_target` runs an S3 client test against each of them.
"""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
# A token reserve: the tests must not depend on how full the shared disk is
# (the defaults keep 20% / 10% of the disk free).
RESERVE = ["--reserved-storage-space", "1M"]
ROOT = os.path.dirname(HERE)


def fdfs_bin():
    if os.environ.get("FDFS_BIN"):
        return os.environ["FDFS_BIN"]
    meta = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    return os.path.join(json.loads(meta.stdout)["target_directory"], "debug", "fdfs")


def require_all_clients():
    """In CI (CI set) or with FDFS_REQUIRE_ALL_CLIENTS=1 every client must
    be there: a missing one fails the run instead of skipping."""
    return any(os.environ.get(v, "").lower() not in ("", "0", "false")
               for v in ("CI", "FDFS_REQUIRE_ALL_CLIENTS"))


def require_tool(name, *paths):
    """The path of the executable `name`, or: fail (CI) / skip (elsewhere)
    with the reason. `paths` are further files that must exist (e.g.
    /dev/fuse). `make test-compat` installs the Debian packages as root."""
    found = shutil.which(name)
    missing = [p for p in paths if not os.path.exists(p)]
    if found and not missing:
        return found
    if not found:
        reason = f"{name} not installed (Debian package; `make test-compat` installs it as root)"
    else:
        reason = f"{name} needs {', '.join(missing)}"
    if require_all_clients():
        pytest.fail(f"{reason}; CI / FDFS_REQUIRE_ALL_CLIENTS needs every client", pytrace=False)
    pytest.skip(reason)


def free_port(ip):
    s = socket.socket()
    s.bind((ip, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def common_free_port(ips):
    """A port free on every one of `ips`: a group's storages share one port
    (the tracker refuses a member on another port, as FastDFS's does)."""
    for _ in range(100):
        port = free_port(ips[0])
        ok = True
        for ip in ips:
            s = socket.socket()
            try:
                s.bind((ip, port))
            except OSError:
                ok = False
            finally:
                s.close()
        if ok:
            return port
    raise RuntimeError(f"no port free on all of {ips}")


def wait_listening(ip, port, proc, log, within=20.0):
    deadline = time.time() + within
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"fdfs exited early:\n{open(log).read()}")
        try:
            socket.create_connection((ip, port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"fdfs not listening on {ip}:{port}:\n{open(log).read()}")


class Cluster:
    """Trackers and storages as separate `fdfs` processes.

    `trackers` is how many trackers run (127.0.0.10, .20, ...): each is
    told about all of them (`--tracker`), and every storage reports to
    every one. `self.tracker` is the first one, for single-tracker clients.
    """

    TRACKER_IPS = ["127.0.0.10", "127.0.0.20"]
    LAYOUT = {"group1": ["127.0.0.11", "127.0.0.12"], "group2": ["127.0.0.13"]}
    # Extra flags for every storage (S3Cluster names its gateway's host as
    # the one allowed to tag and delete Object Lock files).
    storage_args = ()

    def __init__(self, tracker_args=(), trackers=1):
        self.tracker_args = list(tracker_args)
        self.dir = tempfile.mkdtemp(prefix="fdfs-compat-")
        self.bin = fdfs_bin()
        self.procs = []
        self.names = []
        self.trackers = [(ip, free_port(ip)) for ip in self.TRACKER_IPS[:trackers]]
        self.tracker = self.trackers[0]
        self.storages = {}
        self.final_logs = None

    def log_path(self, name):
        return os.path.join(self.dir, f"{name}.log")

    def spawn(self, name, args, ip, port, env=None):
        log = self.log_path(name)
        proc = subprocess.Popen([self.bin, *args], stdout=open(log, "w"), stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env)
        self.procs.append(proc)
        self.names.append(name)
        wait_listening(ip, port, proc, log)
        return proc

    def tracker_flags(self):
        return [arg for ip, port in self.trackers for arg in ("--tracker", f"{ip}:{port}")]

    def start(self):
        peers = self.tracker_flags() if len(self.trackers) > 1 else []
        for ip, port in self.trackers:
            self.spawn(f"tracker-{ip}", ["tracker", "--listen", f"{ip}:{port}", "--data",
                                         os.path.join(self.dir, f"tracker-{ip}"), *RESERVE,
                                         *peers, *self.tracker_args],
                       ip, port)
        for group, ips in self.LAYOUT.items():
            port = common_free_port(ips)
            for ip in ips:
                self.storages[ip] = (group, port)
        for ip, (group, port) in self.storages.items():
            self.spawn(f"storage-{ip}", [
                "storage", "--listen", f"{ip}:{port}", "--group", group, *self.tracker_flags(),
                "--data", os.path.join(self.dir, ip), "--heart-beat-interval", "1",
                "--stat-report-interval", "1", *RESERVE, *self.storage_args,
            ], ip, port)
        self.wait_active()

    def monitor(self, tracker=None):
        ip, port = tracker or self.tracker
        out = subprocess.run([self.bin, "monitor", "--tracker", f"{ip}:{port}"],
                             capture_output=True, text=True)
        return out.stdout

    def wait_active(self, within=30.0):
        """Until every tracker sees every storage ACTIVE."""
        deadline = time.time() + within
        for tracker in self.trackers:
            while self.monitor(tracker).count("ACTIVE") < len(self.storages):
                if time.time() > deadline:
                    raise RuntimeError(f"storages not ACTIVE on {tracker}:\n{self.monitor(tracker)}")
                time.sleep(0.3)

    def logs(self):
        """Every process's output so far, each under its name (after
        `stop()`, as it was at the end)."""
        if self.final_logs is not None:
            return self.final_logs
        parts = []
        for name in self.names:
            try:
                with open(self.log_path(name), errors="replace") as f:
                    parts.append(f"--- {name}\n{f.read()}")
            except OSError:
                pass
        return "\n".join(parts)

    def stop(self):
        """SIGTERM to each process, the last started first (a gateway
        before the storages it drains to); returns the names of those that
        did not exit 0."""
        bad = []
        for name, proc in reversed(list(zip(self.names, self.procs))):
            proc.terminate()
            try:
                code = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                code = "killed"
            if code != 0:
                bad.append(f"{name} ({code})")
        self.final_logs = self.logs()
        shutil.rmtree(self.dir, ignore_errors=True)
        return bad


def running(cls=Cluster, **kw):
    c = cls(**kw)
    try:
        c.start()
        yield c
    finally:
        c.stop()


@pytest.fixture(scope="session")
def cluster():
    """A cluster answering as FastDFS 6.15+ does (15-byte IPv4 fields)."""
    yield from running()


@pytest.fixture(scope="session")
def cluster_wide_ip():
    """A cluster answering with 45/46-byte IP fields
    (`response_ip_addr_size = 46`), for clients built for FastDFS 6.11-6.12,
    with an S3 gateway in front (an `S3Cluster` with one tracker)."""
    from s3_cluster import S3Cluster

    yield from running(S3Cluster, tracker_args=["--response-ip-addr-size", "46"], trackers=1)


@pytest.fixture(scope="session")
def s3_cluster():
    """The issue's cluster behind an `fdfs gateway` (s3_cluster.py): 2
    trackers, group1 with 2 storages, group2 with 1; every process must exit
    0 on SIGTERM."""
    from s3_cluster import S3Cluster

    yield from running(S3Cluster)


@pytest.fixture(scope="session")
def s3_server():
    """A spawned `fdfs server` (tracker + storage + gateway in one process)
    on free 127.0.0.1 ports; stopped by SIGTERM, which must exit 0."""
    from s3_server import S3Server

    server = S3Server()
    try:
        server.start()
        yield server
    finally:
        server.stop()


# The S3 targets every S3 client test runs against: each has `endpoint`,
# `boto3_client()` and `logs()`. "server" is the all-in-one `fdfs server`,
# "cluster" the multi-process cluster behind `fdfs gateway`.
S3_TARGETS = ["server", "cluster"]


@pytest.fixture(scope="session", params=S3_TARGETS)
def s3_target(request):
    """Each S3 target in turn (module-scoped tests run once per target)."""
    return request.getfixturevalue(f"s3_{request.param}")

"""A real fdfs cluster for the compat tests: `fdfs tracker` and `fdfs storage`
processes on 127.0.0.x with free ports and temporary directories.

Layout: one tracker (127.0.0.10), group1 = 127.0.0.11 + 127.0.0.12,
group2 = 127.0.0.13. The binary comes from $FDFS_BIN, else the cargo target
directory's debug build.

The `s3_server` fixture instead spawns one all-in-one `fdfs server`
(s3_server.py) for the S3 clients (aws-cli, boto3).
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
    def __init__(self, tracker_args=()):
        self.tracker_args = list(tracker_args)
        self.dir = tempfile.mkdtemp(prefix="fdfs-compat-")
        self.bin = fdfs_bin()
        self.procs = []
        self.tracker = ("127.0.0.10", free_port("127.0.0.10"))
        self.storages = {}

    def spawn(self, name, args, ip, port):
        log = os.path.join(self.dir, f"{name}.log")
        proc = subprocess.Popen([self.bin, *args], stdout=open(log, "w"), stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        self.procs.append(proc)
        wait_listening(ip, port, proc, log)
        return proc

    def start(self):
        ip, port = self.tracker
        self.spawn("tracker", ["tracker", "--listen", f"{ip}:{port}", "--data",
                               os.path.join(self.dir, "tracker"), *RESERVE, *self.tracker_args],
                   ip, port)
        layout = {"group1": ["127.0.0.11", "127.0.0.12"], "group2": ["127.0.0.13"]}
        for group, ips in layout.items():
            port = common_free_port(ips)
            for ip in ips:
                self.storages[ip] = (group, port)
        for ip, (group, port) in self.storages.items():
            self.spawn(f"storage-{ip}", [
                "storage", "--listen", f"{ip}:{port}", "--group", group,
                "--tracker", f"{self.tracker[0]}:{self.tracker[1]}",
                "--data", os.path.join(self.dir, ip), "--heart-beat-interval", "1",
                "--stat-report-interval", "1", *RESERVE,
            ], ip, port)
        self.wait_active()

    def monitor(self):
        out = subprocess.run([self.bin, "monitor", "--tracker", f"{self.tracker[0]}:{self.tracker[1]}"],
                             capture_output=True, text=True)
        return out.stdout

    def wait_active(self, within=30.0):
        deadline = time.time() + within
        while time.time() < deadline:
            text = self.monitor()
            if text.count("ACTIVE") >= len(self.storages):
                return
            time.sleep(0.3)
        raise RuntimeError(f"storages not ACTIVE:\n{self.monitor()}")

    def stop(self):
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def running(tracker_args=()):
    c = Cluster(tracker_args)
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
    (`response_ip_addr_size = 46`), for clients built for FastDFS 6.11-6.12."""
    yield from running(["--response-ip-addr-size", "46"])


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

"""The fault suite's cluster: the S3Cluster layout (2 trackers, group1 =
127.0.0.11 + .12, group2 = .13, one gateway) with the hooks a fault needs.

- every process can be SIGKILLed, SIGSTOPped/SIGCONTed, SIGTERMed and
  started again with the arguments it first ran with (same data, same
  ports), its log appended to;
- group2's store path (M00 of 127.0.0.13) is a small tmpfs when running as
  root, so "a store path filled to its reserve" fills in seconds and never
  touches the shared disk (without root the fill fault skips, or fails in
  CI); the trackers keep a larger reserve than that storage, as a
  deployment should, so they stop placing files there before it refuses;
- a fourth storage (127.0.0.14) can join group1 later: a full sync;
- the trackers mark a silent storage OFFLINE after 5 s instead of 120, and
  the gateway bounds each storage read/write by 5 s instead of 30, so a
  frozen storage shows up as errors within a client's timeout rather than
  as minutes of stalls (the settings an operator who cares about failover
  time would pick);
- test-side views of the gateway's index (read-only SQLite): the files it
  references, the delete queue's length; `sweep()` runs
  `fdfs gateway sweep --grace-secs 0` (gateway stopped).
"""
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import time

from conftest import RESERVE, Cluster, wait_listening
from s3_cluster import S3Cluster

NEW_MEMBER = "127.0.0.14"
FILL_IP = "127.0.0.13"
FILL_MB = 48
# The storage refuses below 8 MiB free; the trackers stop placing files in
# its group below 16 MiB, so the gateway sends them elsewhere first.
FILL_RESERVE = "8M"
TRACKER_RESERVE = "16M"
GATEWAY_TOML = """\
[delete_queue]
idle_secs = 1
# The suite sweeps by hand (`sweep()`), with the gateway stopped.
orphan_sweep = false

[cluster]
connect_timeout_secs = 2
network_timeout_secs = 5
"""


class FaultCluster(S3Cluster):
    def __init__(self):
        super().__init__(tracker_args=["--check-active-interval", "5"], trackers=2)
        self.specs = {}
        self.stopped = set()
        self.fill_dir = os.path.join(self.dir, "fill-m00")
        self.fill_mounted = False

    # --- processes -------------------------------------------------------

    def start(self):
        if os.geteuid() == 0:
            os.makedirs(self.fill_dir)
            subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={FILL_MB}m", "tmpfs",
                            self.fill_dir], check=True)
            self.fill_mounted = True
        with open(os.path.join(self.dir, "gateway.toml"), "w") as f:
            f.write(GATEWAY_TOML)
        super().start()

    def spawn(self, name, args, ip, port, env=None):
        args = list(args)
        if name == "gateway":
            args += ["--config", os.path.join(self.dir, "gateway.toml")]
        if name.startswith("tracker-"):
            args[args.index(RESERVE[0]) + 1] = TRACKER_RESERVE
        if name == f"storage-{FILL_IP}" and self.fill_mounted:
            i = args.index(RESERVE[0])
            args[i + 1] = FILL_RESERVE
            args += ["--store-path", self.fill_dir]
        self.specs[name] = (args, ip, port, env)
        return super().spawn(name, args, ip, port, env)

    def process(self, name):
        return self.procs[self.names.index(name)]

    def signal(self, name, sig):
        self.process(name).send_signal(sig)
        if sig == signal.SIGSTOP:
            self.stopped.add(name)
        elif sig == signal.SIGCONT:
            self.stopped.discard(name)

    def kill(self, name):
        """SIGKILL, reaped."""
        p = self.process(name)
        p.kill()
        p.wait()

    def terminate(self, name):
        """SIGTERM; the process must exit 0 within 30 s."""
        p = self.process(name)
        p.terminate()
        code = p.wait(timeout=30)
        assert code == 0, f"{name} exited {code} on SIGTERM\n{self.tail(name)}"

    def restart(self, name):
        """Starts `name` again as it first ran, once it has exited."""
        args, ip, port, env = self.specs[name]
        i = self.names.index(name)
        assert self.procs[i].poll() is not None, f"{name} still running"
        log = self.log_path(name)
        with open(log, "a") as f:
            f.write(f"\n--- restarted at {time.strftime('%H:%M:%S')}\n")
        self.procs[i] = subprocess.Popen([self.bin, *args], stdout=open(log, "a"),
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         env=env)
        wait_listening(ip, port, self.procs[i], log)
        if name == "gateway":
            self.proc = self.procs[i]  # S3Cluster's wait_http watches it
            self.wait_http()

    def tail(self, name, lines=40):
        try:
            with open(self.log_path(name), errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def add_storage(self, ip, group):
        """A new member of `group` on the group's port (a full sync)."""
        port = next(p for g, p in self.storages.values() if g == group)
        self.storages[ip] = (group, port)
        self.spawn(f"storage-{ip}", [
            "storage", "--listen", f"{ip}:{port}", "--group", group, *self.tracker_flags(),
            "--data", os.path.join(self.dir, ip), "--heart-beat-interval", "1",
            "--stat-report-interval", "1", *RESERVE,
        ], ip, port)

    def disk_files(self, ip):
        """The file IDs on `ip`'s disk (M00, the only store path): what
        the storage really holds, whatever its binlog or index say."""
        group, _ = self.storages[ip]
        root = self.fill_dir if ip == FILL_IP and self.fill_mounted else os.path.join(self.dir, ip)
        out = set()
        base = os.path.join(root, "data")
        for xx in os.listdir(base) if os.path.isdir(base) else ():
            if len(xx) != 2 or not os.path.isdir(os.path.join(base, xx)):
                continue
            for yy in os.listdir(os.path.join(base, xx)):
                for name in os.listdir(os.path.join(base, xx, yy)):
                    if not name.endswith("-m") and not name.startswith("."):
                        out.add(f"{group}/M00/{xx}/{yy}/{name}")
        return out

    def live_trackers(self):
        return [t for t in self.trackers
                if self.process(f"tracker-{t[0]}").poll() is None
                and f"tracker-{t[0]}" not in self.stopped]

    def statuses(self, tracker):
        """{ip: status} of every storage `tracker` knows."""
        return dict(re.findall(r"ip_addr = (\S+)\s+(\S+)", self.monitor(tracker)))

    def wait_active(self, within=60.0):
        """Until every live tracker sees every storage ACTIVE."""
        deadline = time.time() + within
        for tracker in self.live_trackers():
            while True:
                seen = self.statuses(tracker)
                if all(seen.get(ip) == "ACTIVE" for ip in self.storages):
                    break
                if time.time() > deadline:
                    raise AssertionError(f"storages not ACTIVE on {tracker}: {seen}")
                time.sleep(0.3)

    def group_members(self, group):
        return [(ip, port) for ip, (g, port) in self.storages.items() if g == group]

    # --- the gateway's index, read-only ----------------------------------

    def index(self):
        return sqlite3.connect(f"file:{self.index_path}?mode=ro", uri=True, timeout=10)

    def referenced_files(self):
        with self.index() as db:
            return {r[0] for r in db.execute("SELECT file_id FROM files")}

    def object_files(self, bucket):
        """{key: file_id} of the bucket's single-file objects and
        {key: [part file_id]} of its multipart ones."""
        with self.index() as db:
            single = {k.decode(): f for k, f in db.execute(
                "SELECT o.key, o.file_id FROM objects o JOIN buckets b ON b.id = o.bucket_id "
                "WHERE b.name = ? AND o.file_id IS NOT NULL", (bucket,))}
            parts = {}
            for k, f in db.execute(
                    "SELECT o.key, p.file_id FROM objects o JOIN buckets b ON b.id = o.bucket_id "
                    "JOIN object_parts p ON p.object_id = o.id WHERE b.name = ? "
                    "ORDER BY o.id, p.idx", (bucket,)):
                parts.setdefault(k.decode(), []).append(f)
        return single, parts

    def queue_length(self):
        with self.index() as db:
            return db.execute("SELECT count(*) FROM delete_queue").fetchone()[0]

    def sweep(self):
        """`fdfs gateway sweep --grace-secs 0` (the gateway must be
        stopped): (scanned, unreferenced, orphans deleted)."""
        out = subprocess.run([self.bin, "gateway", "sweep", *self.tracker_flags_live(),
                              "--data", self.gateway_dir, "--grace-secs", "0"],
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, f"sweep failed:\n{out.stdout}\n{out.stderr}"
        m = re.search(r"swept (\d+) files: (\d+) unreferenced, (\d+) orphans deleted", out.stdout)
        assert m, out.stdout
        return tuple(int(x) for x in m.groups())

    def tracker_flags_live(self):
        return [a for ip, port in self.live_trackers() for a in ("--tracker", f"{ip}:{port}")]

    def stop(self):
        for name in list(self.stopped):
            self.signal(name, signal.SIGCONT)
        bad = Cluster.stop(self)
        if os.environ.get("FDFS_FAULT_LOGS"):  # keep every process's log for a post-mortem
            with open(os.environ["FDFS_FAULT_LOGS"], "w") as f:
                f.write(self.final_logs)
        if self.fill_mounted:
            subprocess.run(["umount", "-l", self.fill_dir], check=False)
            shutil.rmtree(self.dir, ignore_errors=True)
        assert not bad, f"did not exit 0 on SIGTERM: {bad}\n{self.logs()[-20000:]}"

#!/usr/bin/env python3
"""Benchmark: upload and download ops/s and MiB/s through a real cluster.

Starts a release-built tracker (127.0.0.10) and group1 with two storages
(127.0.0.11, .12, replicating to each other), then runs `fdfs bench upload`
and `fdfs bench download` at 4 KiB, 64 KiB, 1 MiB and 16 MiB with N clients,
and prints each storage's peak RSS (VmHWM) at the end.

    cargo build --release && python3 bench/storage_throughput.py [--clients 8] [--seconds 10]

Data lives in a temporary directory on the work disk; loopback only.
"""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

BIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "release", "fdfs")
SIZES = [4 << 10, 64 << 10, 1 << 20, 16 << 20]


def free_port(ips):
    while True:
        s = socket.socket()
        s.bind((ips[0], 0))
        port = s.getsockname()[1]
        s.close()
        try:
            for ip in ips:
                t = socket.socket()
                t.bind((ip, port))
                t.close()
            return port
        except OSError:
            continue


def wait_listening(addr):
    for _ in range(400):
        try:
            socket.create_connection(addr, timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {addr}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=int, default=10)
    args = ap.parse_args()
    base = tempfile.mkdtemp(prefix="fdfs-bench-storage-", dir=os.environ.get("BENCH_DIR"))
    procs = []
    try:
        tracker = ("127.0.0.10", free_port(["127.0.0.10"]))
        procs.append(subprocess.Popen(
            # A small absolute reserve: the default 20% of a large, busy disk
            # can leave the benchmark no room at all.
            [BIN, "tracker", "--listen", f"{tracker[0]}:{tracker[1]}", "--data", f"{base}/tracker",
             "--reserved-storage-space", "2G"],
            stderr=subprocess.DEVNULL))
        wait_listening(tracker)
        ips = ["127.0.0.11", "127.0.0.12"]
        port = free_port(ips)
        storages = {}
        for ip in ips:
            p = subprocess.Popen(
                [BIN, "storage", "--listen", f"{ip}:{port}", "--group", "group1",
                 "--tracker", f"{tracker[0]}:{tracker[1]}", "--data", f"{base}/{ip}",
                 "--heart-beat-interval", "1", "--stat-report-interval", "1",
                 "--reserved-storage-space", "2G"],
                stderr=subprocess.DEVNULL)
            procs.append(p)
            storages[ip] = p
            wait_listening((ip, port))
        deadline = time.time() + 60
        while True:
            out = subprocess.run([BIN, "monitor", "--tracker", f"{tracker[0]}:{tracker[1]}"],
                                 capture_output=True, text=True).stdout
            if out.count("ACTIVE") >= 2:
                break
            if time.time() > deadline:
                raise RuntimeError(out)
            time.sleep(0.5)
        for size in SIZES:
            for workload in ["upload", "download"]:
                extra = ["--files", "16"] if workload == "download" else []
                out = subprocess.run(
                    [BIN, "bench", "--tracker", f"{tracker[0]}:{tracker[1]}", "--clients",
                     str(args.clients), "--seconds", str(args.seconds), workload, "--size", str(size),
                     *extra],
                    capture_output=True, text=True)
                print(out.stdout.strip() or out.stderr.strip()[-500:], flush=True)
        for ip, p in storages.items():
            status = open(f"/proc/{p.pid}/status").read()
            hwm = status.split("VmHWM:")[1].split("\n")[0].strip()
            print(f"storage {ip} peak RSS: {hwm}")
        return 0
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=15)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

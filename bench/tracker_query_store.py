#!/usr/bin/env python3
"""Benchmark: QUERY_STORE requests per second on one `fdfs tracker`.

Starts a release-built tracker on 127.0.0.10, registers three storages
(group1: 127.0.0.2 and .3, group2: 127.0.0.4) by speaking the storage side of
the tracker protocol (JOIN, SYNC_DEST_REQ, SYNC_NOTIFY, BEAT, DISK_USAGE) and
keeps them beating, then runs `fdfs bench query-store` with N clients.

    cargo build --release && python3 bench/tracker_query_store.py [--clients 64] [--seconds 10]

Prints the bench line (ops/s, latency quantiles). Loopback only.
"""
import argparse
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

BIN = os.path.join(os.path.dirname(__file__), "..", "target", "release", "fdfs")


def free_port(ip):
    s = socket.socket()
    s.bind((ip, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def call(sock, cmd, body=b""):
    sock.sendall(struct.pack(">qBB", len(body), cmd, 0) + body)
    head = recv_exact(sock, 10)
    length, _, status = struct.unpack(">qBB", head)
    data = recv_exact(sock, length)
    if status != 0:
        raise RuntimeError(f"cmd {cmd} answered status {status}")
    return data


def recv_exact(sock, n):
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise RuntimeError("connection closed")
        out += chunk
    return out


def pad(s, n):
    return s.encode().ljust(n, b"\0")[:n]


def join_body(group, port, tracker):
    now = int(time.time())
    body = pad(group, 17)
    body += struct.pack(">qqqqqq", port, 1, 256, 10, now, now)
    body += pad("6.16.1", 8) + bytes([1, 0]) + pad("", 16) + pad(tracker[0], 46)
    body += struct.pack(">q", 1) + f"{tracker[0]}:{tracker[1]}\n".encode()
    return body


def storage(ip, group, tracker, stop):
    sock = socket.socket()
    sock.bind((ip, 0))
    sock.connect(tracker)
    call(sock, 81, join_body(group, 23000, tracker))
    src = call(sock, 87)
    call(sock, 88, src if src else pad("", 16) + struct.pack(">q", 0))
    while not stop.is_set():
        call(sock, 83)
        call(sock, 84, struct.pack(">qq", 1_000_000, 800_000))
        stop.wait(1.0)
    sock.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--seconds", type=int, default=10)
    args = ap.parse_args()
    ip = "127.0.0.10"
    tracker = (ip, free_port(ip))
    data = tempfile.mkdtemp(prefix="fdfs-bench-tracker-")
    proc = subprocess.Popen(
        [BIN, "tracker", "--listen", f"{ip}:{tracker[1]}", "--data", data],
        stderr=subprocess.DEVNULL,
    )
    stop = threading.Event()
    try:
        for _ in range(100):
            try:
                socket.create_connection(tracker, timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        threads = [
            threading.Thread(target=storage, args=(sip, group, tracker, stop), daemon=True)
            for sip, group in [("127.0.0.2", "group1"), ("127.0.0.3", "group1"), ("127.0.0.4", "group2")]
        ]
        for t in threads:
            t.start()
            time.sleep(0.3)
        time.sleep(1.5)
        out = subprocess.run(
            [BIN, "bench", "--tracker", f"{ip}:{tracker[1]}", "--clients", str(args.clients),
             "--seconds", str(args.seconds), "query-store"],
            capture_output=True, text=True,
        )
        sys.stdout.write(out.stdout)
        sys.stderr.write(out.stderr[-2000:])
        rss = open(f"/proc/{proc.pid}/status").read().split("VmHWM:")[1].split("\n")[0].strip()
        print(f"tracker peak RSS: {rss}")
        return out.returncode
    finally:
        stop.set()
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())

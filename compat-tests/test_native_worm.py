"""Retention down to the disk, seen by a real Python FastDFS client: once a
file's tags carry an S3 legal hold (`s3-legal-hold = ON`), py3fdfs's delete,
append and truncate are refused with status 1 (EPERM) and the bytes stay,
on the source and on its group peer — the cluster's storages have no
`lock_admin_hosts`, so nobody may lift the hold.

py3fdfs cannot send metadata under Python 3 (see test_py3fdfs.py), so the
hold is set with a raw SET_METADATA, as the S3 gateway sets it.
"""
import struct
import time

import pytest
from fdfs_client.client import Fdfs_client

from test_py3fdfs import exchange, file_id, raw_download

SET_METADATA, DELETE_FILE = 13, 12


@pytest.fixture(scope="module")
def client(cluster):
    ip, port = cluster.tracker
    return Fdfs_client({"host_tuple": (ip,), "port": port, "timeout": 30, "name": "Tracker Pool"})


def hold(ip, port, group, remote):
    """SET_METADATA (13), merge: add the legal hold."""
    meta = b"s3-legal-hold\x02ON"
    head = struct.pack(">qqc16s", len(remote), len(meta), b"M", group)
    status, _ = exchange(ip, port, SET_METADATA, head + remote + meta)
    assert status == 0


def storage_of(res, cluster):
    ip = res["Storage IP"]
    ip = ip.decode() if isinstance(ip, bytes) else ip
    return ip, cluster.storages[ip][1]


def test_a_held_file_outlives_py3fdfs(client, cluster):
    data = b"kept by a legal hold\n" * 200
    res = client.upload_by_buffer(data, "txt")
    fid = file_id(res)
    group, remote = fid.split(b"/", 1)
    ip, port = storage_of(res, cluster)
    hold(ip, port, group, remote)
    with pytest.raises(Exception, match=r"Error: 1,"):
        client.delete_file(fid)
    # Straight to the storage: status 1 and an empty body.
    assert exchange(ip, port, DELETE_FILE, struct.pack(">16s", group) + remote) == (1, b"")
    assert client.download_to_buffer(fid)["Content"] == data
    # The peer got the file and its hold, and refuses as well.
    peers = [p for p, (g, _) in cluster.storages.items() if g == group.decode() and p != ip]
    for peer in peers:
        peer_port = cluster.storages[peer][1]
        deadline = time.time() + 20
        while True:
            status, _ = exchange(peer, peer_port, 15, struct.pack(">16s", group) + remote)
            if status == 0:
                break
            assert time.time() < deadline, f"hold not replicated to {peer}: {status}"
            time.sleep(0.1)
        assert raw_download(peer, peer_port, group, remote) == data
        status, body = exchange(peer, peer_port, DELETE_FILE, struct.pack(">16s", group) + remote)
        assert (status, body) == (1, b"")


def test_a_held_appender_is_not_changed(client, cluster):
    res = client.upload_appender_by_buffer(b"0123456789", "log")
    fid = file_id(res)
    group, remote = fid.split(b"/", 1)
    ip, port = storage_of(res, cluster)
    hold(ip, port, group, remote)
    with pytest.raises(Exception):
        client.append_by_buffer(b"more", fid)
    with pytest.raises(Exception):
        client.truncate_file(2, fid)
    assert client.download_to_buffer(fid)["Content"] == b"0123456789"

"""The PyPI FastDFS client `fastdfs-client` against a real fdfs cluster: every
operation it offers round-trips, and uploads replicate inside the group.

fastdfs-client 1.3.0 implements the FastDFS 6.11-6.12 layouts (45-byte IP
fields in query replies), so its cluster runs with
`response_ip_addr_size = 46`, as a FastDFS 6.15+ cluster serving such
clients would. Its monitoring calls parse the pre-6.13 group/storage records
(105-byte groups), which FastDFS 6.15+ no longer sends either, and under
Python 3 its metadata, append/modify/truncate and slave calls fail inside
the library before sending anything (str values packed with struct's "c"
and "s"; slave uploads carry no prefix). What it can do — upload, download
with ranges, delete — is tested here; the rest is covered by py3fdfs, the
`fastdfs` crate and fdfs's own client."""
import time

import pytest
from fastdfs_client import FastdfsClient
from fastdfs_client.client import Config
from fastdfs_client.protols import StorageServer
from fastdfs_client.storage_client import StorageClient


@pytest.fixture(scope="module")
def cluster(cluster_wide_ip):
    return cluster_wide_ip


@pytest.fixture(scope="module")
def client(cluster):
    ip, port = cluster.tracker
    return FastdfsClient(trackers=Config.create((ip,), port), ssl=False)


def test_upload_download_delete(client):
    data = b"hello from the fastdfs-client package\n" * 100
    res = client.upload_by_buffer(data, "txt")
    file_id = res["Remote file_id"]
    assert file_id.startswith(("group1/M00/", "group2/M00/"))
    assert file_id.endswith(".txt")
    assert client.download_to_buffer(file_id)["Content"] == data
    part = client.download_to_buffer(file_id, offset=10, down_bytes=20)["Content"]
    assert part == data[10:30]
    client.delete_file(file_id)
    with pytest.raises(Exception):
        client.download_to_buffer(file_id)


def test_upload_replicates_to_the_peer(client, cluster):
    data = b"replicate me" * 1000
    res = client.upload_by_buffer(data, "dat")
    group, remote = res["Remote file_id"].split("/", 1)
    if group != "group1":
        pytest.skip("landed in group2, which has no peer")
    peers = [ip for ip, (g, _) in cluster.storages.items() if g == "group1" and ip != res["Storage IP"]]
    peer_ip = peers[0]
    port = cluster.storages[peer_ip][1]
    deadline = time.time() + 10
    while True:
        try:
            target = StorageServer()
            target.ip_addr, target.port, target.group_name = peer_ip, port, group.encode()
            store = StorageClient(peer_ip, port, 10)
            got = store.storage_download_to_buffer(None, target, None, 0, 0, remote)
            break
        except Exception:
            if time.time() > deadline:
                raise
            time.sleep(0.2)
    assert got["Content"] == data

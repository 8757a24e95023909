"""FastDFS clients and S3 clients on the same cluster.

- A file uploaded through the tracker with a PyPI FastDFS client is
  readable over S3 in its group's bucket: bucket `group1` (or `group2`),
  key = the file ID without the group. The gateway serves such group
  buckets read-only.
- An object put over S3 downloads by its file ID with the native client.
  The gateway does not tell S3 clients an object's file ID, so the tests
  read it from the gateway's index (S3Cluster.file_id: the SQLite file
  opened read-only) — a test-side lookup, not something users rely on.

py3fdfs runs against the 2-tracker cluster (s3_cluster); fastdfs-client
1.3.0 needs 45-byte IP fields, so it runs against `cluster_wide_ip`, which
has a gateway too (see test_fastdfs_client.py for what else it cannot do
under Python 3).
"""
import hashlib
import os

import pytest
from botocore.exceptions import ClientError
from fastdfs_client import FastdfsClient
from fastdfs_client.client import Config
from fdfs_client.client import Fdfs_client

BUCKET = "cross-fastdfs"


def s3_key(file_id):
    """(bucket, key) of a FastDFS file in its group bucket."""
    group, key = file_id.split("/", 1)
    return group, key


@pytest.fixture(scope="module")
def py3fdfs(s3_cluster):
    ip, port = s3_cluster.tracker
    return Fdfs_client({"host_tuple": (ip,), "port": port, "timeout": 30, "name": "Tracker Pool"})


@pytest.fixture(scope="module")
def s3(s3_cluster):
    client = s3_cluster.boto3_client()
    client.create_bucket(Bucket=BUCKET)
    yield client
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for o in page.get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=o["Key"])
    client.delete_bucket(Bucket=BUCKET)


def test_py3fdfs_upload_reads_over_s3(py3fdfs, s3):
    data = os.urandom(300_000)
    file_id = py3fdfs.upload_by_buffer(data, "bin")["Remote file_id"].decode()
    bucket, key = s3_key(file_id)
    got = s3.get_object(Bucket=bucket, Key=key)
    assert got["Body"].read() == data
    assert got["ContentLength"] == len(data)
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ContentLength"] == len(data)
    part = s3.get_object(Bucket=bucket, Key=key, Range="bytes=1000-1999")["Body"].read()
    assert part == data[1000:2000]
    # An appender file too, after an append.
    log_id = py3fdfs.upload_appender_by_buffer(b"first line\n", "log")["Remote file_id"]
    py3fdfs.append_by_buffer(b"second line\n", log_id)
    bucket, key = s3_key(log_id.decode())
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"first line\nsecond line\n"


def test_group_bucket_is_read_only(py3fdfs, s3):
    file_id = py3fdfs.upload_by_buffer(b"keep me", "txt")["Remote file_id"].decode()
    bucket, key = s3_key(file_id)
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key=key, Body=b"overwrite")
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=bucket, Key=key)
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"keep me"


def test_s3_put_downloads_with_py3fdfs(py3fdfs, s3, s3_cluster):
    data = os.urandom(200_000)
    s3.put_object(Bucket=BUCKET, Key="dir/from-s3.bin", Body=data)
    file_id = s3_cluster.file_id(BUCKET, "dir/from-s3.bin")
    got = py3fdfs.download_to_buffer(file_id.encode())["Content"]
    assert hashlib.sha256(got).hexdigest() == hashlib.sha256(data).hexdigest()
    # And over S3 through its group bucket as well.
    bucket, key = s3_key(file_id)
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == data


@pytest.fixture(scope="module")
def wide(cluster_wide_ip):
    """fastdfs-client and boto3 on the 45-byte-IP cluster and its gateway."""
    ip, port = cluster_wide_ip.tracker
    native = FastdfsClient(trackers=Config.create((ip,), port), ssl=False)
    s3 = cluster_wide_ip.boto3_client()
    s3.create_bucket(Bucket=BUCKET)
    yield native, s3, cluster_wide_ip
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for o in page.get("Contents", []):
            s3.delete_object(Bucket=BUCKET, Key=o["Key"])
    s3.delete_bucket(Bucket=BUCKET)


def test_fastdfs_client_upload_reads_over_s3(wide):
    native, s3, _ = wide
    data = b"from the fastdfs-client package\n" * 5000
    file_id = native.upload_by_buffer(data, "txt")["Remote file_id"]
    bucket, key = s3_key(file_id)
    got = s3.get_object(Bucket=bucket, Key=key)
    assert got["Body"].read() == data
    assert got["ContentType"].startswith("text/plain")


def test_s3_put_downloads_with_fastdfs_client(wide):
    native, s3, cluster = wide
    data = os.urandom(100_000)
    s3.put_object(Bucket=BUCKET, Key="for-fastdfs-client", Body=data)
    file_id = cluster.file_id(BUCKET, "for-fastdfs-client")
    assert native.download_to_buffer(file_id)["Content"] == data
    part = native.download_to_buffer(file_id, offset=100, down_bytes=50)["Content"]
    assert part == data[100:150]

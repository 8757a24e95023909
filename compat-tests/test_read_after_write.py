"""Read-after-write through the multi-process cluster (s3_cluster.py).

A bucket pinned to group1 has two storages; replication to the peer
follows the upload asynchronously, and the tracker routes downloads round
robin among the storages it believes hold the file. An object written and
read back at once must still give the new bytes, whichever storage the
tracker names: the gateway's GET asks the tracker (QUERY_FETCH_ONE), so
the tests also ask every tracker which storages it would name
(QUERY_FETCH_ALL) and read the file from each of them directly.
"""
import hashlib
import os

import pytest

from s3_cluster import raw_download

BUCKET = "raw-group1"
ROUNDS = 50


@pytest.fixture(scope="module")
def s3(s3_cluster):
    client = s3_cluster.boto3_client()
    client.create_bucket(Bucket=BUCKET,
                         CreateBucketConfiguration={"LocationConstraint": "group1"})
    yield client
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for o in page.get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=o["Key"])
    client.delete_bucket(Bucket=BUCKET)


def payload(i):
    """Different bytes (and sizes) each round."""
    return os.urandom(1000 + 997 * i)


def test_overwrite_then_read_at_once(s3):
    for i in range(ROUNDS):
        data = payload(i)
        s3.put_object(Bucket=BUCKET, Key="same-key", Body=data)
        got = s3.get_object(Bucket=BUCKET, Key="same-key")["Body"].read()
        assert got == data, f"round {i}: GET after overwrite returned other bytes"
        head = s3.head_object(Bucket=BUCKET, Key="same-key")
        assert head["ContentLength"] == len(data)
        assert head["ETag"].strip('"') == hashlib.md5(data).hexdigest()


def test_every_storage_the_tracker_names_has_the_new_file(s3, s3_cluster):
    """Right after each PUT: every storage either tracker would name for the
    new file serves its bytes, and so does the gateway; older files are read
    again too, once the peer may have been named for them."""
    group1 = {ip for ip, (g, _) in s3_cluster.storages.items() if g == "group1"}

    def check_named(file_id, data):
        for tracker in s3_cluster.trackers:
            for ip, port in s3_cluster.fetch_all(file_id, tracker):
                assert ip in group1, (file_id, ip)
                assert raw_download(ip, port, file_id) == data, \
                    f"{ip} named by {tracker} for {file_id} but does not serve it yet"

    written = []
    for i in range(ROUNDS):
        key, data = f"k{i}", payload(i)
        s3.put_object(Bucket=BUCKET, Key=key, Body=data)
        file_id = s3_cluster.file_id(BUCKET, key)
        assert file_id.startswith("group1/"), file_id
        check_named(file_id, data)
        assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == data
        written.append((key, file_id, data))
    # The earlier files again, now that the peer may be named for them.
    for key, file_id, data in written:
        check_named(file_id, data)
        assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == data

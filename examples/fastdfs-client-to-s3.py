#!/usr/bin/env python3
"""A file uploaded with a FastDFS client (PyPI `py3fdfs`, through the
tracker) read back over S3: the group's bucket serves its files by file ID,
with no migration.

How to run it:

    cargo run --release -- server          # prints the access key pair once
    pip install boto3 py3fdfs==2.2.0
    export FDFS_ACCESS_KEY_ID=...  FDFS_SECRET_ACCESS_KEY=...   # as printed
    python3 examples/fastdfs-client-to-s3.py

`fdfs server`'s tracker listens on 127.0.0.1:22122 and its S3 gateway on
http://127.0.0.1:9000; FDFS_TRACKER / `--tracker IP:PORT` and
FDFS_S3_ENDPOINT / `--endpoint URL` point elsewhere.

The mapping: file ID `group1/M00/00/00/wKgB....txt` is bucket `group1`, key
`M00/00/00/wKgB....txt`. A group bucket is read-only (GET and HEAD; writes
are AccessDenied) and cannot be listed. Its ETag is `<crc32>-<size>`, the
tag the storage's own HTTP server gives, not an MD5.

py3fdfs 2.2.0 under Python 3: its config loader wants a file, so the tracker
dict is built here; file IDs go in and come out as bytes; metadata
(set_meta_data / get_meta_data) and ranged downloads are broken inside the
library, so this example uses neither.
"""
import argparse
import os
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from fdfs_client.client import Fdfs_client


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracker", default=os.environ.get("FDFS_TRACKER", "127.0.0.1:22122"))
    parser.add_argument("--endpoint",
                        default=os.environ.get("FDFS_S3_ENDPOINT", "http://127.0.0.1:9000"))
    args = parser.parse_args()
    key_id = os.environ.get("FDFS_ACCESS_KEY_ID")
    secret = os.environ.get("FDFS_SECRET_ACCESS_KEY")
    if not key_id or not secret:
        sys.exit("set FDFS_ACCESS_KEY_ID and FDFS_SECRET_ACCESS_KEY (fdfs server prints them)")

    # The FastDFS side: upload through the tracker, as an existing
    # application would.
    ip, port = args.tracker.rsplit(":", 1)
    fdfs = Fdfs_client({"host_tuple": (ip,), "port": int(port), "timeout": 30,
                        "name": "Tracker Pool"})
    data = b"uploaded with py3fdfs, read over S3\n" * 100
    res = fdfs.upload_by_buffer(data, "txt")
    file_id = res["Remote file_id"].decode()  # bytes in py3fdfs
    storage = res["Storage IP"]
    storage = storage.decode() if isinstance(storage, bytes) else storage
    print(f"py3fdfs upload: {file_id} ({len(data)} bytes) on storage {storage}")

    # The S3 side: bucket = group, key = the rest of the file ID.
    s3 = boto3.client("s3", endpoint_url=args.endpoint, region_name="us-east-1",
                      aws_access_key_id=key_id, aws_secret_access_key=secret,
                      config=Config(s3={"addressing_style": "path"}))
    bucket, key = file_id.split("/", 1)
    got = s3.get_object(Bucket=bucket, Key=key)
    body = got["Body"].read()
    print(f"S3 GET s3://{bucket}/{key}: {len(body)} bytes, ETag {got['ETag']}, "
          f"Content-Type {got['ContentType']}")
    if body != data:
        sys.exit("the bytes read over S3 differ from the upload")
    part = s3.get_object(Bucket=bucket, Key=key, Range="bytes=0-31")["Body"].read()
    print(f"S3 ranged GET bytes=0-31: {part!r}")

    # Group buckets are read-only.
    try:
        s3.put_object(Bucket=bucket, Key="not-allowed.txt", Body=b"x")
    except ClientError as err:
        print(f"S3 PUT into the group bucket: {err.response['Error']['Code']} (read-only)")

    # Deleted through FastDFS: gone over S3 too.
    fdfs.delete_file(file_id.encode())
    try:
        s3.head_object(Bucket=bucket, Key=key)
        sys.exit("the deleted file is still readable over S3")
    except ClientError as err:
        print(f"after py3fdfs delete_file, S3 HEAD: {err.response['Error']['Code']}")


if __name__ == "__main__":
    main()

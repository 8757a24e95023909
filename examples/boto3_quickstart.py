#!/usr/bin/env python3
"""boto3 against fdfs's S3 gateway: a bucket, put, get, list, a multipart
upload_file, a presigned URL, and clean-up.

How to run it:

    cargo run --release -- server          # prints the access key pair once
    pip install boto3
    export FDFS_ACCESS_KEY_ID=...  FDFS_SECRET_ACCESS_KEY=...   # as printed
    python3 examples/boto3_quickstart.py

`fdfs server` reads the same two variables: set them before its first start
and it uses that pair instead of making one. The endpoint is
http://127.0.0.1:9000 unless FDFS_S3_ENDPOINT or `--endpoint URL` says
otherwise; `--bucket NAME` picks the bucket (default boto3-quickstart).
boto3 runs with its default settings; only the endpoint, region and
path-style addressing are set.
"""
import argparse
import hashlib
import os
import sys
import tempfile
import urllib.request

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

MiB = 1024 * 1024


def client(endpoint):
    key_id = os.environ.get("FDFS_ACCESS_KEY_ID")
    secret = os.environ.get("FDFS_SECRET_ACCESS_KEY")
    if not key_id or not secret:
        sys.exit("set FDFS_ACCESS_KEY_ID and FDFS_SECRET_ACCESS_KEY (fdfs server prints them)")
    return boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id=key_id, aws_secret_access_key=secret,
        config=Config(s3={"addressing_style": "path"}),
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint",
                        default=os.environ.get("FDFS_S3_ENDPOINT", "http://127.0.0.1:9000"))
    parser.add_argument("--bucket", default="boto3-quickstart")
    args = parser.parse_args()
    s3 = client(args.endpoint)
    bucket = args.bucket

    # A bucket. With CreateBucketConfiguration={"LocationConstraint": "group1"}
    # it would live in FastDFS group1; without, the tracker picks a group.
    s3.create_bucket(Bucket=bucket)
    print(f"created bucket {bucket}")

    # Put and get, with user metadata.
    s3.put_object(Bucket=bucket, Key="hello.txt", Body=b"hello from boto3\n",
                  ContentType="text/plain", Metadata={"author": "quickstart"})
    got = s3.get_object(Bucket=bucket, Key="hello.txt")
    print(f"get hello.txt: {got['Body'].read()!r} metadata={got['Metadata']} "
          f"etag={got['ETag']}")

    # upload_file switches to a multipart upload above the threshold: 20 MiB
    # in 8 MiB parts here. download_file reads it back with ranged GETs.
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "big.bin")
        with open(src, "wb") as f:
            f.write(os.urandom(20 * MiB))
        config = TransferConfig(multipart_threshold=8 * MiB, multipart_chunksize=8 * MiB)
        s3.upload_file(src, bucket, "big/big.bin", Config=config)
        head = s3.head_object(Bucket=bucket, Key="big/big.bin")
        print(f"upload_file big/big.bin: {head['ContentLength']} bytes, etag {head['ETag']}")
        dst = os.path.join(tmp, "back.bin")
        s3.download_file(bucket, "big/big.bin", dst, Config=config)
        same = sha256(src) == sha256(dst)
        print(f"download_file big/big.bin: sha256 {'matches' if same else 'DIFFERS'}")
        if not same:
            sys.exit(1)

    # Listing: one page per 1,000 keys; the paginator follows the tokens.
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            print(f"list: {obj['Key']} {obj['Size']} bytes")

    # A presigned URL: anyone holding it may GET the object for 5 minutes.
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "hello.txt"},
                                    ExpiresIn=300)
    with urllib.request.urlopen(url, timeout=10) as resp:
        print(f"presigned GET: {resp.status} {resp.read()!r}")

    # Clean-up: delete the objects in one batch, then the bucket.
    keys = [{"Key": o["Key"]} for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket) for o in page.get("Contents", [])]
    s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})
    s3.delete_bucket(Bucket=bucket)
    print(f"deleted {len(keys)} objects and bucket {bucket}")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(MiB), b""):
            h.update(block)
    return h.hexdigest()


if __name__ == "__main__":
    main()

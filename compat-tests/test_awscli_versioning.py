"""Versioning through the clients users run, against each S3 target:
aws-cli's `s3api put-bucket-versioning`, `get-bucket-versioning`,
`list-object-versions`, get-object/head-object/delete-object with
`--version-id`, delete markers (404 / 405 with `x-amz-delete-marker`), and
boto3's paginator over `list_object_versions` and `delete_objects` with
version IDs (which empties a versioned bucket, as backup tools do).
"""
import json

import pytest
from botocore.exceptions import ClientError

from s3_helpers import aws_runner, empty_and_delete_bucket

BUCKET = "awscli-versioning"


@pytest.fixture(scope="module")
def aws(s3_target, tmp_path_factory):
    return aws_runner(s3_target.endpoint, tmp_path_factory.mktemp("aws-home"))


def api(aws, *command, check=True):
    out = aws("s3api", *command, "--output", "json", check=check)
    if not check:
        return out
    return json.loads(out.stdout) if out.stdout.strip() else {}


def test_versions_with_awscli_and_boto3(aws, s3_target, tmp_path):
    api(aws, "create-bucket", "--bucket", BUCKET)
    assert api(aws, "get-bucket-versioning", "--bucket", BUCKET).get("Status") is None
    api(aws, "put-bucket-versioning", "--bucket", BUCKET,
        "--versioning-configuration", "Status=Enabled")
    assert api(aws, "get-bucket-versioning", "--bucket", BUCKET)["Status"] == "Enabled"

    ids = []
    for n, text in enumerate([b"first", b"second"]):
        body = tmp_path / f"body{n}"
        body.write_bytes(text)
        out = api(aws, "put-object", "--bucket", BUCKET, "--key", "doc.txt", "--body", str(body))
        ids.append(out["VersionId"])
    assert ids[0] != ids[1]

    # get-object by version writes that version's bytes.
    target = tmp_path / "out"
    got = api(aws, "get-object", "--bucket", BUCKET, "--key", "doc.txt",
              "--version-id", ids[0], str(target))
    assert got["VersionId"] == ids[0] and target.read_bytes() == b"first"
    head = api(aws, "head-object", "--bucket", BUCKET, "--key", "doc.txt")
    assert head["VersionId"] == ids[1]

    # A delete makes a marker; the key reads as deleted, old versions stay.
    deleted = api(aws, "delete-object", "--bucket", BUCKET, "--key", "doc.txt")
    assert deleted["DeleteMarker"] is True
    marker = deleted["VersionId"]
    missing = api(aws, "get-object", "--bucket", BUCKET, "--key", "doc.txt", str(target),
                  check=False)
    assert missing.returncode in (254, 255) and "NoSuchKey" in missing.stderr, missing.stderr
    listed = api(aws, "list-object-versions", "--bucket", BUCKET)
    assert [(v["VersionId"], v["IsLatest"]) for v in listed["Versions"]] == \
        [(ids[1], False), (ids[0], False)]
    assert [(m["VersionId"], m["IsLatest"]) for m in listed["DeleteMarkers"]] == [(marker, True)]
    current = api(aws, "list-objects-v2", "--bucket", BUCKET)
    assert not current.get("Contents")

    # boto3: the marker's headers, 405 by its version ID, and the undelete.
    s3 = s3_target.boto3_client()
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=BUCKET, Key="doc.txt")
    headers = err.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert headers.get("x-amz-delete-marker") == "true"
    assert headers.get("x-amz-version-id") == marker
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=BUCKET, Key="doc.txt", VersionId=marker)
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 405
    s3.delete_object(Bucket=BUCKET, Key="doc.txt", VersionId=marker)
    assert s3.get_object(Bucket=BUCKET, Key="doc.txt")["Body"].read() == b"second"

    # Paging with boto3's paginator (KeyMarker / VersionIdMarker) over
    # several keys and versions, then emptying the bucket by version.
    for i in range(7):
        s3.put_object(Bucket=BUCKET, Key=f"many/{i}", Body=b"a")
        s3.put_object(Bucket=BUCKET, Key=f"many/{i}", Body=b"b")
    pages = s3.get_paginator("list_object_versions").paginate(
        Bucket=BUCKET, PaginationConfig={"PageSize": 3})
    every = [(v["Key"], v["VersionId"]) for p in pages for v in p.get("Versions", [])]
    assert len(every) == 2 + 14 and len(set(every)) == len(every)
    assert [k for k, _ in every] == sorted(k for k, _ in every)
    out = s3.delete_objects(Bucket=BUCKET, Delete={
        "Objects": [{"Key": k, "VersionId": v} for k, v in every]})
    assert not out.get("Errors") and len(out["Deleted"]) == len(every)
    assert not s3.list_object_versions(Bucket=BUCKET).get("Versions")
    api(aws, "delete-bucket", "--bucket", BUCKET)


def test_suspend_and_mfa_delete(aws, s3_target):
    bucket = BUCKET + "-s"
    s3 = s3_target.boto3_client()
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    kept = s3.put_object(Bucket=bucket, Key="k", Body=b"versioned")["VersionId"]
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"
    assert s3.put_object(Bucket=bucket, Key="k", Body=b"x")["VersionId"] == "null"
    assert s3.put_object(Bucket=bucket, Key="k", Body=b"y")["VersionId"] == "null"
    versions = s3.list_object_versions(Bucket=bucket)["Versions"]
    assert [(v["VersionId"], v["IsLatest"]) for v in versions] == [("null", True), (kept, False)]
    refused = api(aws, "put-bucket-versioning", "--bucket", bucket, "--versioning-configuration",
                  "Status=Enabled,MFADelete=Enabled", "--mfa", "SERIAL 123456", check=False)
    assert refused.returncode in (254, 255) and "NotImplemented" in refused.stderr, refused.stderr
    s3.delete_object(Bucket=bucket, Key="gone")
    # The shared helper empties a versioned bucket (versions and markers).
    empty_and_delete_bucket(s3, bucket)

"""boto3 conditional writes against each S3 target (issue 10, points 2
and 3): put_object(IfNoneMatch="*") and IfMatch, the same on
complete_multipart_upload and copy_object's destination, delete_object
IfMatch, the per-object ETag of delete_objects, two racing conditional
PUTs (exactly one wins), a completion retried after its reply was lost
(200, same ETag) and unknown upload IDs (404 NoSuchUpload).
"""
import concurrent.futures
import hashlib

import pytest
from botocore.exceptions import ClientError

from s3_helpers import empty_and_delete_bucket

BUCKET = "boto3-conditional"


@pytest.fixture(scope="module")
def s3(s3_target):
    client = s3_target.boto3_client()
    client.create_bucket(Bucket=BUCKET)
    yield client
    empty_and_delete_bucket(client, BUCKET)


def error(call, *args, **kwargs):
    """(code, HTTP status) of a call that must fail."""
    with pytest.raises(ClientError) as err:
        call(*args, **kwargs)
    resp = err.value.response
    return resp["Error"]["Code"], resp["ResponseMetadata"]["HTTPStatusCode"]


def etag(data):
    return '"%s"' % hashlib.md5(data).hexdigest()


def get(s3, key):
    return s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def test_put_if_none_match_and_if_match(s3):
    s3.put_object(Bucket=BUCKET, Key="p", Body=b"one", IfNoneMatch="*")
    assert error(s3.put_object, Bucket=BUCKET, Key="p", Body=b"two",
                 IfNoneMatch="*") == ("PreconditionFailed", 412)
    assert get(s3, "p") == b"one"
    s3.put_object(Bucket=BUCKET, Key="p", Body=b"two", IfMatch=etag(b"one"))
    assert error(s3.put_object, Bucket=BUCKET, Key="p", Body=b"three",
                 IfMatch=etag(b"one")) == ("PreconditionFailed", 412)
    assert error(s3.put_object, Bucket=BUCKET, Key="p-missing", Body=b"x",
                 IfMatch=etag(b"one")) == ("NoSuchKey", 404)
    assert get(s3, "p") == b"two"
    # If-None-Match takes only "*" on a write.
    assert error(s3.put_object, Bucket=BUCKET, Key="p", Body=b"x",
                 IfNoneMatch=etag(b"two")) == ("NotImplemented", 501)


def test_racing_conditional_puts_one_wins(s3):
    bodies = [bytes([i]) * (2 * 1024 * 1024) for i in range(1, 5)]

    def put(body):
        try:
            s3.put_object(Bucket=BUCKET, Key="race", Body=body, IfNoneMatch="*")
            return body
        except ClientError as e:
            code = e.response["Error"]["Code"]
            assert code in ("PreconditionFailed", "ConditionalRequestConflict"), code
            return None

    with concurrent.futures.ThreadPoolExecutor(len(bodies)) as pool:
        won = [b for b in pool.map(put, bodies) if b is not None]
    assert len(won) == 1
    assert get(s3, "race") == won[0]


def one_part_upload(s3, key, data):
    upload_id = s3.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
    part = s3.upload_part(Bucket=BUCKET, Key=key, UploadId=upload_id, PartNumber=1, Body=data)
    parts = {"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]}
    return upload_id, parts


def test_complete_conditions_and_retries(s3):
    s3.put_object(Bucket=BUCKET, Key="m", Body=b"old")
    upload_id, parts = one_part_upload(s3, "m", b"multipart")
    assert error(s3.complete_multipart_upload, Bucket=BUCKET, Key="m", UploadId=upload_id,
                 MultipartUpload=parts, IfNoneMatch="*") == ("PreconditionFailed", 412)
    assert get(s3, "m") == b"old"
    first = s3.complete_multipart_upload(Bucket=BUCKET, Key="m", UploadId=upload_id,
                                         MultipartUpload=parts, IfMatch=etag(b"old"))
    # A retry after a lost reply: 200 and the same ETag, If-None-Match or not.
    for extra in ({}, {"IfNoneMatch": "*"}):
        again = s3.complete_multipart_upload(Bucket=BUCKET, Key="m", UploadId=upload_id,
                                             MultipartUpload=parts, **extra)
        assert again["ETag"] == first["ETag"]
    assert get(s3, "m") == b"multipart"
    # Overwritten since: the upload is gone.
    s3.put_object(Bucket=BUCKET, Key="m", Body=b"newer")
    assert error(s3.complete_multipart_upload, Bucket=BUCKET, Key="m", UploadId=upload_id,
                 MultipartUpload=parts) == ("NoSuchUpload", 404)
    # An unknown upload ID.
    bogus = {"Parts": [{"PartNumber": 1, "ETag": '"etag"'}]}
    assert error(s3.complete_multipart_upload, Bucket=BUCKET, Key="m", UploadId="no-such-upload",
                 MultipartUpload=bogus) == ("NoSuchUpload", 404)


def test_copy_destination_conditions(s3):
    s3.put_object(Bucket=BUCKET, Key="c-src", Body=b"source")
    s3.put_object(Bucket=BUCKET, Key="c-dst", Body=b"dest")
    src = {"Bucket": BUCKET, "Key": "c-src"}
    assert error(s3.copy_object, Bucket=BUCKET, Key="c-dst", CopySource=src,
                 IfNoneMatch="*") == ("PreconditionFailed", 412)
    assert error(s3.copy_object, Bucket=BUCKET, Key="c-dst", CopySource=src,
                 IfMatch=etag(b"other")) == ("PreconditionFailed", 412)
    assert get(s3, "c-dst") == b"dest"
    s3.copy_object(Bucket=BUCKET, Key="c-dst", CopySource=src, IfMatch=etag(b"dest"))
    assert get(s3, "c-dst") == b"source"
    s3.copy_object(Bucket=BUCKET, Key="c-new", CopySource=src, IfNoneMatch="*")


def test_delete_if_match(s3):
    s3.put_object(Bucket=BUCKET, Key="d", Body=b"d")
    assert error(s3.delete_object, Bucket=BUCKET, Key="d",
                 IfMatch=etag(b"other")) == ("PreconditionFailed", 412)
    assert get(s3, "d") == b"d"
    s3.delete_object(Bucket=BUCKET, Key="d", IfMatch=etag(b"d"))
    assert error(s3.delete_object, Bucket=BUCKET, Key="d", IfMatch="*") == ("NoSuchKey", 404)
    s3.put_object(Bucket=BUCKET, Key="d", Body=b"d2")
    s3.delete_object(Bucket=BUCKET, Key="d", IfMatch="*")

    s3.put_object(Bucket=BUCKET, Key="da", Body=b"a")
    s3.put_object(Bucket=BUCKET, Key="db", Body=b"b")
    out = s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [
        {"Key": "da", "ETag": etag(b"a")},
        {"Key": "db", "ETag": etag(b"a")},
        {"Key": "dc"},
    ]})
    assert sorted(d["Key"] for d in out.get("Deleted", [])) == ["da", "dc"]
    assert [(e["Key"], e["Code"]) for e in out.get("Errors", [])] == [("db", "PreconditionFailed")]
    assert get(s3, "db") == b"b"

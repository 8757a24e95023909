"""boto3 against each S3 target: server-side encryption as boto3 users
write it. SSE-C (SSECustomerKey: boto3 computes the key's MD5) on put,
get, ranged get, head, copy, multipart (the completion's SSE-C headers)
and GetObjectAttributes; SSE-S3 (ServerSideEncryption=
"AES256"); a bucket's default encryption; SSE-KMS refused with 501. The
clients run on loopback, where SSE-C over plain HTTP is allowed.
"""
import base64
import hashlib
import os

import pytest
from botocore.exceptions import ClientError

from s3_helpers import empty_and_delete_bucket

BUCKET = "boto3-sse"
KEY_A = b"A" * 32
KEY_B = os.urandom(32)


@pytest.fixture(scope="module")
def s3(s3_target):
    client = s3_target.boto3_client()
    client.create_bucket(Bucket=BUCKET)
    yield client
    empty_and_delete_bucket(client, BUCKET)


def status(call, **kwargs):
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    err = info.value.response
    return err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Code"]


def ssec(key):
    return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}


def test_sse_c_put_get_range_head(s3):
    data = os.urandom(200 * 1024 + 7)
    put = s3.put_object(Bucket=BUCKET, Key="c", Body=data, **ssec(KEY_A))
    assert put["SSECustomerAlgorithm"] == "AES256"
    # As on AWS, an SSE-C object's ETag is not the MD5 of its bytes.
    assert put["ETag"].strip('"') != hashlib.md5(data).hexdigest()
    got = s3.get_object(Bucket=BUCKET, Key="c", **ssec(KEY_A))
    assert got["Body"].read() == data
    part = s3.get_object(Bucket=BUCKET, Key="c", Range="bytes=65530-131080", **ssec(KEY_A))
    assert part["Body"].read() == data[65530:131081]
    head = s3.head_object(Bucket=BUCKET, Key="c", **ssec(KEY_A))
    assert head["ContentLength"] == len(data)
    assert status(s3.get_object, Bucket=BUCKET, Key="c") == (400, "InvalidRequest")
    assert status(s3.get_object, Bucket=BUCKET, Key="c", **ssec(KEY_B)) == (403, "AccessDenied")


def test_sse_c_copy_changes_the_key(s3):
    data = os.urandom(70_000)
    s3.put_object(Bucket=BUCKET, Key="src", Body=data, **ssec(KEY_A))
    s3.copy_object(
        Bucket=BUCKET,
        Key="dst",
        CopySource={"Bucket": BUCKET, "Key": "src"},
        CopySourceSSECustomerAlgorithm="AES256",
        CopySourceSSECustomerKey=KEY_A,
        **ssec(KEY_B),
    )
    assert s3.get_object(Bucket=BUCKET, Key="dst", **ssec(KEY_B))["Body"].read() == data
    assert status(s3.get_object, Bucket=BUCKET, Key="dst", **ssec(KEY_A))[0] == 403


def test_sse_c_multipart(s3):
    parts = [os.urandom(5 * 1024 * 1024), os.urandom(1234)]
    up = s3.create_multipart_upload(Bucket=BUCKET, Key="mp", **ssec(KEY_A))
    done = []
    for n, body in enumerate(parts, 1):
        r = s3.upload_part(Bucket=BUCKET, Key="mp", UploadId=up["UploadId"], PartNumber=n,
                           Body=body, **ssec(KEY_A))
        done.append({"PartNumber": n, "ETag": r["ETag"]})
    # With the key (as s3transfer sends it), the reply names the key as AWS
    # does.
    complete = s3.complete_multipart_upload(Bucket=BUCKET, Key="mp", UploadId=up["UploadId"],
                                            MultipartUpload={"Parts": done}, **ssec(KEY_A))
    headers = complete["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amz-server-side-encryption-customer-algorithm"] == "AES256"
    key_md5 = base64.b64encode(hashlib.md5(KEY_A).digest()).decode()
    assert headers["x-amz-server-side-encryption-customer-key-md5"] == key_md5
    whole = b"".join(parts)
    got = s3.get_object(Bucket=BUCKET, Key="mp", Range="bytes=5242000-5243000", **ssec(KEY_A))
    assert got["Body"].read() == whole[5242000:5243001]
    # GetObjectAttributes needs the key too (boto3 does not encode it for
    # this operation: the caller sends it base64 with its MD5).
    raw_key = {"SSECustomerAlgorithm": "AES256",
               "SSECustomerKey": base64.b64encode(KEY_A).decode(), "SSECustomerKeyMD5": key_md5}
    attrs = s3.get_object_attributes(Bucket=BUCKET, Key="mp",
                                     ObjectAttributes=["ObjectSize", "ObjectParts", "StorageClass"],
                                     **raw_key)
    assert attrs["ObjectSize"] == len(whole)
    assert attrs["ObjectParts"]["TotalPartsCount"] == 2
    assert attrs["StorageClass"] == "STANDARD"
    code = status(s3.get_object_attributes, Bucket=BUCKET, Key="mp", ObjectAttributes=["ETag"])
    assert code == (400, "InvalidRequest")


def test_sse_s3(s3):
    data = os.urandom(100_000)
    put = s3.put_object(Bucket=BUCKET, Key="s", Body=data, ServerSideEncryption="AES256")
    assert put["ServerSideEncryption"] == "AES256"
    assert put["ETag"].strip('"') == hashlib.md5(data).hexdigest()
    got = s3.get_object(Bucket=BUCKET, Key="s", Range="bytes=1-99998")
    assert got["ServerSideEncryption"] == "AES256"
    assert got["Body"].read() == data[1:99999]


def test_sse_kms_is_not_implemented(s3):
    code = status(s3.put_object, Bucket=BUCKET, Key="k", Body=b"x", ServerSideEncryption="aws:kms")
    assert code == (501, "NotImplemented")


def test_bucket_default_encryption(s3):
    code = status(s3.get_bucket_encryption, Bucket=BUCKET)
    assert code == (404, "ServerSideEncryptionConfigurationNotFoundError")
    rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    s3.put_bucket_encryption(Bucket=BUCKET,
                             ServerSideEncryptionConfiguration={"Rules": [rule]})
    got = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]
    assert got["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    put = s3.put_object(Bucket=BUCKET, Key="default", Body=b"d" * 1000)
    assert put["ServerSideEncryption"] == "AES256"
    s3.delete_bucket_encryption(Bucket=BUCKET)
    put = s3.put_object(Bucket=BUCKET, Key="plain", Body=b"p")
    assert "ServerSideEncryption" not in put

"""boto3 with its default settings against a spawned `fdfs server`.

A current boto3 computes a CRC32 for every put_object / upload_part. Over
plain HTTP it sends it as an x-amz-checksum-crc32 header on a signed
payload; over HTTPS as an aws-chunked trailer with an unsigned payload
(botocore only streams unsigned over TLS). The gateway speaks plain HTTP,
so the trailer form is forced by making botocore's one scheme check see
"https" (test_crc32_trailer_as_sent_over_tls). Either way the gateway must
verify the checksum and give it back with ChecksumMode=ENABLED. The tests also cover the transfer manager
(multipart upload, ranged download), pagination with a delimiter, copy,
batch delete, presigned URLs and the error codes AWS documents.
"""
import base64
import hashlib
import http.client
import os
import urllib.parse
import urllib.error
import urllib.request
import zlib

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from s3_helpers import empty_and_delete_bucket

BUCKET = "boto3-compat"
MiB = 1024 * 1024


@pytest.fixture(scope="module")
def s3(s3_target):
    client = s3_target.boto3_client()
    client.create_bucket(Bucket=BUCKET)
    yield client
    empty_and_delete_bucket(client, BUCKET)


@pytest.fixture
def sent_headers(s3):
    """The headers of every request the client sends from here on."""
    seen = []

    def record(request, **_):
        seen.append((request.method, request.url, dict(request.headers)))

    s3.meta.events.register("before-send.s3", record)
    yield seen
    s3.meta.events.unregister("before-send.s3", record)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def crc32_b64(data):
    return base64.b64encode((zlib.crc32(data) & 0xFFFFFFFF).to_bytes(4, "big")).decode()


def header(headers, name):
    for k, v in headers.items():
        if k.lower() == name:
            return v.decode() if isinstance(v, bytes) else v
    return None


def test_put_get_round_trip_with_metadata(s3, sent_headers):
    data = os.urandom(100_000)
    s3.put_object(Bucket=BUCKET, Key="meta/obj.bin", Body=data, ContentType="application/x-test",
                  Metadata={"colour": "blue", "owner": "compat"}, CacheControl="max-age=60")
    # The default client sends a CRC32; over HTTP as a header.
    put = [h for m, u, h in sent_headers if m == "PUT"][-1]
    assert header(put, "x-amz-checksum-crc32") == crc32_b64(data), put

    got = s3.get_object(Bucket=BUCKET, Key="meta/obj.bin")
    assert got["Body"].read() == data
    assert got["ContentType"] == "application/x-test"
    assert got["Metadata"] == {"colour": "blue", "owner": "compat"}
    assert got["CacheControl"] == "max-age=60"
    assert got["ETag"] == '"%s"' % hashlib.md5(data).hexdigest()
    assert got["ContentLength"] == len(data)


def test_crc32_trailer_as_sent_over_tls(s3_target, s3, sent_headers, monkeypatch):
    """What boto3 sends over HTTPS: an aws-chunked body, unsigned, with the
    CRC32 in a trailer; the put, a multipart part and a wrong trailer."""
    import botocore.httpchecksum

    real = botocore.httpchecksum.urlparse
    monkeypatch.setattr(botocore.httpchecksum, "urlparse",
                        lambda url: real(url)._replace(scheme="https"))
    data = os.urandom(300_000)
    s3.put_object(Bucket=BUCKET, Key="trailer.bin", Body=data)
    put = [h for m, u, h in sent_headers if m == "PUT"][-1]
    assert header(put, "x-amz-trailer") == "x-amz-checksum-crc32", put
    assert "aws-chunked" in header(put, "content-encoding")
    assert header(put, "x-amz-content-sha256") == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    got = s3.get_object(Bucket=BUCKET, Key="trailer.bin", ChecksumMode="ENABLED")
    assert got["Body"].read() == data
    assert got["ChecksumCRC32"] == crc32_b64(data)

    upload = s3.create_multipart_upload(Bucket=BUCKET, Key="trailer-mpu.bin",
                                        ChecksumAlgorithm="CRC32")
    part = s3.upload_part(Bucket=BUCKET, Key="trailer-mpu.bin", UploadId=upload["UploadId"],
                          PartNumber=1, Body=data, ChecksumAlgorithm="CRC32")
    assert part["ChecksumCRC32"] == crc32_b64(data)
    sent = [h for m, u, h in sent_headers if m == "PUT"][-1]
    assert header(sent, "x-amz-trailer") == "x-amz-checksum-crc32", sent
    s3.complete_multipart_upload(
        Bucket=BUCKET, Key="trailer-mpu.bin", UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"],
                                    "ChecksumCRC32": part["ChecksumCRC32"]}]})
    assert s3.get_object(Bucket=BUCKET, Key="trailer-mpu.bin")["Body"].read() == data

    # A trailer that does not match the bytes: the object is refused.
    def corrupt(request, **_):
        body = request.body
        if hasattr(body, "_checksum"):
            body._checksum.update(b"corrupt")

    s3.meta.events.register("before-send.s3", corrupt)
    try:
        with pytest.raises(ClientError) as err:
            s3.put_object(Bucket=BUCKET, Key="trailer-bad.bin", Body=data)
    finally:
        s3.meta.events.unregister("before-send.s3", corrupt)
    assert err.value.response["Error"]["Code"] == "BadDigest", err.value.response
    with pytest.raises(ClientError):
        s3.head_object(Bucket=BUCKET, Key="trailer-bad.bin")


def test_head_object(s3):
    s3.put_object(Bucket=BUCKET, Key="head.txt", Body=b"hello head", Metadata={"k": "v"})
    head = s3.head_object(Bucket=BUCKET, Key="head.txt")
    assert head["ContentLength"] == 10
    assert head["ETag"] == '"%s"' % hashlib.md5(b"hello head").hexdigest()
    assert head["Metadata"] == {"k": "v"}
    assert "LastModified" in head


def test_checksum_mode_returns_crc32(s3):
    data = b"checksummed bytes\n" * 1000
    s3.put_object(Bucket=BUCKET, Key="crc.bin", Body=data)
    got = s3.get_object(Bucket=BUCKET, Key="crc.bin", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32"] == crc32_b64(data)
    assert got["Body"].read() == data
    head = s3.head_object(Bucket=BUCKET, Key="crc.bin", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == crc32_b64(data)


@pytest.mark.parametrize("algorithm", ["SHA256", "CRC32C", "SHA1", "CRC32", "CRC64NVME"])
def test_put_with_checksum_algorithm(s3, algorithm):
    data = os.urandom(50_000)
    key = f"algo/{algorithm}"
    put = s3.put_object(Bucket=BUCKET, Key=key, Body=data, ChecksumAlgorithm=algorithm)
    field = f"Checksum{algorithm}"
    assert put.get(field), put
    if algorithm == "SHA256":
        assert base64.b64decode(put[field]) == hashlib.sha256(data).digest()
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == data


@pytest.mark.parametrize("algorithm", ["SHA256", "CRC32C"])
def test_get_returns_put_checksum(s3, algorithm):
    data = os.urandom(50_000)
    key = f"algo-get/{algorithm}"
    put = s3.put_object(Bucket=BUCKET, Key=key, Body=data, ChecksumAlgorithm=algorithm)
    field = f"Checksum{algorithm}"
    got = s3.get_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")
    assert got[field] == put[field]
    assert got["Body"].read() == data


def test_upload_file_multipart_and_download_file(s3, tmp_path):
    src = tmp_path / "big.bin"
    data = os.urandom(20 * MiB + 12345)
    src.write_bytes(data)
    config = TransferConfig(multipart_threshold=8 * MiB, multipart_chunksize=8 * MiB)
    s3.upload_file(str(src), BUCKET, "transfer/big.bin", Config=config)
    head = s3.head_object(Bucket=BUCKET, Key="transfer/big.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"].endswith('-3"'), head["ETag"]

    dst = tmp_path / "back.bin"
    # Ranged GETs in parallel: the transfer manager splits the download.
    s3.download_file(BUCKET, "transfer/big.bin", str(dst), Config=config)
    assert sha256(dst.read_bytes()) == sha256(data)


def test_list_objects_v2_paginator_with_delimiter(s3):
    keys = [f"tree/{d}/{i:02}.txt" for d in ("a", "b", "c") for i in range(5)]
    keys += [f"tree/top{i}.txt" for i in range(7)]
    for k in keys:
        s3.put_object(Bucket=BUCKET, Key=k, Body=k.encode())

    pages = list(s3.get_paginator("list_objects_v2").paginate(
        Bucket=BUCKET, Prefix="tree/", Delimiter="/", PaginationConfig={"PageSize": 3}))
    assert len(pages) > 1
    prefixes = [p["Prefix"] for page in pages for p in page.get("CommonPrefixes", [])]
    contents = [o["Key"] for page in pages for o in page.get("Contents", [])]
    assert prefixes == ["tree/a/", "tree/b/", "tree/c/"]
    assert contents == sorted(f"tree/top{i}.txt" for i in range(7))

    flat = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=BUCKET, Prefix="tree/", PaginationConfig={"PageSize": 4})
        for o in page.get("Contents", [])]
    assert flat == sorted(keys)


def test_copy_object(s3):
    s3.put_object(Bucket=BUCKET, Key="copy/src", Body=b"copy me", Metadata={"a": "1"})
    s3.copy_object(Bucket=BUCKET, Key="copy/dst", CopySource={"Bucket": BUCKET, "Key": "copy/src"})
    got = s3.get_object(Bucket=BUCKET, Key="copy/dst")
    assert got["Body"].read() == b"copy me"
    assert got["Metadata"] == {"a": "1"}
    s3.copy_object(Bucket=BUCKET, Key="copy/dst2", CopySource={"Bucket": BUCKET, "Key": "copy/src"},
                   MetadataDirective="REPLACE", Metadata={"b": "2"}, ContentType="text/plain")
    head = s3.head_object(Bucket=BUCKET, Key="copy/dst2")
    assert head["Metadata"] == {"b": "2"}
    assert head["ContentType"] == "text/plain"


def test_delete_objects(s3):
    keys = [f"batch/{i}" for i in range(10)]
    for k in keys:
        s3.put_object(Bucket=BUCKET, Key=k, Body=b"x")
    out = s3.delete_objects(Bucket=BUCKET, Delete={
        "Objects": [{"Key": k} for k in keys] + [{"Key": "batch/missing"}]})
    assert sorted(d["Key"] for d in out["Deleted"]) == sorted(keys + ["batch/missing"])
    assert not out.get("Errors")
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix="batch/")["KeyCount"] == 0


def test_wrong_content_md5_is_bad_digest(s3):
    wrong = base64.b64encode(hashlib.md5(b"other bytes").digest()).decode()
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=BUCKET, Key="bad-md5", Body=b"these bytes", ContentMD5=wrong)
    assert err.value.response["Error"]["Code"] == "BadDigest"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError):
        s3.head_object(Bucket=BUCKET, Key="bad-md5")


def test_missing_key_is_no_such_key(s3):
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=BUCKET, Key="no/such/key")
    assert err.value.response["Error"]["Code"] == "NoSuchKey"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket=BUCKET, Key="no/such/key")


def test_missing_bucket_is_no_such_bucket(s3):
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket="no-such-bucket-compat", Key="k")
    assert err.value.response["Error"]["Code"] == "NoSuchBucket"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


@pytest.fixture(params=["default", "s3v4"])
def presigner(request, s3_target):
    """boto3's default presigner (query-string SigV2 for S3 in us-east-1)
    and SigV4 (X-Amz-Signature)."""
    if request.param == "default":
        return s3_target.boto3_client()
    return s3_target.boto3_client(signature_version="s3v4")


def http_put(url, data):
    """A PUT with no headers but Content-Length (urllib would add a
    Content-Type, which a SigV2 presigned URL signs as empty)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("PUT", f"{parts.path}?{parts.query}", body=data)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def test_presigned_get(s3, presigner):
    data = b"presigned body"
    s3.put_object(Bucket=BUCKET, Key="presigned.txt", Body=data)
    url = presigner.generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": "presigned.txt"}, ExpiresIn=300)
    with urllib.request.urlopen(url, timeout=10) as resp:
        assert resp.status == 200
        assert resp.read() == data
    # A tampered signature is refused.
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    name = "X-Amz-Signature" if "X-Amz-Signature" in query else "Signature"
    sig = query[name][0]
    # Same alphabet and length (hex for SigV4, base64 for SigV2), wrong value.
    other = "0" * len(sig) if sig[0] != "0" else "1" * len(sig)
    bad = url.replace(urllib.parse.quote(sig, safe=""), other)
    assert bad != url
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(bad, timeout=10)
    assert err.value.code == 403


def test_presigned_put(s3, presigner):
    key = f"presigned-put-{id(presigner)}"
    url = presigner.generate_presigned_url(
        "put_object", Params={"Bucket": BUCKET, "Key": key}, ExpiresIn=300)
    status, body = http_put(url, b"put through a presigned url")
    assert status == 200, body
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"put through a presigned url"

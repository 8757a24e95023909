"""boto3 (default settings) against each S3 target: the edge cases of the
operations test_boto3.py covers plainly.

Listings: keys with non-ASCII, spaces, `+`, `%`, `//`, XML specials and
control characters round-trip exactly (boto3 asks for encoding-type=url and
decodes), 1,001 keys page by v1 and v2, nested and multi-character
delimiters. Multipart: abort, list_multipart_uploads and list_parts with
their markers, the part size and order rules. Copy: self-copy, across
buckets, conditions. Ranges: suffix, open-ended, past the end, unsatisfiable.
Conditional GET/HEAD (304 / 412 and the documented precedence), presigned
GET/PUT/HEAD through urllib, checksums on multipart and wrong checksums, and
the error codes with their HTTP statuses.
"""
import base64
import concurrent.futures
import datetime
import hashlib
import os
import urllib.error
import urllib.parse
import urllib.request
import zlib

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from s3_helpers import empty_and_delete_bucket
from s3_server import ACCESS_KEY, REGION, SECRET_KEY

BUCKET = "boto3-edges"
OTHER = "boto3-edges-other"
MiB = 1024 * 1024

# Keys that must survive a PUT, a GET and a listing byte for byte.
ODD_KEYS = [
    "odd/caf\u00e9/\u65e5\u672c\u8a9e/\u043a\u043b\u044e\u0447.txt",
    "odd/emoji-\U0001F600.bin",
    "odd/with space/and more spaces .txt",
    "odd/plus+sign+",
    "odd/100%",
    "odd/%2F-not-a-slash",
    "odd/%20",
    "odd//double//slash",
    "odd/trailing/",
    "odd/xml <&>'\".txt",
    "odd/query?x=1&y=2#frag",
    "odd/tab\there",
    "odd/ctrl-\x01-\x7f",
    "odd/~tilde!*()$,;=@:",
]


@pytest.fixture(scope="module")
def s3(s3_target):
    client = s3_target.boto3_client()
    client.create_bucket(Bucket=BUCKET)
    client.create_bucket(Bucket=OTHER)
    yield client
    empty_and_delete_bucket(client, BUCKET)
    empty_and_delete_bucket(client, OTHER)


def error(call, *args, **kwargs):
    """(code, HTTP status) of a call that must fail."""
    with pytest.raises(ClientError) as err:
        call(*args, **kwargs)
    resp = err.value.response
    return resp["Error"]["Code"], resp["ResponseMetadata"]["HTTPStatusCode"]


def etag(data):
    return '"%s"' % hashlib.md5(data).hexdigest()


def put_many(s3, keys, body=b""):
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=BUCKET, Key=k, Body=body), keys))


def delete_many(s3, keys):
    for i in range(0, len(keys), 1000):
        s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": k} for k in keys[i:i + 1000]],
                                                 "Quiet": True})


def all_keys(s3, op, **kwargs):
    return [o["Key"] for page in s3.get_paginator(op).paginate(Bucket=BUCKET, **kwargs)
            for o in page.get("Contents", [])]


# Listings ------------------------------------------------------------------

def test_odd_keys_round_trip(s3):
    for key in ODD_KEYS:
        s3.put_object(Bucket=BUCKET, Key=key, Body=key.encode())
    for key in ODD_KEYS:
        got = s3.get_object(Bucket=BUCKET, Key=key)
        assert got["Body"].read() == key.encode(), key
    want = sorted(ODD_KEYS, key=lambda k: k.encode())
    # boto3 sends encoding-type=url and decodes Key/Prefix: exact keys back,
    # in UTF-8 byte order.
    assert all_keys(s3, "list_objects_v2", Prefix="odd/") == want
    assert all_keys(s3, "list_objects", Prefix="odd/") == want
    versions = s3.list_object_versions(Bucket=BUCKET, Prefix="odd/")
    assert [v["Key"] for v in versions["Versions"]] == want
    # Page by page with MaxKeys=3: the continuation token and the v1 marker
    # (the last key, sent back encoded by boto3) carry odd keys too.
    assert all_keys(s3, "list_objects_v2", Prefix="odd/",
                    PaginationConfig={"PageSize": 3}) == want
    assert all_keys(s3, "list_objects", Prefix="odd/", PaginationConfig={"PageSize": 3}) == want
    # StartAfter and Prefix holding odd characters.
    after = s3.list_objects_v2(Bucket=BUCKET, Prefix="odd/", StartAfter="odd/plus+sign+")
    assert [o["Key"] for o in after["Contents"]] == want[want.index("odd/plus+sign+") + 1:]
    assert after["StartAfter"] == "odd/plus+sign+"
    pre = s3.list_objects_v2(Bucket=BUCKET, Prefix="odd/with space/")
    assert [o["Key"] for o in pre["Contents"]] == ["odd/with space/and more spaces .txt"]
    assert pre["Prefix"] == "odd/with space/"
    # `//` makes an empty path segment: a common prefix of its own.
    cps = s3.list_objects_v2(Bucket=BUCKET, Prefix="odd/", Delimiter="/")
    assert [p["Prefix"] for p in cps["CommonPrefixes"]] == sorted(
        ["odd/caf\u00e9/", "odd/with space/", "odd//", "odd/trailing/"], key=str.encode)
    # HEAD, copy and delete of odd keys.
    for key in ODD_KEYS[:4]:
        assert s3.head_object(Bucket=BUCKET, Key=key)["ContentLength"] == len(key.encode())
        s3.copy_object(Bucket=BUCKET, Key=key + ".copy", CopySource={"Bucket": BUCKET, "Key": key})
        assert s3.get_object(Bucket=BUCKET, Key=key + ".copy")["Body"].read() == key.encode()
    # A key XML 1.0 cannot carry (a control character) cannot go through
    # DeleteObjects' XML body either: AWS says to delete it on its own.
    xml_safe = [k for k in ODD_KEYS if not any(ord(c) < 0x20 and c != "\t" for c in k)]
    out = s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": k} for k in xml_safe]})
    assert sorted(d["Key"] for d in out["Deleted"]) == sorted(xml_safe)
    for key in set(ODD_KEYS) - set(xml_safe):
        s3.delete_object(Bucket=BUCKET, Key=key)
    delete_many(s3, [k + ".copy" for k in ODD_KEYS[:4]])
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix="odd/")["KeyCount"] == 0


def test_1001_keys_paginate_v1_and_v2(s3):
    keys = [f"page/{i:04}" for i in range(1001)]
    put_many(s3, keys)
    try:
        # One request: AWS caps a page at 1,000 keys, MaxKeys above that too.
        for max_keys in ({}, {"MaxKeys": 5000}):
            v2 = s3.list_objects_v2(Bucket=BUCKET, Prefix="page/", **max_keys)
            assert v2["KeyCount"] == 1000 and v2["IsTruncated"] is True
            assert [o["Key"] for o in v2["Contents"]] == keys[:1000]
            rest = s3.list_objects_v2(Bucket=BUCKET, Prefix="page/",
                                      ContinuationToken=v2["NextContinuationToken"])
            assert [o["Key"] for o in rest["Contents"]] == keys[1000:]
            assert rest["IsTruncated"] is False and "NextContinuationToken" not in rest

        v1 = s3.list_objects(Bucket=BUCKET, Prefix="page/")
        assert len(v1["Contents"]) == 1000 and v1["IsTruncated"] is True
        # Without a delimiter v1 has no NextMarker: the client sends the last key.
        rest = s3.list_objects(Bucket=BUCKET, Prefix="page/", Marker=v1["Contents"][-1]["Key"])
        assert [o["Key"] for o in rest["Contents"]] == keys[1000:]
        assert rest["IsTruncated"] is False

        assert all_keys(s3, "list_objects_v2", Prefix="page/") == keys
        assert all_keys(s3, "list_objects", Prefix="page/") == keys
        assert all_keys(s3, "list_objects_v2", Prefix="page/",
                        PaginationConfig={"PageSize": 333}) == keys
        # MaxKeys=0: nothing, not truncated-forever.
        zero = s3.list_objects_v2(Bucket=BUCKET, Prefix="page/", MaxKeys=0)
        assert zero["KeyCount"] == 0 and "Contents" not in zero
    finally:
        delete_many(s3, keys)


def test_nested_and_multi_char_delimiters(s3):
    keys = ["nest/a/b/c/1", "nest/a/b/2", "nest/a/3", "nest/4", "nest/a/b/c/d/5",
            "nest/x-y-z", "nest/x-y", "nest/x", "nest/a--b--c", "nest/a--d"]
    put_many(s3, keys)
    try:
        def level(prefix, delimiter, **kw):
            out = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix, Delimiter=delimiter, **kw)
            return ([o["Key"] for o in out.get("Contents", [])],
                    [p["Prefix"] for p in out.get("CommonPrefixes", [])])

        assert level("nest/", "/") == (["nest/4", "nest/a--b--c", "nest/a--d", "nest/x",
                                         "nest/x-y", "nest/x-y-z"], ["nest/a/"])
        assert level("nest/a/", "/") == (["nest/a/3"], ["nest/a/b/"])
        assert level("nest/a/b/", "/") == (["nest/a/b/2"], ["nest/a/b/c/"])
        assert level("nest/a/b/c/", "/") == (["nest/a/b/c/1"], ["nest/a/b/c/d/"])
        # A prefix that is not a whole segment, and no prefix at all.
        assert level("nest/a", "/") == (["nest/a--b--c", "nest/a--d"], ["nest/a/"])
        assert "nest/" in level("", "/")[1]
        # A delimiter other than `/`, and one of several characters.
        assert level("nest/x", "-") == (["nest/x"], ["nest/x-"])
        assert level("nest/", "--") == (
            ["nest/4", "nest/a/3", "nest/a/b/2", "nest/a/b/c/1", "nest/a/b/c/d/5", "nest/x",
             "nest/x-y", "nest/x-y-z"], ["nest/a--"])
        # v1 says so too, and a delimiter page of one entry each: a common
        # prefix counts once towards MaxKeys, and is never repeated.
        v1 = s3.list_objects(Bucket=BUCKET, Prefix="nest/", Delimiter="/", MaxKeys=1)
        assert v1["IsTruncated"] is True and v1["NextMarker"] == "nest/4"
        seen = []
        for page in s3.get_paginator("list_objects_v2").paginate(
                Bucket=BUCKET, Prefix="nest/", Delimiter="/", PaginationConfig={"PageSize": 1}):
            assert page["KeyCount"] == 1
            seen += [o["Key"] for o in page.get("Contents", [])]
            seen += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        assert seen == ["nest/4", "nest/a--b--c", "nest/a--d", "nest/a/", "nest/x", "nest/x-y",
                        "nest/x-y-z"]
        for page in s3.get_paginator("list_objects").paginate(
                Bucket=BUCKET, Prefix="nest/", Delimiter="/", PaginationConfig={"PageSize": 2}):
            assert len(page.get("Contents", [])) + len(page.get("CommonPrefixes", [])) <= 2
    finally:
        delete_many(s3, keys)


# Multipart -------------------------------------------------------------------

def test_multipart_listing_and_abort(s3):
    ups = {}
    for key in ("mpu/b", "mpu/a", "mpu/a", "mpu/dir/c", "other/d"):
        ups.setdefault(key, []).append(
            s3.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"])
    try:
        listed = s3.list_multipart_uploads(Bucket=BUCKET, Prefix="mpu/")
        got = [(u["Key"], u["UploadId"]) for u in listed["Uploads"]]
        assert [k for k, _ in got] == ["mpu/a", "mpu/a", "mpu/b", "mpu/dir/c"]
        assert sorted(got) == sorted((k, u) for k in ups for u in ups[k] if k.startswith("mpu/"))
        delim = s3.list_multipart_uploads(Bucket=BUCKET, Prefix="mpu/", Delimiter="/")
        assert [u["Key"] for u in delim["Uploads"]] == ["mpu/a", "mpu/a", "mpu/b"]
        assert [p["Prefix"] for p in delim["CommonPrefixes"]] == ["mpu/dir/"]
        # Paged one upload at a time by key and upload-id markers.
        paged = [(u["Key"], u["UploadId"]) for page in
                 s3.get_paginator("list_multipart_uploads").paginate(
                     Bucket=BUCKET, Prefix="mpu/", PaginationConfig={"PageSize": 1})
                 for u in page.get("Uploads", [])]
        assert paged == got

        uid = ups["mpu/b"][0]
        etags = []
        for n in range(1, 6):
            body = bytes([n]) * (100 + n)
            etags.append(s3.upload_part(Bucket=BUCKET, Key="mpu/b", UploadId=uid, PartNumber=n,
                                        Body=body)["ETag"])
        # Re-uploading a part number replaces it.
        again = s3.upload_part(Bucket=BUCKET, Key="mpu/b", UploadId=uid, PartNumber=3,
                               Body=b"replaced")
        etags[2] = again["ETag"]
        parts = s3.list_parts(Bucket=BUCKET, Key="mpu/b", UploadId=uid, MaxParts=2)
        assert [p["PartNumber"] for p in parts["Parts"]] == [1, 2]
        assert parts["IsTruncated"] is True and parts["NextPartNumberMarker"] == 2
        rest = s3.list_parts(Bucket=BUCKET, Key="mpu/b", UploadId=uid, PartNumberMarker=2)
        assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in rest["Parts"]] == [
            (3, etags[2], 8), (4, etags[3], 104), (5, etags[4], 105)]
        paged = [p["PartNumber"] for page in s3.get_paginator("list_parts").paginate(
            Bucket=BUCKET, Key="mpu/b", UploadId=uid, PaginationConfig={"PageSize": 2})
            for p in page["Parts"]]
        assert paged == [1, 2, 3, 4, 5]

        s3.abort_multipart_upload(Bucket=BUCKET, Key="mpu/b", UploadId=uid)
        assert error(s3.list_parts, Bucket=BUCKET, Key="mpu/b", UploadId=uid) == (
            "NoSuchUpload", 404)
        assert error(s3.upload_part, Bucket=BUCKET, Key="mpu/b", UploadId=uid, PartNumber=1,
                     Body=b"x") == ("NoSuchUpload", 404)
        assert error(s3.complete_multipart_upload, Bucket=BUCKET, Key="mpu/b", UploadId=uid,
                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etags[0]}]}) == (
            "NoSuchUpload", 404)
        assert error(s3.head_object, Bucket=BUCKET, Key="mpu/b") == ("404", 404)
        # An upload id of another key is no upload of this one.
        assert error(s3.list_parts, Bucket=BUCKET, Key="mpu/dir/c",
                     UploadId=ups["mpu/a"][0]) == ("NoSuchUpload", 404)
    finally:
        for key, ids in ups.items():
            for uid in ids:
                try:
                    s3.abort_multipart_upload(Bucket=BUCKET, Key=key, UploadId=uid)
                except ClientError:
                    pass
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=BUCKET, Prefix="mpu/")


def test_multipart_rules(s3):
    key = "rules/obj"
    uid = s3.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
    small = [s3.upload_part(Bucket=BUCKET, Key=key, UploadId=uid, PartNumber=n,
                            Body=b"tiny")["ETag"] for n in (1, 2)]

    def complete(*parts):
        return s3.complete_multipart_upload(
            Bucket=BUCKET, Key=key, UploadId=uid,
            MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in parts]})

    # Every part but the last must be 5 MiB or more.
    assert error(complete, (1, small[0]), (2, small[1])) == ("EntityTooSmall", 400)
    assert error(complete, (2, small[1]), (1, small[0])) == ("InvalidPartOrder", 400)
    assert error(complete, (1, small[0]), (1, small[0])) == ("InvalidPartOrder", 400)
    assert error(complete, (1, etag(b"other"))) == ("InvalidPart", 400)
    assert error(complete, (7, small[0])) == ("InvalidPart", 400)
    assert error(complete) == ("MalformedXML", 400)
    for bad in (0, 10001):
        assert error(s3.upload_part, Bucket=BUCKET, Key=key, UploadId=uid, PartNumber=bad,
                     Body=b"x") == ("InvalidArgument", 400)
    # A single small part is a whole object (the last part may be small).
    done = complete((2, small[1]))
    assert done["ETag"] == '"%s-1"' % hashlib.md5(bytes.fromhex(small[1][1:-1])).hexdigest()
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"tiny"
    s3.delete_object(Bucket=BUCKET, Key=key)


# Copy ------------------------------------------------------------------------

def test_copy_edges(s3):
    data = os.urandom(10_000)
    src = {"Bucket": BUCKET, "Key": "cp/src +%\u00e9"}
    s3.put_object(Bucket=BUCKET, Key=src["Key"], Body=data, Metadata={"a": "1"},
                  ContentType="text/x-src")
    # Across buckets, the odd source key quoted by boto3.
    s3.copy_object(Bucket=OTHER, Key="copied", CopySource=src)
    got = s3.get_object(Bucket=OTHER, Key="copied")
    assert got["Body"].read() == data and got["Metadata"] == {"a": "1"}
    assert got["ContentType"] == "text/x-src"
    # Self-copy without changing anything is refused, as AWS does.
    assert error(s3.copy_object, Bucket=BUCKET, Key=src["Key"], CopySource=src) == (
        "InvalidRequest", 400)
    # REPLACE on itself replaces metadata and Content-Type, keeps bytes.
    s3.copy_object(Bucket=BUCKET, Key=src["Key"], CopySource=src, MetadataDirective="REPLACE",
                   Metadata={"b": "2"}, ContentType="text/x-new", CacheControl="no-cache")
    head = s3.head_object(Bucket=BUCKET, Key=src["Key"])
    assert head["Metadata"] == {"b": "2"} and head["ContentType"] == "text/x-new"
    assert head["CacheControl"] == "no-cache" and head["ETag"] == etag(data)
    # COPY ignores the request's metadata.
    s3.copy_object(Bucket=BUCKET, Key="cp/kept", CopySource=src, Metadata={"ignored": "x"})
    assert s3.head_object(Bucket=BUCKET, Key="cp/kept")["Metadata"] == {"b": "2"}
    # Copy conditions: a failed one is 412.
    assert error(s3.copy_object, Bucket=BUCKET, Key="cp/x", CopySource=src,
                 CopySourceIfMatch=etag(b"no")) == ("PreconditionFailed", 412)
    assert error(s3.copy_object, Bucket=BUCKET, Key="cp/x", CopySource=src,
                 CopySourceIfNoneMatch=etag(data)) == ("PreconditionFailed", 412)
    s3.copy_object(Bucket=BUCKET, Key="cp/x", CopySource=src, CopySourceIfMatch=etag(data))
    # Overwriting the source does not change the copy (it shares file IDs).
    s3.put_object(Bucket=BUCKET, Key=src["Key"], Body=b"new bytes")
    assert s3.get_object(Bucket=BUCKET, Key="cp/x")["Body"].read() == data
    s3.delete_object(Bucket=BUCKET, Key=src["Key"])
    assert s3.get_object(Bucket=OTHER, Key="copied")["Body"].read() == data
    assert error(s3.copy_object, Bucket=BUCKET, Key="cp/y", CopySource=src) == ("NoSuchKey", 404)
    assert error(s3.copy_object, Bucket="boto3-edges-none", Key="cp/y",
                 CopySource={"Bucket": BUCKET, "Key": "cp/x"}) == ("NoSuchBucket", 404)
    delete_many(s3, ["cp/kept", "cp/x"])


# Ranges ----------------------------------------------------------------------

def test_ranges(s3):
    data = os.urandom(1000)
    s3.put_object(Bucket=BUCKET, Key="range/obj", Body=data)

    def ranged(spec):
        got = s3.get_object(Bucket=BUCKET, Key="range/obj", Range=spec)
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
        return got["ContentRange"], got["ContentLength"], got["Body"].read()

    assert ranged("bytes=0-0") == ("bytes 0-0/1000", 1, data[:1])
    assert ranged("bytes=-100") == ("bytes 900-999/1000", 100, data[900:])
    assert ranged("bytes=-5000") == ("bytes 0-999/1000", 1000, data)
    assert ranged("bytes=990-") == ("bytes 990-999/1000", 10, data[990:])
    assert ranged("bytes=500-99999") == ("bytes 500-999/1000", 500, data[500:])
    assert ranged("bytes=999-999") == ("bytes 999-999/1000", 1, data[999:])
    head = s3.head_object(Bucket=BUCKET, Key="range/obj", Range="bytes=10-19")
    assert head["ContentLength"] == 10 and head["ContentRange"] == "bytes 10-19/1000"
    assert head["ResponseMetadata"]["HTTPStatusCode"] == 206
    # Unsatisfiable: the first byte is past the end.
    assert error(s3.get_object, Bucket=BUCKET, Key="range/obj", Range="bytes=1000-") == (
        "InvalidRange", 416)
    assert error(s3.get_object, Bucket=BUCKET, Key="range/obj", Range="bytes=5000-6000") == (
        "InvalidRange", 416)


def test_invalid_range_syntax_is_ignored(s3):
    data = b"0123456789" * 10
    s3.put_object(Bucket=BUCKET, Key="range/invalid", Body=data)
    for spec in ("bytes=9-3", "bytes=abc", "pages=1-2"):
        got = s3.get_object(Bucket=BUCKET, Key="range/invalid", Range=spec)
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 200, spec
        assert got["Body"].read() == data


# Conditional requests ----------------------------------------------------------

def test_conditional_get_and_head(s3):
    data = b"conditional"
    s3.put_object(Bucket=BUCKET, Key="cond/obj", Body=data)
    modified = s3.head_object(Bucket=BUCKET, Key="cond/obj")["LastModified"]
    past = modified - datetime.timedelta(days=1)
    later = modified + datetime.timedelta(seconds=1)
    tag = etag(data)
    other = etag(b"other")

    cases = [
        # (conditions, expected status) — 200 reads, 304 not modified, 412 failed.
        ({"IfMatch": tag}, 200),
        ({"IfMatch": "*"}, 200),
        ({"IfMatch": other}, 412),
        ({"IfNoneMatch": tag}, 304),
        ({"IfNoneMatch": "*"}, 304),
        ({"IfNoneMatch": other}, 200),
        ({"IfModifiedSince": past}, 200),
        ({"IfModifiedSince": modified}, 304),
        ({"IfUnmodifiedSince": later}, 200),
        ({"IfUnmodifiedSince": modified}, 200),
        ({"IfUnmodifiedSince": past}, 412),
        # AWS's documented precedence: a true If-Match wins over a false
        # If-Unmodified-Since; a false If-None-Match over a true
        # If-Modified-Since.
        ({"IfMatch": tag, "IfUnmodifiedSince": past}, 200),
        ({"IfNoneMatch": tag, "IfModifiedSince": past}, 304),
        ({"IfMatch": other, "IfNoneMatch": other}, 412),
    ]
    for conditions, want in cases:
        for op in (s3.get_object, s3.head_object):
            try:
                got = op(Bucket=BUCKET, Key="cond/obj", **conditions)
                status, code = got["ResponseMetadata"]["HTTPStatusCode"], None
                if op == s3.get_object:
                    assert got["Body"].read() == data
            except ClientError as err:
                status = err.response["ResponseMetadata"]["HTTPStatusCode"]
                code = err.response["Error"]["Code"]
            assert status == want, (op.__name__, conditions, status)
            if want == 412 and op == s3.get_object:
                assert code == "PreconditionFailed"
            if want == 304:
                assert code == "304", code
    # A 304 carries the ETag, so a cache can revalidate.
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=BUCKET, Key="cond/obj", IfNoneMatch=tag)
    assert err.value.response["ResponseMetadata"]["HTTPHeaders"].get("etag") == tag


# Presigned URLs ----------------------------------------------------------------

@pytest.fixture
def signer(s3_target):
    return s3_target.boto3_client(signature_version="s3v4")


def test_presigned_get_put_head(s3, signer):
    key = "presigned/caf\u00e9 +%.txt"
    url = signer.generate_presigned_url("put_object", ExpiresIn=300,
                                        Params={"Bucket": BUCKET, "Key": key,
                                                "ContentType": "text/x-signed"})
    req = urllib.request.Request(url, data=b"via presigned put", method="PUT",
                                 headers={"Content-Type": "text/x-signed"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200
        assert resp.headers["ETag"] == etag(b"via presigned put")
    # A Content-Type other than the signed one breaks the signature.
    req = urllib.request.Request(url, data=b"x", method="PUT",
                                 headers={"Content-Type": "text/other"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=10)
    assert err.value.code == 403 and b"SignatureDoesNotMatch" in err.value.read()

    url = signer.generate_presigned_url(
        "get_object", ExpiresIn=300,
        Params={"Bucket": BUCKET, "Key": key, "ResponseContentType": "application/x-override",
                "ResponseContentDisposition": 'attachment; filename="f.txt"',
                "ResponseCacheControl": "no-store"})
    with urllib.request.urlopen(url, timeout=10) as resp:
        assert resp.read() == b"via presigned put"
        assert resp.headers["Content-Type"] == "application/x-override"
        assert resp.headers["Content-Disposition"] == 'attachment; filename="f.txt"'
        assert resp.headers["Cache-Control"] == "no-store"
    url = signer.generate_presigned_url("head_object", ExpiresIn=300,
                                        Params={"Bucket": BUCKET, "Key": key})
    with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=10) as resp:
        assert resp.status == 200 and resp.headers["Content-Length"] == "17"
        assert resp.headers["Content-Type"] == "text/x-signed"
    # A GET URL is no PUT URL: the method is signed.
    get_url = signer.generate_presigned_url("get_object", ExpiresIn=300,
                                            Params={"Bucket": BUCKET, "Key": key})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(urllib.request.Request(get_url, data=b"x", method="PUT"),
                               timeout=10)
    assert err.value.code == 403
    # A presigned URL for a missing key is a signed request: NoSuchKey.
    url = signer.generate_presigned_url("get_object", ExpiresIn=300,
                                        Params={"Bucket": BUCKET, "Key": "presigned/none"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(url, timeout=10)
    assert err.value.code == 404 and b"<Code>NoSuchKey</Code>" in err.value.read()
    s3.delete_object(Bucket=BUCKET, Key=key)


# Checksums ---------------------------------------------------------------------

ALGORITHMS = ["CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_wrong_checksum_is_bad_digest(s3, algorithm):
    data = os.urandom(10_000)
    right = s3.put_object(Bucket=BUCKET, Key=f"sum/{algorithm}", Body=data,
                          ChecksumAlgorithm=algorithm)[f"Checksum{algorithm}"]
    got = s3.head_object(Bucket=BUCKET, Key=f"sum/{algorithm}", ChecksumMode="ENABLED")
    assert got[f"Checksum{algorithm}"] == right
    wrong = base64.b64encode(bytes(len(base64.b64decode(right)))).decode()
    assert error(s3.put_object, Bucket=BUCKET, Key=f"sum/{algorithm}-bad", Body=data,
                 **{f"Checksum{algorithm}": wrong}) == ("BadDigest", 400)
    assert error(s3.head_object, Bucket=BUCKET, Key=f"sum/{algorithm}-bad") == ("404", 404)
    s3.delete_object(Bucket=BUCKET, Key=f"sum/{algorithm}")


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "SHA1", "SHA256"])
def test_multipart_checksums(s3, algorithm):
    key = f"sum-mpu/{algorithm}"
    parts = [os.urandom(5 * MiB), os.urandom(1000)]
    uid = s3.create_multipart_upload(Bucket=BUCKET, Key=key,
                                     ChecksumAlgorithm=algorithm)["UploadId"]
    field = f"Checksum{algorithm}"
    done = []
    for n, body in enumerate(parts, 1):
        out = s3.upload_part(Bucket=BUCKET, Key=key, UploadId=uid, PartNumber=n, Body=body,
                             ChecksumAlgorithm=algorithm)
        assert out[field], out
        done.append({"PartNumber": n, "ETag": out["ETag"], field: out[field]})
    listed = s3.list_parts(Bucket=BUCKET, Key=key, UploadId=uid)
    assert [p[field] for p in listed["Parts"]] == [d[field] for d in done]
    s3.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=uid,
                                 MultipartUpload={"Parts": done})
    got = s3.get_object(Bucket=BUCKET, Key=key)
    assert got["Body"].read() == b"".join(parts)
    s3.delete_object(Bucket=BUCKET, Key=key)


@pytest.mark.parametrize("algorithm", ["CRC32", "SHA256"])
def test_multipart_composite_checksum(s3, algorithm):
    key = f"sum-composite/{algorithm}"
    field = f"Checksum{algorithm}"
    parts = [os.urandom(5 * MiB), b"tail"]
    up = s3.create_multipart_upload(Bucket=BUCKET, Key=key, ChecksumAlgorithm=algorithm)
    try:
        assert up.get("ChecksumAlgorithm") == algorithm, up
        done = []
        for n, body in enumerate(parts, 1):
            out = s3.upload_part(Bucket=BUCKET, Key=key, UploadId=up["UploadId"], PartNumber=n,
                                 Body=body, ChecksumAlgorithm=algorithm)
            done.append({"PartNumber": n, "ETag": out["ETag"], field: out[field]})
        # The composite checksum: the checksum of the concatenated raw part
        # checksums, then "-<parts>".
        digest = {"CRC32": lambda b: (zlib.crc32(b) & 0xFFFFFFFF).to_bytes(4, "big"),
                  "SHA256": lambda b: hashlib.sha256(b).digest()}[algorithm]
        want = base64.b64encode(digest(b"".join(base64.b64decode(d[field]) for d in done)))
        want = want.decode() + "-2"
        out = s3.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=up["UploadId"],
                                           MultipartUpload={"Parts": done})
        assert out.get(field) == want, out
        head = s3.head_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")
        assert head.get(field) == want, head
    finally:
        empty_upload(s3, key, up["UploadId"])
        s3.delete_object(Bucket=BUCKET, Key=key)


def empty_upload(s3, key, upload_id):
    try:
        s3.abort_multipart_upload(Bucket=BUCKET, Key=key, UploadId=upload_id)
    except ClientError:
        pass


# Error codes -------------------------------------------------------------------

def test_error_codes(s3, s3_target):
    assert error(s3.head_bucket, Bucket="boto3-edges-none") == ("404", 404)
    assert error(s3.list_objects_v2, Bucket="boto3-edges-none") == ("NoSuchBucket", 404)
    assert error(s3.put_object, Bucket="boto3-edges-none", Key="k", Body=b"") == (
        "NoSuchBucket", 404)
    assert error(s3.delete_bucket, Bucket="boto3-edges-none") == ("NoSuchBucket", 404)
    assert error(s3.get_object, Bucket=BUCKET, Key="none") == ("NoSuchKey", 404)
    # Re-created by its owner: 200 in us-east-1, 409 in any other region.
    s3.create_bucket(Bucket=BUCKET)
    eu = boto3.client("s3", endpoint_url=s3_target.endpoint, region_name="eu-west-1",
                      aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                      config=Config(s3={"addressing_style": "path"}))
    assert error(eu.create_bucket, Bucket=BUCKET, CreateBucketConfiguration={
        "LocationConstraint": "eu-west-1"}) == ("BucketAlreadyOwnedByYou", 409)
    # A bucket named like a group is that group's read-only view.
    assert error(s3.create_bucket, Bucket="group1") == ("BucketAlreadyExists", 409)
    assert error(s3.delete_bucket, Bucket="group1") == ("AccessDenied", 403)
    assert error(s3.put_object, Bucket="group1", Key="k", Body=b"") == ("AccessDenied", 403)
    for bad in ("UPPER", "a", "under_score", "-dash-first", "x" * 64, "192.168.1.1", "a..b"):
        assert error(s3.create_bucket, Bucket=bad) == ("InvalidBucketName", 400), bad
    s3.put_object(Bucket=OTHER, Key="keep", Body=b"x")
    assert error(s3.delete_bucket, Bucket=OTHER) == ("BucketNotEmpty", 409)
    s3.delete_object(Bucket=OTHER, Key="keep")
    # Deleting a missing key is a success (204), as AWS answers.
    assert s3.delete_object(Bucket=BUCKET, Key="none")["ResponseMetadata"]["HTTPStatusCode"] == 204
    bad_md5 = base64.b64encode(hashlib.md5(b"x").digest()).decode()
    assert error(s3.put_object, Bucket=BUCKET, Key="md5", Body=b"y", ContentMD5=bad_md5) == (
        "BadDigest", 400)
    assert error(s3.put_object, Bucket=BUCKET, Key="md5", Body=b"y",
                 ContentMD5="not-base64!") == ("InvalidDigest", 400)
    assert error(s3.delete_objects, Bucket=BUCKET, Delete={
        "Objects": [{"Key": f"k{i}"} for i in range(1001)]}) == ("MalformedXML", 400)

    # Wrong credentials: an unknown key, and a known key with a wrong secret.
    def client_with(key_id, secret):
        return boto3.client("s3", endpoint_url=s3_target.endpoint, region_name=REGION,
                            aws_access_key_id=key_id, aws_secret_access_key=secret,
                            config=Config(s3={"addressing_style": "path"}))

    assert error(client_with("AKIDNOSUCHKEY0000000", SECRET_KEY).list_buckets) == (
        "InvalidAccessKeyId", 403)
    assert error(client_with(ACCESS_KEY, "not-the-secret").list_buckets) == (
        "SignatureDoesNotMatch", 403)
    assert error(client_with(ACCESS_KEY, "not-the-secret").get_object, Bucket=BUCKET,
                 Key="none") == ("SignatureDoesNotMatch", 403)


def test_key_and_metadata_limits(s3):
    assert error(s3.put_object, Bucket=BUCKET, Key="k" * 1025, Body=b"") == (
        "KeyTooLongError", 400)
    assert error(s3.put_object, Bucket=BUCKET, Key="meta-big", Body=b"",
                 Metadata={"big": "v" * 2100}) == ("MetadataTooLarge", 400)

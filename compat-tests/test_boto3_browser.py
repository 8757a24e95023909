"""boto3 against each S3 target: what a browser application needs.

CORS: put_bucket_cors / get_bucket_cors / delete_bucket_cors, a preflight
(`OPTIONS`, unsigned, as a browser sends it) through urllib answered from
the rules or refused 403, and the Access-Control-* headers on a presigned
GET carrying an Origin.

POST object: boto3's `generate_presigned_post` (SigV2 by default, SigV4
with `s3v4`), the form sent by urllib3's multipart encoder (what `requests`
uses), with the policy's conditions enforced; an unsigned form only where
the bucket's ACL grants public writes.
"""
import urllib.error
import urllib.request

import pytest
import urllib3
from botocore.exceptions import ClientError

from s3_helpers import empty_and_delete_bucket

BUCKET = "boto3-browser"
APP = "https://app.example"

RULES = {
    "CORSRules": [
        {
            "ID": "app",
            "AllowedOrigins": [APP],
            "AllowedMethods": ["PUT", "POST", "DELETE"],
            "AllowedHeaders": ["Content-Type", "x-amz-*"],
            "ExposeHeaders": ["ETag"],
            "MaxAgeSeconds": 300,
        },
        {"AllowedOrigins": ["*"], "AllowedMethods": ["GET", "HEAD"]},
    ]
}


@pytest.fixture(scope="module")
def target(s3_target):
    client = s3_target.boto3_client()
    client.create_bucket(Bucket=BUCKET)
    yield s3_target, client
    empty_and_delete_bucket(client, BUCKET)


def http(method, url, headers=None, data=None):
    """(status, headers, body) of one request, errors included."""
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def test_cors_configuration_and_preflight(target):
    s3_target, s3 = target
    with pytest.raises(ClientError) as err:
        s3.get_bucket_cors(Bucket=BUCKET)
    assert err.value.response["Error"]["Code"] == "NoSuchCORSConfiguration"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404

    s3.put_bucket_cors(Bucket=BUCKET, CORSConfiguration=RULES)
    got = s3.get_bucket_cors(Bucket=BUCKET)["CORSRules"]
    assert got[0]["ID"] == "app"
    assert got[0]["AllowedOrigins"] == [APP]
    assert got[0]["AllowedHeaders"] == ["Content-Type", "x-amz-*"]
    assert got[0]["MaxAgeSeconds"] == 300
    assert got[1]["AllowedMethods"] == ["GET", "HEAD"]

    with pytest.raises(ClientError) as err:
        s3.put_bucket_cors(Bucket=BUCKET, CORSConfiguration={
            "CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]}]})
    assert err.value.response["Error"]["Code"] == "InvalidRequest"

    url = f"{s3_target.endpoint}/{BUCKET}/upload.bin"
    status, headers, _ = http("OPTIONS", url, {
        "Origin": APP,
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "content-type,x-amz-date",
    })
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == APP
    assert headers["Access-Control-Allow-Methods"] == "PUT, POST, DELETE"
    assert headers["Access-Control-Allow-Headers"] == "content-type, x-amz-date"
    assert headers["Access-Control-Max-Age"] == "300"
    assert headers["Access-Control-Expose-Headers"] == "ETag"

    status, headers, body = http("OPTIONS", url, {
        "Origin": "https://evil.example", "Access-Control-Request-Method": "PUT"})
    assert status == 403
    assert b"<Code>AccessForbidden</Code>" in body
    assert headers.get("Access-Control-Allow-Origin") is None

    # A presigned GET from a page on another origin.
    s3.put_object(Bucket=BUCKET, Key="shared.txt", Body=b"shared")
    signed = s3.generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": "shared.txt"}, ExpiresIn=300)
    status, headers, body = http("GET", signed, {"Origin": "https://reader.example"})
    assert (status, body) == (200, b"shared")
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "Origin" in headers["Vary"]

    s3.delete_bucket_cors(Bucket=BUCKET)
    status, _, _ = http("OPTIONS", url, {"Origin": APP, "Access-Control-Request-Method": "PUT"})
    assert status == 403


def form_post(url, fields, filename, data):
    """POSTs `fields` and then the file as multipart/form-data, encoded by
    urllib3 as `requests` encodes it: (status, headers, body)."""
    body = dict(fields)
    body["file"] = (filename, data, "application/octet-stream")
    resp = urllib3.request("POST", url, fields=body, redirect=False, timeout=60)
    return resp.status, resp.headers, resp.data


def test_presigned_post(target):
    s3_target, s3 = target
    url = f"{s3_target.endpoint}/{BUCKET}"

    post = s3.generate_presigned_post(
        BUCKET, "forms/${filename}",
        Fields={"Content-Type": "text/plain", "success_action_status": "201"},
        Conditions=[
            {"Content-Type": "text/plain"},
            {"success_action_status": "201"},
            ["content-length-range", 1, 1024 * 1024],
        ],
        ExpiresIn=300,
    )
    status, headers, body = form_post(url, post["fields"], "hello.txt", b"hello from a form")
    assert status == 201, body
    assert b"<Key>forms/hello.txt</Key>" in body
    got = s3.get_object(Bucket=BUCKET, Key="forms/hello.txt")
    assert got["Body"].read() == b"hello from a form"
    assert got["ContentType"] == "text/plain"
    assert headers["ETag"] == got["ETag"]

    # 204 by default, a 3 MiB file (past the gateway's look-ahead).
    post = s3.generate_presigned_post(BUCKET, "forms/big.bin", ExpiresIn=300)
    big = bytes(range(256)) * (12 * 1024)
    status, _, body = form_post(url, post["fields"], "big.bin", big)
    assert status == 204, body
    assert s3.get_object(Bucket=BUCKET, Key="forms/big.bin")["Body"].read() == big

    # Refusals with AWS's codes.
    post = s3.generate_presigned_post(
        BUCKET, "forms/small", Conditions=[["content-length-range", 1, 4]], ExpiresIn=300)
    status, _, body = form_post(url, post["fields"], "f", b"too long")
    assert status == 400 and b"<Code>EntityTooLarge</Code>" in body

    fields = dict(post["fields"], **{"x-amz-meta-extra": "1"})
    status, _, body = form_post(url, fields, "f", b"abc")
    assert status == 403 and b"Extra input fields: x-amz-meta-extra" in body

    fields = dict(post["fields"], key="elsewhere")
    status, _, body = form_post(url, fields, "f", b"abc")
    assert status == 403 and b"Policy Condition failed" in body

    fields = dict(post["fields"], signature="AAAA" + post["fields"]["signature"][4:])
    status, _, body = form_post(url, fields, "f", b"abc")
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body, body

    # boto3 signs presigned POSTs with SigV2 by default; with s3v4 the
    # form carries x-amz-credential, x-amz-date and x-amz-signature.
    v4 = s3_target.boto3_client(signature_version="s3v4")
    post = v4.generate_presigned_post(
        BUCKET, "forms/v4.txt", Fields={"x-amz-meta-kind": "v4"},
        Conditions=[{"x-amz-meta-kind": "v4"}], ExpiresIn=300)
    assert "x-amz-signature" in post["fields"]
    status, _, body = form_post(url, post["fields"], "v4.txt", b"signed v4")
    assert status == 204, body
    got = s3.get_object(Bucket=BUCKET, Key="forms/v4.txt")
    assert got["Body"].read() == b"signed v4"
    assert got["Metadata"] == {"kind": "v4"}
    fields = dict(post["fields"], **{"x-amz-signature": "0" * 64})
    status, _, body = form_post(url, fields, "v4.txt", b"x")
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body, body

    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="forms/").get("Contents", [])]
    assert sorted(keys) == ["forms/big.bin", "forms/hello.txt", "forms/v4.txt"]


def test_anonymous_post_needs_public_writes(target):
    s3_target, s3 = target
    url = f"{s3_target.endpoint}/{BUCKET}"
    status, _, body = form_post(url, {"key": "anon/a.txt"}, "a.txt", b"anonymous")
    assert status == 403 and b"<Code>AccessDenied</Code>" in body
    s3.put_bucket_acl(Bucket=BUCKET, ACL="public-read-write")
    try:
        status, _, body = form_post(url, {"key": "anon/a.txt"}, "a.txt", b"anonymous")
        assert status == 204, body
    finally:
        s3.put_bucket_acl(Bucket=BUCKET, ACL="private")
    assert s3.get_object(Bucket=BUCKET, Key="anon/a.txt")["Body"].read() == b"anonymous"

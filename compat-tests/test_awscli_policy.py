"""aws-cli's bucket policy and public access block commands against each S3
target (issue 12, "Bucket policies"): put-bucket-policy from a file,
get-bucket-policy, get-bucket-policy-status, MalformedPolicy, the public
access block commands with BlockPublicPolicy, delete-bucket-policy; and an
unsigned GET (curl-style) that the policy grants.
"""
import json
import urllib.error
import urllib.request

import pytest

from s3_helpers import aws_runner, empty_and_delete_bucket

BUCKET = "awscli-policy"


@pytest.fixture(scope="module")
def aws(s3_target, tmp_path_factory):
    run = aws_runner(s3_target.endpoint, tmp_path_factory.mktemp("aws-home"))
    run("s3api", "create-bucket", "--bucket", BUCKET)
    yield run
    empty_and_delete_bucket(s3_target.boto3_client(), BUCKET)


def api(aws, *args):
    out = aws("s3api", *args, "--output", "json")
    return json.loads(out.stdout) if out.stdout.strip() else None


def unsigned_get(endpoint, path):
    try:
        with urllib.request.urlopen(f"{endpoint}/{path}", timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


PUBLIC_READ = {"Version": "2012-10-17", "Statement": [{
    "Sid": "PublicRead", "Effect": "Allow", "Principal": "*",
    "Action": ["s3:GetObject"], "Resource": [f"arn:aws:s3:::{BUCKET}/*"]}]}


def test_policy_commands(aws, s3_target, tmp_path):
    body = tmp_path / "page.html"
    body.write_bytes(b"<p>public</p>")
    aws("s3", "cp", str(body), f"s3://{BUCKET}/page.html")
    assert unsigned_get(s3_target.endpoint, f"{BUCKET}/page.html")[0] == 403

    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(PUBLIC_READ))
    aws("s3api", "put-bucket-policy", "--bucket", BUCKET, "--policy", f"file://{policy}")
    got = api(aws, "get-bucket-policy", "--bucket", BUCKET)
    assert json.loads(got["Policy"]) == PUBLIC_READ
    status = api(aws, "get-bucket-policy-status", "--bucket", BUCKET)
    assert status["PolicyStatus"]["IsPublic"] is True
    assert unsigned_get(s3_target.endpoint, f"{BUCKET}/page.html") == (200, b"<p>public</p>")

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"Statement": [dict(PUBLIC_READ["Statement"][0],
                                                  Action="s3:Fly")]}))
    out = aws("s3api", "put-bucket-policy", "--bucket", BUCKET, "--policy", f"file://{bad}",
              check=False)
    assert out.returncode != 0 and "MalformedPolicy" in out.stderr, out.stderr
    assert "Policy has invalid action" in out.stderr

    aws("s3api", "delete-bucket-policy", "--bucket", BUCKET)
    out = aws("s3api", "get-bucket-policy", "--bucket", BUCKET, check=False)
    assert out.returncode != 0 and "NoSuchBucketPolicy" in out.stderr, out.stderr
    assert unsigned_get(s3_target.endpoint, f"{BUCKET}/page.html")[0] == 403


def test_public_access_block_commands(aws, tmp_path):
    conf = "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=false"
    aws("s3api", "put-public-access-block", "--bucket", BUCKET,
        "--public-access-block-configuration", conf)
    got = api(aws, "get-public-access-block", "--bucket", BUCKET)
    assert got["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": True,
        "BlockPublicPolicy": True, "RestrictPublicBuckets": False}
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(PUBLIC_READ))
    out = aws("s3api", "put-bucket-policy", "--bucket", BUCKET, "--policy", f"file://{policy}",
              check=False)
    assert out.returncode != 0 and "AccessDenied" in out.stderr, out.stderr
    out = aws("s3api", "put-object-acl", "--bucket", BUCKET, "--key", "page.html",
              "--acl", "public-read", check=False)
    assert out.returncode != 0 and "AccessDenied" in out.stderr, out.stderr

    aws("s3api", "delete-public-access-block", "--bucket", BUCKET)
    out = aws("s3api", "get-public-access-block", "--bucket", BUCKET, check=False)
    assert out.returncode != 0 and "NoSuchPublicAccessBlockConfiguration" in out.stderr

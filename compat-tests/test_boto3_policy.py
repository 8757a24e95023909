"""boto3 bucket policies and Public Access Block against each S3 target
(issue 12, "Bucket policies"): put/get/delete_bucket_policy with the
policy answered as sent, get_bucket_policy_status (public or not),
MalformedPolicy with AWS's messages, put/get/delete_public_access_block,
BlockPublicPolicy refusing a public policy with 403 AccessDenied, and
policies deciding requests: an unsigned (curl-style) GET allowed by a
public-read policy, Deny over Allow, RestrictPublicBuckets.
"""
import json
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from s3_helpers import empty_and_delete_bucket

BUCKET = "boto3-policy"


@pytest.fixture(scope="module")
def endpoint(s3_target):
    return s3_target.endpoint


@pytest.fixture(scope="module")
def s3(s3_target):
    client = s3_target.boto3_client()
    client.create_bucket(Bucket=BUCKET)
    yield client
    for call in (client.delete_public_access_block, client.delete_bucket_policy):
        call(Bucket=BUCKET)
    empty_and_delete_bucket(client, BUCKET)


def error(call, *args, **kwargs):
    """(code, HTTP status, message) of a call that must fail."""
    with pytest.raises(ClientError) as err:
        call(*args, **kwargs)
    resp = err.value.response
    return (resp["Error"]["Code"], resp["ResponseMetadata"]["HTTPStatusCode"],
            resp["Error"].get("Message"))


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


PUBLIC_READ = {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*",
               "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}
PINNED = dict(PUBLIC_READ, Sid="Pinned",
              Condition={"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}})


def test_policy_put_get_status_delete(s3):
    assert error(s3.get_bucket_policy, Bucket=BUCKET)[:2] == ("NoSuchBucketPolicy", 404)
    text = policy(PUBLIC_READ)
    s3.put_bucket_policy(Bucket=BUCKET, Policy=text)
    assert s3.get_bucket_policy(Bucket=BUCKET)["Policy"] == text
    status = s3.get_bucket_policy_status(Bucket=BUCKET)["PolicyStatus"]
    assert status["IsPublic"] is True

    pinned = policy(PINNED)
    s3.put_bucket_policy(Bucket=BUCKET, Policy=pinned,
                         ConfirmRemoveSelfBucketAccess=True)
    assert s3.get_bucket_policy(Bucket=BUCKET)["Policy"] == pinned
    status = s3.get_bucket_policy_status(Bucket=BUCKET)["PolicyStatus"]
    assert status["IsPublic"] is False

    s3.delete_bucket_policy(Bucket=BUCKET)
    assert error(s3.get_bucket_policy, Bucket=BUCKET)[:2] == ("NoSuchBucketPolicy", 404)
    assert error(s3.get_bucket_policy_status, Bucket=BUCKET)[:2] == ("NoSuchBucketPolicy", 404)


@pytest.mark.parametrize("text,message", [
    ("not json", "Policies must be valid JSON and the first byte must be '{'"),
    (policy(dict(PUBLIC_READ, Action="s3:GetObjekt")), "Policy has invalid action"),
    (policy(dict(PUBLIC_READ, Resource="arn:aws:s3:::elsewhere/*")), "Policy has invalid resource"),
    (policy(dict(PUBLIC_READ, Effect="Permit")), "Invalid effect: Permit"),
    (policy({k: v for k, v in PUBLIC_READ.items() if k != "Principal"}),
     "Missing required field Principal"),
    (policy(dict(PINNED, Condition={"IpAddresss": {"aws:SourceIp": "1.2.3.4"}})),
     "Invalid Condition type : IpAddresss"),
])
def test_malformed_policies(s3, text, message):
    assert error(s3.put_bucket_policy, Bucket=BUCKET, Policy=text) == (
        "MalformedPolicy", 400, message)


def test_public_access_block(s3):
    s3.delete_bucket_policy(Bucket=BUCKET)
    assert error(s3.get_public_access_block, Bucket=BUCKET)[:2] == (
        "NoSuchPublicAccessBlockConfiguration", 404)
    conf = {"BlockPublicAcls": True, "IgnorePublicAcls": False,
            "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    s3.put_public_access_block(Bucket=BUCKET, PublicAccessBlockConfiguration=conf)
    got = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert got == conf

    # BlockPublicPolicy: public refused, pinned accepted.
    assert error(s3.put_bucket_policy, Bucket=BUCKET,
                 Policy=policy(PUBLIC_READ))[:2] == ("AccessDenied", 403)
    s3.put_bucket_policy(Bucket=BUCKET, Policy=policy(PINNED))

    s3.delete_public_access_block(Bucket=BUCKET)
    assert error(s3.get_public_access_block, Bucket=BUCKET)[:2] == (
        "NoSuchPublicAccessBlockConfiguration", 404)
    s3.put_bucket_policy(Bucket=BUCKET, Policy=policy(PUBLIC_READ))


def anonymous(endpoint, path):
    """(status, body) of an unsigned GET, as curl sends it."""
    try:
        with urllib.request.urlopen(f"{endpoint}/{path}", timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_policies_decide_unsigned_requests(s3, endpoint):
    s3.delete_public_access_block(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="www/index.html", Body=b"<h1>hi</h1>")
    s3.put_object(Bucket=BUCKET, Key="www/secret/x", Body=b"no")
    s3.delete_bucket_policy(Bucket=BUCKET)
    assert anonymous(endpoint, f"{BUCKET}/www/index.html")[0] == 403

    deny = {"Sid": "NoSecrets", "Effect": "Deny", "Principal": "*",
            "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/www/secret/*"}
    s3.put_bucket_policy(Bucket=BUCKET, Policy=policy(PUBLIC_READ, deny))
    assert anonymous(endpoint, f"{BUCKET}/www/index.html") == (200, b"<h1>hi</h1>")
    assert anonymous(endpoint, f"{BUCKET}/www/secret/x")[0] == 403
    assert anonymous(endpoint, f"{BUCKET}?list-type=2")[0] == 403
    # The Deny applies to the owner as well.
    assert error(s3.get_object, Bucket=BUCKET, Key="www/secret/x")[:2] == ("AccessDenied", 403)

    # RestrictPublicBuckets: the public policy grants nobody but the owner.
    s3.put_public_access_block(Bucket=BUCKET, PublicAccessBlockConfiguration={
        "RestrictPublicBuckets": True})
    assert anonymous(endpoint, f"{BUCKET}/www/index.html")[0] == 403
    assert s3.get_object(Bucket=BUCKET, Key="www/index.html")["Body"].read() == b"<h1>hi</h1>"
    s3.delete_public_access_block(Bucket=BUCKET)
    assert anonymous(endpoint, f"{BUCKET}/www/index.html")[0] == 200
    s3.delete_bucket_policy(Bucket=BUCKET)
    assert anonymous(endpoint, f"{BUCKET}/www/index.html")[0] == 403

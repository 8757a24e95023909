"""boto3 ACLs, owners and anonymous access against each S3 target (issue
12): canonical owner IDs that ListBuckets, ListObjects and the ACLs agree
on; canned ACLs and grants on writes; Put/Get Bucket and Object ACLs with a
second owner's key; unsigned GETs of public objects and listings of public
buckets (plain urllib, no signature); Object Ownership; `fdfs gateway key
allow`.
"""
import os
import re
import subprocess
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from conftest import fdfs_bin
from s3_helpers import empty_and_delete_bucket

BUCKET = "boto3-acl"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def gateway_data(target):
    """The data directory of the target's gateway (its index)."""
    return getattr(target, "gateway_dir", None) or os.path.join(target.dir, "data", "gateway")


def fdfs_key(target, *args):
    out = subprocess.run([fdfs_bin(), "gateway", "key", *args, "--data", gateway_data(target)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.fixture(scope="module")
def s3(s3_target):
    client = s3_target.boto3_client()
    client.create_bucket(Bucket=BUCKET)
    yield client
    for bucket in (BUCKET, BUCKET + "-pub", BUCKET + "-own", BUCKET + "-team"):
        try:
            empty_and_delete_bucket(client, bucket)
        except ClientError:
            pass


@pytest.fixture(scope="module")
def bob(s3_target, s3):
    """A client of a second owner, `bob`, made with `fdfs gateway key create`."""
    import boto3
    from botocore.config import Config

    made = fdfs_key(s3_target, "create", "--owner", "bob")
    key_id = re.search(r"access_key_id: (\S+)", made).group(1)
    secret = re.search(r"secret_access_key: (\S+)", made).group(1)
    client = boto3.client(
        "s3", endpoint_url=s3_target.endpoint, region_name="us-east-1",
        aws_access_key_id=key_id, aws_secret_access_key=secret,
        config=Config(s3={"addressing_style": "path"}),
    )
    client.owner_id = client.list_buckets()["Owner"]["ID"]
    return client


def error(call, *args, **kwargs):
    with pytest.raises(ClientError) as err:
        call(*args, **kwargs)
    resp = err.value.response
    return resp["Error"]["Code"], resp["ResponseMetadata"]["HTTPStatusCode"]


def unsigned(target, path):
    """(status, body) of a plain unsigned GET, as curl would send it."""
    try:
        with urllib.request.urlopen(target.endpoint + path, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_owner_ids_agree(s3, bob):
    me = s3.list_buckets()["Owner"]
    assert re.fullmatch(r"[0-9a-f]{64}", me["ID"]) and me["DisplayName"]
    assert bob.owner_id != me["ID"]
    s3.put_object(Bucket=BUCKET, Key="mine", Body=b"m")
    listed = s3.list_objects(Bucket=BUCKET)["Contents"][0]["Owner"]
    assert listed["ID"] == me["ID"]
    v2 = s3.list_objects_v2(Bucket=BUCKET, FetchOwner=True)["Contents"][0]["Owner"]
    assert v2["ID"] == me["ID"]
    versions = s3.list_object_versions(Bucket=BUCKET)["Versions"][0]["Owner"]
    assert versions["ID"] == me["ID"]
    assert s3.get_bucket_acl(Bucket=BUCKET)["Owner"]["ID"] == me["ID"]
    acl = s3.get_object_acl(Bucket=BUCKET, Key="mine")
    assert acl["Owner"]["ID"] == me["ID"]
    assert [(g["Grantee"]["ID"], g["Permission"]) for g in acl["Grants"]] == [
        (me["ID"], "FULL_CONTROL")]


def test_anonymous_reads_exactly_what_is_public(s3_target, s3):
    s3.put_object(Bucket=BUCKET, Key="open", Body=b"hello", ACL="public-read")
    s3.put_object(Bucket=BUCKET, Key="closed", Body=b"secret")
    assert unsigned(s3_target, f"/{BUCKET}/open") == (200, b"hello")
    status, body = unsigned(s3_target, f"/{BUCKET}/closed")
    assert status == 403 and b"AccessDenied" in body
    # The bucket is private: no unsigned listing.
    assert unsigned(s3_target, f"/{BUCKET}")[0] == 403
    pub = BUCKET + "-pub"
    s3.create_bucket(Bucket=pub, ACL="public-read")
    s3.put_object(Bucket=pub, Key="listed", Body=b"x")
    status, body = unsigned(s3_target, f"/{pub}?list-type=2")
    assert status == 200 and b"<Key>listed</Key>" in body
    assert unsigned(s3_target, f"/{pub}/listed")[0] == 403
    # Making the object public afterwards, then private again.
    s3.put_object_acl(Bucket=pub, Key="listed", ACL="public-read")
    assert unsigned(s3_target, f"/{pub}/listed") == (200, b"x")
    s3.put_object_acl(Bucket=pub, Key="listed", ACL="private")
    assert unsigned(s3_target, f"/{pub}/listed")[0] == 403


def test_grants_to_another_owner(s3, bob):
    s3.put_object(Bucket=BUCKET, Key="shared", Body=b"s")
    assert error(bob.get_object, Bucket=BUCKET, Key="shared") == ("AccessDenied", 403)
    assert error(bob.list_objects_v2, Bucket=BUCKET) == ("AccessDenied", 403)
    me = s3.get_bucket_acl(Bucket=BUCKET)["Owner"]
    s3.put_bucket_acl(Bucket=BUCKET, GrantRead=f'id="{bob.owner_id}"',
                      GrantFullControl=f'id="{me["ID"]}"')
    assert bob.list_objects_v2(Bucket=BUCKET)["KeyCount"] >= 1
    grants = s3.get_bucket_acl(Bucket=BUCKET)["Grants"]
    assert {"Grantee": {"ID": bob.owner_id, "DisplayName": "bob", "Type": "CanonicalUser"},
            "Permission": "READ"} in grants
    policy = {
        "Owner": {"ID": me["ID"]},
        "Grants": [
            {"Grantee": {"ID": me["ID"], "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"},
            {"Grantee": {"ID": bob.owner_id, "Type": "CanonicalUser"}, "Permission": "READ"},
        ],
    }
    s3.put_object_acl(Bucket=BUCKET, Key="shared", AccessControlPolicy=policy)
    assert bob.get_object(Bucket=BUCKET, Key="shared")["Body"].read() == b"s"
    assert error(bob.get_object_acl, Bucket=BUCKET, Key="shared") == ("AccessDenied", 403)
    assert error(bob.put_object, Bucket=BUCKET, Key="b", Body=b"b") == ("AccessDenied", 403)
    assert error(s3.put_bucket_acl, Bucket=BUCKET,
                 GrantRead='emailAddress="bob@example.com"') == (
        "UnresolvableGrantByEmailAddress", 400)
    assert error(s3.put_bucket_acl, Bucket=BUCKET, GrantRead="id=\"" + "0" * 64 + "\"") == (
        "InvalidArgument", 400)
    s3.put_bucket_acl(Bucket=BUCKET, ACL="private")
    assert error(bob.list_objects_v2, Bucket=BUCKET) == ("AccessDenied", 403)


def test_object_ownership(s3, bob):
    own = BUCKET + "-own"
    s3.create_bucket(Bucket=own, ObjectOwnership="BucketOwnerEnforced")
    rules = s3.get_bucket_ownership_controls(Bucket=own)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert error(s3.put_object, Bucket=own, Key="k", Body=b"k", ACL="public-read") == (
        "AccessControlListNotSupported", 400)
    s3.put_object(Bucket=own, Key="k", Body=b"k", ACL="bucket-owner-full-control")
    s3.put_bucket_ownership_controls(
        Bucket=own, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    s3.put_object(Bucket=own, Key="k2", Body=b"k", ACL="public-read")
    s3.delete_bucket_ownership_controls(Bucket=own)
    assert error(s3.get_bucket_ownership_controls, Bucket=own) == (
        "OwnershipControlsNotFoundError", 404)


def test_key_allow_from_the_command_line(s3_target, s3, bob):
    team = BUCKET + "-team"
    s3.create_bucket(Bucket=team)
    s3.put_object(Bucket=team, Key="plan", Body=b"p")
    assert error(bob.get_object, Bucket=team, Key="plan") == ("AccessDenied", 403)
    fdfs_key(s3_target, "allow", "--bucket", team, "--owner", "bob", "--read", "--write")
    assert bob.get_object(Bucket=team, Key="plan")["Body"].read() == b"p"
    bob.put_object(Bucket=team, Key="bobs", Body=b"b")
    fdfs_key(s3_target, "deny", "--bucket", team, "--owner", "bob")
    assert error(bob.get_object, Bucket=team, Key="plan") == ("AccessDenied", 403)

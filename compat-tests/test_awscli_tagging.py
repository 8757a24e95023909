"""Tagging through the clients users run, against each S3 target:
aws-cli's `s3api put-object --tagging`, put-object-tagging /
get-object-tagging / delete-object-tagging (with --version-id in a
versioned bucket), get-object's TagCount, copy-object with
--tagging-directive, put-bucket-tagging / get-bucket-tagging /
delete-bucket-tagging (NoSuchTagSet without one), AWS's limits with
AWS's error codes; and boto3's create_multipart_upload with Tagging, whose
tags the completed object gets.
"""
import json

import pytest

from s3_helpers import aws_runner, empty_and_delete_bucket

BUCKET = "awscli-tagging"


@pytest.fixture(scope="module")
def aws(s3_target, tmp_path_factory):
    return aws_runner(s3_target.endpoint, tmp_path_factory.mktemp("aws-home"))


def api(aws, *command):
    out = aws("s3api", *command, "--output", "json")
    return json.loads(out.stdout) if out.stdout.strip() else {}


def fails(aws, code, *command):
    out = aws("s3api", *command, check=False)
    assert out.returncode in (254, 255), (command, out.returncode, out.stdout, out.stderr)
    assert f"An error occurred ({code})" in out.stderr, (command, out.stderr)


def tag_set(aws, key, *extra):
    got = api(aws, "get-object-tagging", "--bucket", BUCKET, "--key", key, *extra)
    return sorted((t["Key"], t["Value"]) for t in got["TagSet"])


def test_object_and_bucket_tagging_with_awscli(aws, s3_target, tmp_path):
    api(aws, "create-bucket", "--bucket", BUCKET)
    body = tmp_path / "body"
    body.write_bytes(b"tagged")
    try:
        api(aws, "put-object", "--bucket", BUCKET, "--key", "doc", "--body", str(body),
            "--tagging", "project=blue&note=two%20words")
        assert tag_set(aws, "doc") == [("note", "two words"), ("project", "blue")]
        got = api(aws, "get-object", "--bucket", BUCKET, "--key", "doc", str(tmp_path / "out"))
        assert got["TagCount"] == 2

        api(aws, "put-object-tagging", "--bucket", BUCKET, "--key", "doc",
            "--tagging", "TagSet=[{Key=stage,Value=final},{Key=owner,Value=ops@example}]")
        assert tag_set(aws, "doc") == [("owner", "ops@example"), ("stage", "final")]

        # The copy keeps the source's tags, or takes new ones with REPLACE.
        api(aws, "copy-object", "--bucket", BUCKET, "--key", "kept",
            "--copy-source", f"{BUCKET}/doc")
        assert tag_set(aws, "kept") == [("owner", "ops@example"), ("stage", "final")]
        api(aws, "copy-object", "--bucket", BUCKET, "--key", "replaced",
            "--copy-source", f"{BUCKET}/doc", "--tagging-directive", "REPLACE",
            "--tagging", "copy=1")
        assert tag_set(aws, "replaced") == [("copy", "1")]

        api(aws, "delete-object-tagging", "--bucket", BUCKET, "--key", "doc")
        assert tag_set(aws, "doc") == []
        got = api(aws, "get-object", "--bucket", BUCKET, "--key", "doc", str(tmp_path / "out"))
        assert "TagCount" not in got

        eleven = ",".join(f"{{Key=k{i},Value=v}}" for i in range(11))
        fails(aws, "BadRequest", "put-object-tagging", "--bucket", BUCKET, "--key", "doc",
              "--tagging", f"TagSet=[{eleven}]")
        fails(aws, "InvalidTag", "put-object-tagging", "--bucket", BUCKET, "--key", "doc",
              "--tagging", "TagSet=[{Key=aws:x,Value=v}]")
        fails(aws, "InvalidArgument", "put-object", "--bucket", BUCKET, "--key", "dup",
              "--body", str(body), "--tagging", "a=1&a=2")
        fails(aws, "NoSuchKey", "get-object-tagging", "--bucket", BUCKET, "--key", "missing")

        # Bucket tags.
        fails(aws, "NoSuchTagSet", "get-bucket-tagging", "--bucket", BUCKET)
        api(aws, "put-bucket-tagging", "--bucket", BUCKET,
            "--tagging", "TagSet=[{Key=team,Value=storage},{Key=cost,Value=42}]")
        got = api(aws, "get-bucket-tagging", "--bucket", BUCKET)
        assert sorted((t["Key"], t["Value"]) for t in got["TagSet"]) == [
            ("cost", "42"), ("team", "storage")]
        api(aws, "delete-bucket-tagging", "--bucket", BUCKET)
        fails(aws, "NoSuchTagSet", "get-bucket-tagging", "--bucket", BUCKET)

        # Versions: each its own tags, addressed by --version-id.
        api(aws, "put-bucket-versioning", "--bucket", BUCKET,
            "--versioning-configuration", "Status=Enabled")
        v1 = api(aws, "put-object", "--bucket", BUCKET, "--key", "ver", "--body", str(body),
                 "--tagging", "gen=1")["VersionId"]
        v2 = api(aws, "put-object", "--bucket", BUCKET, "--key", "ver", "--body", str(body),
                 "--tagging", "gen=2")["VersionId"]
        out = api(aws, "put-object-tagging", "--bucket", BUCKET, "--key", "ver",
                  "--version-id", v1, "--tagging", "TagSet=[{Key=gen,Value=first}]")
        assert out["VersionId"] == v1
        assert tag_set(aws, "ver", "--version-id", v1) == [("gen", "first")]
        assert tag_set(aws, "ver") == [("gen", "2")]
        got = api(aws, "get-object-tagging", "--bucket", BUCKET, "--key", "ver")
        assert got["VersionId"] == v2

        # boto3: an upload's tags reach the completed object.
        s3 = s3_target.boto3_client()
        up = s3.create_multipart_upload(Bucket=BUCKET, Key="mp", Tagging="stage=raw&n=2")
        part = s3.upload_part(Bucket=BUCKET, Key="mp", UploadId=up["UploadId"], PartNumber=1,
                              Body=b"part")
        s3.complete_multipart_upload(
            Bucket=BUCKET, Key="mp", UploadId=up["UploadId"],
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
        got = s3.get_object_tagging(Bucket=BUCKET, Key="mp")
        assert sorted((t["Key"], t["Value"]) for t in got["TagSet"]) == [
            ("n", "2"), ("stage", "raw")]
        assert s3.get_object(Bucket=BUCKET, Key="mp")["TagCount"] == 2
    finally:
        empty_and_delete_bucket(s3_target.boto3_client(), BUCKET)

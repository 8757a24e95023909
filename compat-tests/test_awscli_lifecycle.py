"""aws-cli's lifecycle commands against an `fdfs server`, and the cluster's
`fdfs gateway`, whose lifecycle day
is three seconds (FDFS_LIFECYCLE_DAY_SECONDS=3, the test-only time scale:
long enough for aws-cli, which takes about a second per command, to see an
object before it expires) and whose worker runs every second
(--lifecycle-interval 1):

- put-bucket-lifecycle-configuration / get-bucket-lifecycle-configuration /
  delete-bucket-lifecycle round trip, and 404 NoSuchLifecycleConfiguration
  without a configuration;
- AWS's error codes for a bad configuration;
- an object under the rule's prefix announced with `Expiration` by
  put-object and head-object, then expired by the worker, while an object
  outside the prefix stays;
- a stale multipart upload aborted by AbortIncompleteMultipartUpload;
- in a versioned bucket (put-bucket-versioning): a delete marker for an
  expired current version, and noncurrent versions beyond
  NewerNoncurrentVersions expired (list-object-versions).
"""
import json
import time

import pytest

from s3_helpers import aws_runner

BUCKET = "lifecycle-compat"


ARGS = ["--lifecycle-interval", "1"]
ENV = {"FDFS_LIFECYCLE_DAY_SECONDS": "3"}


@pytest.fixture(scope="module", params=["server", "cluster"])
def server(request):
    if request.param == "server":
        from s3_server import S3Server

        s = S3Server(extra_args=ARGS, extra_env=ENV)
    else:
        from s3_cluster import S3Cluster

        s = S3Cluster(gateway_args=ARGS, gateway_env=ENV)
    try:
        s.start()
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="module")
def aws(server, tmp_path_factory):
    run = aws_runner(server.endpoint, tmp_path_factory.mktemp("aws-home"))
    run("s3api", "create-bucket", "--bucket", BUCKET)
    return run


def api(aws, *args, check=True):
    out = aws("s3api", *args, "--output", "json", check=check)
    return json.loads(out.stdout) if check and out.stdout.strip() else out


def put_config(aws, tmp_path, rules, check=True):
    path = tmp_path / "lifecycle.json"
    path.write_text(json.dumps({"Rules": rules}))
    return aws("s3api", "put-bucket-lifecycle-configuration", "--bucket", BUCKET,
               "--lifecycle-configuration", f"file://{path}", check=check)


def error_code(out):
    assert out.returncode in (254, 255), (out.returncode, out.stdout, out.stderr)
    return out.stderr.split("An error occurred (", 1)[1].split(")", 1)[0]


def exists(aws, key):
    out = aws("s3api", "head-object", "--bucket", BUCKET, "--key", key, check=False)
    if out.returncode == 0:
        return True
    assert "404" in out.stderr, out.stderr
    return False


RULES = [
    {"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"},
     "Expiration": {"Days": 1}},
    {"ID": "uploads", "Status": "Enabled", "Filter": {"Prefix": "mp/"},
     "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}},
    {"ID": "sized", "Status": "Disabled",
     "Filter": {"And": {"Prefix": "logs/", "ObjectSizeGreaterThan": 10,
                        "ObjectSizeLessThan": 1000}},
     "NoncurrentVersionExpiration": {"NoncurrentDays": 3, "NewerNoncurrentVersions": 2}},
]


def test_configuration_round_trip(aws, tmp_path):
    out = aws("s3api", "get-bucket-lifecycle-configuration", "--bucket", BUCKET, check=False)
    assert error_code(out) == "NoSuchLifecycleConfiguration"
    put_config(aws, tmp_path, RULES)
    got = api(aws, "get-bucket-lifecycle-configuration", "--bucket", BUCKET)
    assert got["Rules"] == RULES
    aws("s3api", "delete-bucket-lifecycle", "--bucket", BUCKET)
    out = aws("s3api", "get-bucket-lifecycle-configuration", "--bucket", BUCKET, check=False)
    assert error_code(out) == "NoSuchLifecycleConfiguration"


@pytest.mark.parametrize("rule,code", [
    ({"ID": "r", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 0}},
     "InvalidArgument"),
    ({"ID": "r", "Status": "Enabled", "Filter": {"Tag": {"Key": "k", "Value": "v"}},
      "Expiration": {"ExpiredObjectDeleteMarker": True}}, "InvalidRequest"),
    ({"ID": "r", "Status": "Enabled", "Filter": {},
      "Expiration": {"Days": 1, "ExpiredObjectDeleteMarker": True}}, "MalformedXML"),
    ({"ID": "r", "Status": "Enabled", "Filter": {},
      "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}]}, "NotImplemented"),
])
def test_invalid_configurations(aws, tmp_path, rule, code):
    assert error_code(put_config(aws, tmp_path, [rule], check=False)) == code


def test_objects_and_uploads_expire(aws, tmp_path):
    put_config(aws, tmp_path, RULES[:2])
    body = tmp_path / "body"
    body.write_bytes(b"lifecycle")
    put = api(aws, "put-object", "--bucket", BUCKET, "--key", "tmp/a", "--body", str(body))
    assert put["Expiration"].startswith('expiry-date="'), put
    assert put["Expiration"].endswith('rule-id="tmp"'), put
    head = api(aws, "head-object", "--bucket", BUCKET, "--key", "tmp/a")
    assert head["Expiration"] == put["Expiration"]
    kept = api(aws, "put-object", "--bucket", BUCKET, "--key", "keep/b", "--body", str(body))
    assert "Expiration" not in kept
    upload = api(aws, "create-multipart-upload", "--bucket", BUCKET, "--key", "mp/stale")
    other = api(aws, "create-multipart-upload", "--bucket", BUCKET, "--key", "other/u")

    deadline = time.time() + 60
    while exists(aws, "tmp/a"):
        assert time.time() < deadline, "tmp/a never expired"
        time.sleep(0.5)
    while True:
        uploads = api(aws, "list-multipart-uploads", "--bucket", BUCKET).get("Uploads", [])
        ids = {u["UploadId"] for u in uploads}
        if upload["UploadId"] not in ids:
            assert other["UploadId"] in ids
            break
        assert time.time() < deadline, "stale upload never aborted"
        time.sleep(0.5)
    assert exists(aws, "keep/b")
    aws("s3api", "abort-multipart-upload", "--bucket", BUCKET, "--key", "other/u",
        "--upload-id", other["UploadId"])


def test_versioned_bucket(aws, tmp_path):
    """put-bucket-versioning, then: the current version's expiry adds a
    delete marker, noncurrent versions beyond NewerNoncurrentVersions
    expire, and list-object-versions shows it."""
    bucket = "lifecycle-versions"
    aws("s3api", "create-bucket", "--bucket", bucket)
    aws("s3api", "put-bucket-versioning", "--bucket", bucket,
        "--versioning-configuration", "Status=Enabled")
    rules = [
        {"ID": "cur", "Status": "Enabled", "Filter": {"Prefix": "cur/"},
         "Expiration": {"Days": 1}},
        {"ID": "nc", "Status": "Enabled", "Filter": {"Prefix": "nc/"},
         "NoncurrentVersionExpiration": {"NoncurrentDays": 1, "NewerNoncurrentVersions": 1}},
    ]
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"Rules": rules}))
    aws("s3api", "put-bucket-lifecycle-configuration", "--bucket", bucket,
        "--lifecycle-configuration", f"file://{path}")
    body = tmp_path / "body"
    body.write_bytes(b"v")
    aws("s3api", "put-object", "--bucket", bucket, "--key", "cur/a", "--body", str(body))
    made = [api(aws, "put-object", "--bucket", bucket, "--key", "nc/k", "--body", str(body))
            ["VersionId"] for _ in range(3)]

    def listing(prefix):
        out = api(aws, "list-object-versions", "--bucket", bucket, "--prefix", prefix)
        return out.get("Versions", []), out.get("DeleteMarkers", [])

    deadline = time.time() + 60
    while True:
        versions, markers = listing("cur/")
        if markers:
            assert [m["IsLatest"] for m in markers] == [True]
            assert [v["IsLatest"] for v in versions] == [False]
            break
        assert time.time() < deadline, "no delete marker for cur/a"
        time.sleep(0.5)
    while True:
        versions, _ = listing("nc/")
        if len(versions) == 2:
            assert [v["VersionId"] for v in versions] == made[:0:-1]
            break
        assert time.time() < deadline, f"noncurrent versions never expired: {versions}"
        time.sleep(0.5)

"""Object Lock with aws-cli's `aws s3api` against `fdfs server` and the
cluster (whose storages name the gateway with `--lock-admin-host`): a bucket
created with --object-lock-enabled-for-bucket (and so versioned, for good),
put/get-object-lock-configuration with a default retention, put-object with
lock headers, put/get-object-retention, put/get-object-legal-hold,
head-object's lock fields, and deletes by --version-id refused (403
AccessDenied) while a version is retained or held, allowed for GOVERNANCE
with --bypass-governance-retention; a plain delete-object adds a delete
marker, as on AWS.

Only GOVERNANCE retentions are used for objects that must go away at the
end; the COMPLIANCE case is 20 seconds long, since nothing (not even
the test) can delete it before its date.
"""
import datetime
import json
import time

import pytest

from s3_helpers import aws_runner

BUCKET = "lock-compat"


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


def iso(seconds_from_now):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds_from_now)
    return t.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def stamp(value):
    """An aws-cli timestamp ("2026-12-06T23:00:00+00:00" or "...Z") as unix seconds."""
    return int(datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())


@pytest.fixture(scope="module")
def bucket(aws):
    api(aws, "create-bucket", "--bucket", BUCKET, "--object-lock-enabled-for-bucket",
        "--create-bucket-configuration", "LocationConstraint=group1")
    return BUCKET


def test_lock_configuration(aws, bucket):
    got = api(aws, "get-object-lock-configuration", "--bucket", bucket)
    assert got["ObjectLockConfiguration"]["ObjectLockEnabled"] == "Enabled"
    assert api(aws, "get-bucket-versioning", "--bucket", bucket)["Status"] == "Enabled"
    fails(aws, "InvalidBucketState", "put-bucket-versioning", "--bucket", bucket,
          "--versioning-configuration", "Status=Suspended")
    config = {"ObjectLockEnabled": "Enabled",
              "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}}
    api(aws, "put-object-lock-configuration", "--bucket", bucket,
        "--object-lock-configuration", json.dumps(config))
    got = api(aws, "get-object-lock-configuration", "--bucket", bucket)
    assert got["ObjectLockConfiguration"]["Rule"]["DefaultRetention"] == {"Mode": "GOVERNANCE",
                                                                         "Days": 1}
    bad = {"ObjectLockEnabled": "Enabled",
           "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1, "Years": 1}}}
    fails(aws, "MalformedXML", "put-object-lock-configuration", "--bucket", bucket,
          "--object-lock-configuration", json.dumps(bad))
    # The default retention reaches a plain PUT.
    version = api(aws, "put-object", "--bucket", bucket, "--key", "default",
                  "--body", __file__)["VersionId"]
    head = api(aws, "head-object", "--bucket", bucket, "--key", "default")
    assert head["ObjectLockMode"] == "GOVERNANCE"
    assert abs(stamp(head["ObjectLockRetainUntilDate"]) - (time.time() + 86400)) < 120
    fails(aws, "AccessDenied", "delete-object", "--bucket", bucket, "--key", "default",
          "--version-id", version)
    api(aws, "delete-object", "--bucket", bucket, "--key", "default", "--version-id", version,
        "--bypass-governance-retention")


def test_retention_and_legal_hold(aws, bucket, tmp_path):
    body = tmp_path / "body"
    body.write_bytes(b"retained")
    until = iso(3600)
    version = api(aws, "put-object", "--bucket", bucket, "--key", "gov", "--body", str(body),
                  "--object-lock-mode", "GOVERNANCE",
                  "--object-lock-retain-until-date", until)["VersionId"]
    got = api(aws, "get-object-retention", "--bucket", bucket, "--key", "gov")
    assert got["Retention"]["Mode"] == "GOVERNANCE"
    assert stamp(got["Retention"]["RetainUntilDate"]) == stamp(until)

    # Shortening a GOVERNANCE retention needs the bypass.
    shorter = {"Mode": "GOVERNANCE", "RetainUntilDate": iso(600)}
    fails(aws, "AccessDenied", "put-object-retention", "--bucket", bucket, "--key", "gov",
          "--retention", json.dumps(shorter))
    api(aws, "put-object-retention", "--bucket", bucket, "--key", "gov",
        "--retention", json.dumps(shorter), "--bypass-governance-retention")
    fails(aws, "InvalidArgument", "put-object-retention", "--bucket", bucket, "--key", "gov",
          "--retention", json.dumps({"Mode": "GOVERNANCE", "RetainUntilDate": iso(-60)}))

    # A legal hold stops even a bypassing delete until it is lifted.
    api(aws, "put-object-legal-hold", "--bucket", bucket, "--key", "gov",
        "--legal-hold", "Status=ON")
    assert api(aws, "get-object-legal-hold", "--bucket", bucket,
               "--key", "gov")["LegalHold"]["Status"] == "ON"
    assert api(aws, "head-object", "--bucket", bucket, "--key", "gov")["ObjectLockLegalHoldStatus"] == "ON"
    fails(aws, "AccessDenied", "delete-object", "--bucket", bucket, "--key", "gov",
          "--version-id", version, "--bypass-governance-retention")
    api(aws, "put-object-legal-hold", "--bucket", bucket, "--key", "gov",
        "--version-id", version, "--legal-hold", "Status=OFF")
    api(aws, "delete-object", "--bucket", bucket, "--key", "gov", "--version-id", version,
        "--bypass-governance-retention")
    fails(aws, "404", "head-object", "--bucket", bucket, "--key", "gov", "--version-id", version)


def test_compliance_cannot_be_shortened(aws, bucket, tmp_path):
    body = tmp_path / "body"
    body.write_bytes(b"compliance")
    # Long enough for the refusals below (each aws-cli start costs a second).
    until = iso(20)
    version = api(aws, "put-object", "--bucket", bucket, "--key", "comp", "--body", str(body),
                  "--object-lock-mode", "COMPLIANCE",
                  "--object-lock-retain-until-date", until)["VersionId"]
    for retention in ({"Mode": "GOVERNANCE", "RetainUntilDate": iso(3600)},
                      {"Mode": "COMPLIANCE", "RetainUntilDate": iso(10)}):
        fails(aws, "AccessDenied", "put-object-retention", "--bucket", bucket, "--key", "comp",
              "--retention", json.dumps(retention), "--bypass-governance-retention")
    fails(aws, "AccessDenied", "delete-object", "--bucket", bucket, "--key", "comp",
          "--version-id", version, "--bypass-governance-retention")
    # A plain delete only hides it behind a marker.
    assert api(aws, "delete-object", "--bucket", bucket, "--key", "comp")["DeleteMarker"] is True
    got = api(aws, "get-object-retention", "--bucket", bucket, "--key", "comp",
              "--version-id", version)
    assert got["Retention"]["Mode"] == "COMPLIANCE"
    time.sleep(max(0.0, stamp(until) - time.time()) + 1.5)
    api(aws, "delete-object", "--bucket", bucket, "--key", "comp", "--version-id", version)


def test_lock_headers_need_a_lock_bucket(aws, tmp_path):
    api(aws, "create-bucket", "--bucket", "no-lock-compat",
        "--create-bucket-configuration", "LocationConstraint=group1")
    body = tmp_path / "body"
    body.write_bytes(b"x")
    fails(aws, "InvalidRequest", "put-object", "--bucket", "no-lock-compat", "--key", "k",
          "--body", str(body), "--object-lock-legal-hold-status", "ON")
    fails(aws, "ObjectLockConfigurationNotFoundError", "get-object-lock-configuration",
          "--bucket", "no-lock-compat")
    api(aws, "delete-bucket", "--bucket", "no-lock-compat")

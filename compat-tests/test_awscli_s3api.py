"""aws-cli's low-level `aws s3api` commands against each S3 target, one
command per operation the gateway supports, errors included; the JSON output
is parsed and checked field by field.

Buckets: create-bucket (LocationConstraint naming the group `group1`),
head-bucket, get-bucket-location, list-buckets, delete-bucket. Objects:
put-object (--metadata, --content-type, --checksum-algorithm), head-object,
get-object (--range, --if-match / --if-none-match, --part-number),
copy-object (--metadata-directive REPLACE), delete-object, delete-objects.
Listings: list-objects, list-objects-v2 (--prefix, --delimiter,
--start-after, --max-items / --page-size, --encoding-type url),
list-object-versions. Multipart: create-multipart-upload, upload-part,
upload-part-copy (--copy-source-range), list-parts, list-multipart-uploads,
complete-multipart-upload, abort-multipart-upload.

aws-cli 1.x exits 255 on a service error (254 in 2.x) and prints
"An error occurred (CODE) when calling the OP operation"; a HEAD has no
body, so its code is the HTTP status.
"""
import base64
import hashlib
import json
import os
import urllib.parse

import pytest

from s3_helpers import aws_runner

BUCKET = "s3api-compat"
MiB = 1024 * 1024


@pytest.fixture(scope="module")
def aws(s3_target, tmp_path_factory):
    return aws_runner(s3_target.endpoint, tmp_path_factory.mktemp("aws-home"))


class Api:
    """`api(OP, ARGS...)` runs `aws s3api OP ARGS... --output json` and
    returns the parsed output ({} for none); `api.many([(OP, ARGS...), ...])`
    runs independent commands concurrently."""

    def __init__(self, aws):
        self.aws = aws

    def __call__(self, *command):
        return self.many([command])[0]

    def many(self, commands):
        outs = self.aws.many([("s3api", *c, "--output", "json") for c in commands])
        return [json.loads(o.stdout) if o.stdout.strip() else {} for o in outs]


@pytest.fixture(scope="module")
def api(aws):
    """The module's bucket is created with LocationConstraint=group1 and
    removed at the end."""
    run = Api(aws)
    run("create-bucket", "--bucket", BUCKET,
        "--create-bucket-configuration", "LocationConstraint=group1")
    yield run
    aws("s3", "rb", f"s3://{BUCKET}", "--force", check=False)


def fails(aws, *cases):
    """Runs each `(CODE, ARGS...)` as `aws s3api ARGS...` (concurrently);
    each must fail with CODE (an S3 error code, or the status of a HEAD)."""
    outs = aws.many([("s3api", *args) for _, *args in cases], check=False)
    for (code, *args), out in zip(cases, outs):
        assert out.returncode in (254, 255), (args, out.returncode, out.stdout, out.stderr)
        assert f"An error occurred ({code})" in out.stderr, (args, out.stderr)


def etag(data):
    return '"%s"' % hashlib.md5(data).hexdigest()


def write(path, data):
    path.write_bytes(data)
    return str(path)


def test_buckets(aws, api):
    NB = "s3api-no-such-bucket"
    head, location, listed = api.many([("head-bucket", "--bucket", BUCKET),
                                       ("get-bucket-location", "--bucket", BUCKET),
                                       ("list-buckets",)])
    assert location == {"LocationConstraint": "group1"}
    assert BUCKET in [b["Name"] for b in listed["Buckets"]]
    assert all("CreationDate" in b for b in listed["Buckets"])
    assert listed["Owner"]["ID"]

    # Its owner re-creating it in us-east-1: 200, as AWS answers there.
    api("create-bucket", "--bucket", BUCKET)
    fails(aws, ("InvalidBucketName", "create-bucket", "--bucket", "Bad_Bucket_Name"),
          ("404", "head-bucket", "--bucket", NB),
          ("NoSuchBucket", "get-bucket-location", "--bucket", NB),
          ("NoSuchBucket", "delete-bucket", "--bucket", NB),
          ("NoSuchBucket", "list-objects-v2", "--bucket", NB),
          ("NoSuchBucket", "put-object", "--bucket", NB, "--key", "k"))

    # A bucket without a constraint: its home group is the tracker's pick.
    api("create-bucket", "--bucket", "s3api-second")
    assert api("get-bucket-location", "--bucket", "s3api-second")["LocationConstraint"]
    api("put-object", "--bucket", "s3api-second", "--key", "k")  # no --body: empty
    fails(aws, ("BucketNotEmpty", "delete-bucket", "--bucket", "s3api-second"))
    api("delete-object", "--bucket", "s3api-second", "--key", "k")
    api("delete-bucket", "--bucket", "s3api-second")
    assert "s3api-second" not in [b["Name"] for b in api("list-buckets")["Buckets"]]


def test_put_head_get(aws, api, tmp_path):
    data = os.urandom(100_000)
    key = ("--bucket", BUCKET, "--key", "obj/data.bin")
    put = api("put-object", *key, "--body", write(tmp_path / "obj.bin", data),
              "--metadata", "colour=blue,owner=s3api", "--content-type", "application/x-test",
              "--checksum-algorithm", "SHA256")
    assert put["ETag"] == etag(data)
    assert base64.b64decode(put["ChecksumSHA256"]) == hashlib.sha256(data).digest()

    out, part, cond = tmp_path / "out.bin", tmp_path / "part.bin", tmp_path / "cond.bin"
    head, head_sum, got, ranged, matched = api.many([
        ("head-object", *key),
        ("head-object", *key, "--checksum-mode", "ENABLED"),
        ("get-object", *key, str(out)),
        ("get-object", *key, "--range", "bytes=10-19", str(part)),
        ("get-object", *key, "--if-match", etag(data), str(cond)),
    ])
    assert head["ContentLength"] == len(data)
    assert head["ContentType"] == "application/x-test"
    assert head["Metadata"] == {"colour": "blue", "owner": "s3api"}
    assert head["ETag"] == etag(data)
    assert head_sum["ChecksumSHA256"] == put["ChecksumSHA256"]
    assert got["ContentLength"] == len(data) and got["ETag"] == etag(data)
    assert got["Metadata"] == {"colour": "blue", "owner": "s3api"}
    assert out.read_bytes() == data
    assert ranged["ContentRange"] == f"bytes 10-19/{len(data)}"
    assert ranged["ContentLength"] == 10 and part.read_bytes() == data[10:20]
    assert cond.read_bytes() == data

    # A matching If-None-Match is 304 Not Modified (aws-cli reports it as an
    # error), a failed If-Match 412 PreconditionFailed.
    sink = str(tmp_path / "sink")
    fails(aws, ("304", "get-object", *key, "--if-none-match", etag(data), sink),
          ("PreconditionFailed", "get-object", *key, "--if-match", etag(b"other"), sink),
          ("InvalidRange", "get-object", *key, "--range", f"bytes={len(data)}-", sink),
          ("NoSuchKey", "get-object", "--bucket", BUCKET, "--key", "obj/missing", sink),
          ("404", "head-object", "--bucket", BUCKET, "--key", "obj/missing"))


def test_copy_object_replace_metadata(aws, api, tmp_path):
    data = b"copy me over s3api\n" * 100
    src = f"{BUCKET}/copy/src"
    api("put-object", "--bucket", BUCKET, "--key", "copy/src", "--body",
        write(tmp_path / "src", data), "--metadata", "a=1", "--content-type", "text/plain")
    same, _ = api.many([
        ("copy-object", "--bucket", BUCKET, "--key", "copy/same", "--copy-source", src),
        ("copy-object", "--bucket", BUCKET, "--key", "copy/replaced", "--copy-source", src,
         "--metadata-directive", "REPLACE", "--metadata", "b=2",
         "--content-type", "application/json"),
    ])
    assert same["CopyObjectResult"]["ETag"] == etag(data)
    head, replaced = api.many([("head-object", "--bucket", BUCKET, "--key", "copy/same"),
                               ("head-object", "--bucket", BUCKET, "--key", "copy/replaced")])
    assert head["Metadata"] == {"a": "1"} and head["ContentType"] == "text/plain"
    assert replaced["Metadata"] == {"b": "2"} and replaced["ContentType"] == "application/json"
    assert replaced["ETag"] == etag(data)

    # Self-copy with REPLACE rewrites only the metadata.
    api("copy-object", "--bucket", BUCKET, "--key", "copy/src", "--copy-source", src,
        "--metadata-directive", "REPLACE", "--metadata", "c=3")
    head = api("head-object", "--bucket", BUCKET, "--key", "copy/src")
    assert head["Metadata"] == {"c": "3"} and head["ETag"] == etag(data)
    fails(aws, ("NoSuchKey", "copy-object", "--bucket", BUCKET, "--key", "copy/x",
                "--copy-source", f"{BUCKET}/copy/missing"))


def test_listings(aws, api):
    keys = ["list/a.txt", "list/b/1.txt", "list/b/2.txt", "list/c/deep/3.txt", "list/d.txt",
            "list/enc/a b+c%d.txt", "list/enc/caf\u00e9.txt"]
    # No --body: empty objects.
    api.many([("put-object", "--bucket", BUCKET, "--key", k) for k in keys])
    lst = ("--bucket", BUCKET, "--prefix", "list/")
    v1, v2, after, first, v1_paged, enc, versions = api.many([
        ("list-objects", *lst, "--delimiter", "/"),
        # --no-paginate: the raw response, KeyCount and all.
        ("list-objects-v2", *lst, "--delimiter", "/", "--no-paginate"),
        ("list-objects-v2", *lst, "--start-after", "list/b/2.txt"),
        # aws-cli paginates itself: --page-size is MaxKeys per request,
        # --max-items cuts the output and hands back a NextToken.
        ("list-objects-v2", *lst, "--page-size", "2", "--max-items", "3"),
        ("list-objects", *lst, "--page-size", "2"),
        # With an explicit --encoding-type botocore does not decode.
        ("list-objects-v2", "--bucket", BUCKET, "--prefix", "list/enc/", "--encoding-type", "url",
         "--no-paginate"),
        ("list-object-versions", "--bucket", BUCKET, "--prefix", "list/b/"),
    ])
    assert [o["Key"] for o in v1["Contents"]] == ["list/a.txt", "list/d.txt"]
    assert [p["Prefix"] for p in v1["CommonPrefixes"]] == ["list/b/", "list/c/", "list/enc/"]
    assert all(o["Size"] == 0 and o["ETag"] == etag(b"") for o in v1["Contents"])

    assert [o["Key"] for o in v2["Contents"]] == ["list/a.txt", "list/d.txt"]
    assert [p["Prefix"] for p in v2["CommonPrefixes"]] == ["list/b/", "list/c/", "list/enc/"]
    assert v2["KeyCount"] == 5 and v2["IsTruncated"] is False
    assert v2["Prefix"] == "list/" and v2["Delimiter"] == "/"

    assert [o["Key"] for o in after["Contents"]] == sorted(keys)[3:]
    assert [o["Key"] for o in first["Contents"]] == sorted(keys)[:3]
    rest = api("list-objects-v2", *lst, "--page-size", "2", "--starting-token", first["NextToken"])
    assert [o["Key"] for o in rest["Contents"]] == sorted(keys)[3:]
    assert [o["Key"] for o in v1_paged["Contents"]] == sorted(keys)

    raw = [o["Key"] for o in enc["Contents"]]
    assert all(" " not in k and "\u00e9" not in k for k in raw), raw
    assert [urllib.parse.unquote_plus(k) for k in raw] == ["list/enc/a b+c%d.txt",
                                                           "list/enc/caf\u00e9.txt"]
    assert enc["EncodingType"] == "url" and enc["Prefix"] == "list/enc/"

    assert [(v["Key"], v["VersionId"], v["IsLatest"]) for v in versions["Versions"]] == [
        ("list/b/1.txt", "null", True), ("list/b/2.txt", "null", True)]

    # delete-object, then delete-objects with a missing key (deleted too).
    api("delete-object", "--bucket", BUCKET, "--key", "list/a.txt")
    batch = {"Objects": [{"Key": k} for k in keys[1:]] + [{"Key": "list/missing"}]}
    out = api("delete-objects", "--bucket", BUCKET, "--delete", json.dumps(batch))
    assert sorted(d["Key"] for d in out["Deleted"]) == sorted(keys[1:] + ["list/missing"])
    assert not out.get("Errors")
    assert "Contents" not in api("list-objects-v2", *lst)


def test_multipart(aws, api, tmp_path):
    part1 = os.urandom(5 * MiB)
    source = os.urandom(300_000)
    mpu = ("--bucket", BUCKET, "--key", "mpu/object")
    _, up, aborted = api.many([
        ("put-object", "--bucket", BUCKET, "--key", "mpu/source", "--body",
         write(tmp_path / "source", source)),
        ("create-multipart-upload", *mpu, "--content-type", "application/x-mpu",
         "--metadata", "m=1"),
        ("create-multipart-upload", "--bucket", BUCKET, "--key", "mpu/aborted"),
    ])
    uid = up["UploadId"]
    assert up["Key"] == "mpu/object" and up["Bucket"] == BUCKET

    p1, p2, _ = api.many([
        ("upload-part", *mpu, "--upload-id", uid, "--part-number", "1", "--body",
         write(tmp_path / "p1", part1)),
        ("upload-part-copy", *mpu, "--upload-id", uid, "--part-number", "2",
         "--copy-source", f"{BUCKET}/mpu/source", "--copy-source-range", "bytes=1000-100999"),
        ("upload-part", "--bucket", BUCKET, "--key", "mpu/aborted", "--upload-id",
         aborted["UploadId"], "--part-number", "1", "--body", write(tmp_path / "s", b"small")),
    ])
    e1, e2 = p1["ETag"], p2["CopyPartResult"]["ETag"]
    assert e1 == etag(part1) and e2 == etag(source[1000:101000])

    parts, uploads = api.many([("list-parts", *mpu, "--upload-id", uid),
                               ("list-multipart-uploads", "--bucket", BUCKET, "--prefix", "mpu/")])
    assert [(p["PartNumber"], p["Size"], p["ETag"]) for p in parts["Parts"]] == [
        (1, len(part1), e1), (2, 100_000, e2)]
    assert sorted((u["Key"], u["UploadId"]) for u in uploads["Uploads"]) == [
        ("mpu/aborted", aborted["UploadId"]), ("mpu/object", uid)]

    # A wrong part ETag is InvalidPart, parts out of order InvalidPartOrder;
    # the upload survives both.
    def parts_json(*pairs):
        return json.dumps({"Parts": [{"PartNumber": n, "ETag": e} for n, e in pairs]})

    complete = ("complete-multipart-upload", *mpu, "--upload-id", uid, "--multipart-upload")
    fails(aws, ("InvalidPart", *complete, parts_json((1, e1), (2, etag(b"not it")))),
          ("InvalidPartOrder", *complete, parts_json((2, e2), (1, e1))))
    done = api(*complete, parts_json((1, e1), (2, e2)))
    md5s = hashlib.md5(bytes.fromhex(e1[1:-1]) + bytes.fromhex(e2[1:-1])).hexdigest()
    assert done["ETag"] == f'"{md5s}-2"' and done["Key"] == "mpu/object"

    out = tmp_path / "out"
    size = len(part1) + 100_000
    head, got, _ = api.many([
        ("head-object", *mpu),
        ("get-object", *mpu, "--part-number", "2", str(out)),
        ("abort-multipart-upload", "--bucket", BUCKET, "--key", "mpu/aborted", "--upload-id",
         aborted["UploadId"]),
    ])
    assert head["ContentLength"] == size and head["ETag"] == done["ETag"]
    assert head["ContentType"] == "application/x-mpu" and head["Metadata"] == {"m": "1"}
    assert out.read_bytes() == source[1000:101000]
    assert got["PartsCount"] == 2 and got["ContentLength"] == 100_000
    assert got["ContentRange"] == f"bytes {len(part1)}-{size - 1}/{size}"

    # Completed and aborted uploads are gone.
    assert "Uploads" not in api("list-multipart-uploads", "--bucket", BUCKET, "--prefix", "mpu/")
    gone = ("--bucket", BUCKET, "--key", "mpu/aborted", "--upload-id", aborted["UploadId"])
    fails(aws, ("NoSuchUpload", "upload-part", *mpu, "--upload-id", uid, "--part-number", "3"),
          ("NoSuchUpload", "list-parts", *gone),
          ("NoSuchUpload", "abort-multipart-upload", *gone),
          ("404", "head-object", "--bucket", BUCKET, "--key", "mpu/aborted"))

"""boto3 with its legacy Signature V2 signer (`signature_version='s3'`, the
HmacV1 signer old SDKs and s3cmd --signature-v2 share) against each S3
target: service, bucket, bucket sub-resource, multipart and object
requests all verify. botocore signs a path-style bucket request over
`/bucket/` while it sends `/bucket`; the gateway accepts that form (see
s3api/src/gateway/sigv2_fixups.rs)."""
import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from s3_helpers import empty_and_delete_bucket
from s3_server import ACCESS_KEY, REGION, SECRET_KEY

BUCKET = "boto3-sigv2"


@pytest.fixture(scope="module")
def v2(s3_target):
    client = boto3.client(
        "s3", endpoint_url=s3_target.endpoint, region_name=REGION,
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
        config=Config(signature_version="s3", s3={"addressing_style": "path"}))
    client.create_bucket(Bucket=BUCKET)
    yield client
    empty_and_delete_bucket(s3_target.boto3_client(), BUCKET)


def code(call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return e.value.response["Error"]["Code"]


def test_bucket_and_service_requests(v2):
    v2.head_bucket(Bucket=BUCKET)
    assert BUCKET in [b["Name"] for b in v2.list_buckets()["Buckets"]]
    v2.get_bucket_location(Bucket=BUCKET)
    v2.put_bucket_versioning(Bucket=BUCKET,
                             VersioningConfiguration={"Status": "Suspended"})
    assert v2.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Suspended"
    assert code(v2.get_bucket_lifecycle_configuration,
                Bucket=BUCKET) == "NoSuchLifecycleConfiguration"
    v2.list_object_versions(Bucket=BUCKET)
    v2.list_multipart_uploads(Bucket=BUCKET)


def test_object_and_multipart_requests(v2):
    key = "dir/a b+c.txt"
    v2.put_object(Bucket=BUCKET, Key=key, Body=b"hello", ContentType="text/plain",
                  Metadata={"color": "blue"})
    got = v2.get_object(Bucket=BUCKET, Key=key)
    assert got["Body"].read() == b"hello" and got["Metadata"] == {"color": "blue"}
    assert [o["Key"] for o in v2.list_objects(Bucket=BUCKET)["Contents"]] == [key]
    assert v2.list_objects_v2(Bucket=BUCKET, Prefix="dir/")["KeyCount"] == 1
    v2.copy_object(Bucket=BUCKET, Key="copy", CopySource={"Bucket": BUCKET, "Key": key})
    attrs = v2.get_object_attributes(Bucket=BUCKET, Key="copy", ObjectAttributes=["ObjectSize"])
    assert attrs["ObjectSize"] == 5

    up = v2.create_multipart_upload(Bucket=BUCKET, Key="mp")["UploadId"]
    part = v2.upload_part(Bucket=BUCKET, Key="mp", UploadId=up, PartNumber=1, Body=b"p1")
    assert [p["PartNumber"] for p in v2.list_parts(Bucket=BUCKET, Key="mp",
                                                   UploadId=up)["Parts"]] == [1]
    v2.complete_multipart_upload(Bucket=BUCKET, Key="mp", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert v2.get_object(Bucket=BUCKET, Key="mp")["Body"].read() == b"p1"
    deleted = v2.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": "copy"}]})
    assert [d["Key"] for d in deleted["Deleted"]] == ["copy"]


def test_wrong_secret_is_refused(s3_target):
    bad = boto3.client(
        "s3", endpoint_url=s3_target.endpoint, region_name=REGION,
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key="not-the-secret",
        config=Config(signature_version="s3", s3={"addressing_style": "path"}))
    assert code(bad.list_objects, Bucket=BUCKET) == "SignatureDoesNotMatch"
    assert code(bad.get_bucket_versioning, Bucket=BUCKET) == "SignatureDoesNotMatch"


def test_presigned_v2_bucket_and_object_urls(v2):
    """boto3's SigV2 presigner: a bucket listing and an object GET through
    plain urllib."""
    import urllib.request
    v2.put_object(Bucket=BUCKET, Key="presigned", Body=b"via url")
    url = v2.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "presigned"})
    assert "Signature=" in url and "AWSAccessKeyId=" in url
    assert urllib.request.urlopen(url).read() == b"via url"
    url = v2.generate_presigned_url("list_objects", Params={"Bucket": BUCKET})
    listing = urllib.request.urlopen(url).read().decode()
    assert "<Key>presigned</Key>" in listing
    url = v2.generate_presigned_url("get_bucket_versioning", Params={"Bucket": BUCKET})
    assert "VersioningConfiguration" in urllib.request.urlopen(url).read().decode()

"""boto3 against each S3 target: the smaller gaps real clients met —
ListBuckets paging (MaxBuckets, ContinuationToken, the paginator) and
Prefix, ListObjectsV2 FetchOwner, the default Content-Type, a part listed
twice and a partNumber past the parts."""
import pytest
from botocore.exceptions import ClientError

from s3_helpers import empty_and_delete_bucket

BUCKETS = ["gaps-a", "gaps-b", "gaps-c"]


@pytest.fixture(scope="module")
def s3(s3_target):
    client = s3_target.boto3_client()
    for b in BUCKETS:
        client.create_bucket(Bucket=b)
    yield client
    for b in BUCKETS:
        empty_and_delete_bucket(client, b)


def error(call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


def test_list_buckets_pages_and_prefix(s3):
    first = s3.list_buckets(MaxBuckets=2, Prefix="gaps-")
    assert [b["Name"] for b in first["Buckets"]] == ["gaps-a", "gaps-b"]
    assert first["Prefix"] == "gaps-"
    rest = s3.list_buckets(MaxBuckets=2, Prefix="gaps-",
                           ContinuationToken=first["ContinuationToken"])
    assert [b["Name"] for b in rest["Buckets"]] == ["gaps-c"]
    assert "ContinuationToken" not in rest
    pages = s3.get_paginator("list_buckets").paginate(Prefix="gaps-",
                                                      PaginationConfig={"PageSize": 1})
    assert [b["Name"] for p in pages for b in p["Buckets"]] == BUCKETS


def test_fetch_owner_and_default_content_type(s3):
    s3.put_object(Bucket="gaps-a", Key="k", Body=b"x")
    listed = s3.list_objects_v2(Bucket="gaps-a", FetchOwner=True)["Contents"][0]
    assert listed["Owner"]["ID"] == s3.list_buckets()["Owner"]["ID"]
    assert "Owner" not in s3.list_objects_v2(Bucket="gaps-a")["Contents"][0]
    assert s3.get_object(Bucket="gaps-a", Key="k")["ContentType"] == "binary/octet-stream"


def test_parts_listed_twice_and_past_the_end(s3):
    up = s3.create_multipart_upload(Bucket="gaps-b", Key="mp")["UploadId"]
    etags = [s3.upload_part(Bucket="gaps-b", Key="mp", UploadId=up, PartNumber=n,
                            Body=body)["ETag"]
             for n, body in [(1, b"a" * 5 * 1024 * 1024), (2, b"tail")]]
    parts = [{"PartNumber": n, "ETag": e} for n, e in zip([1, 2], etags)]
    assert error(s3.complete_multipart_upload, Bucket="gaps-b", Key="mp", UploadId=up,
                 MultipartUpload={"Parts": [parts[0]] + parts}) == ("InvalidPartOrder", 400)
    s3.complete_multipart_upload(Bucket="gaps-b", Key="mp", UploadId=up,
                                 MultipartUpload={"Parts": parts})
    assert s3.get_object(Bucket="gaps-b", Key="mp", PartNumber=2)["Body"].read() == b"tail"
    assert error(s3.get_object, Bucket="gaps-b", Key="mp", PartNumber=3) == (
        "InvalidPartNumber", 416)

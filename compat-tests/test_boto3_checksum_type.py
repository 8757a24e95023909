"""boto3 against each S3 target: multipart uploads with
ChecksumType=FULL_OBJECT (CRC32, CRC32C, CRC64NVME) complete with the CRC
of the whole object, checked here over the bytes; COMPOSITE ones with
`base64-N`; the type comes back on Complete, HEAD with ChecksumMode and
GetObjectAttributes; refused pairings and mismatches are AWS's errors."""
import base64
import zlib

import pytest
from botocore.exceptions import ClientError

from s3_helpers import empty_and_delete_bucket

BUCKET = "boto3-checksum-type"
PARTS = [bytes(range(256)) * (5 * 1024 * 4), b"the tail of the object"]


@pytest.fixture(scope="module")
def s3(s3_target):
    client = s3_target.boto3_client()
    client.create_bucket(Bucket=BUCKET)
    yield client
    empty_and_delete_bucket(client, BUCKET)


def upload(s3, key, algorithm, kind=None):
    extra = {"ChecksumType": kind} if kind else {}
    up = s3.create_multipart_upload(Bucket=BUCKET, Key=key, ChecksumAlgorithm=algorithm,
                                    **extra)
    if kind:
        assert up["ChecksumType"] == kind
    parts = []
    for n, data in enumerate(PARTS, 1):
        out = s3.upload_part(Bucket=BUCKET, Key=key, UploadId=up["UploadId"], PartNumber=n,
                             Body=data, ChecksumAlgorithm=algorithm)
        name = "Checksum" + algorithm
        parts.append({"PartNumber": n, "ETag": out["ETag"], name: out[name]})
    return up["UploadId"], parts


def code(call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return e.value.response["Error"]["Code"]


def test_full_object_crc32_is_the_whole_objects(s3):
    uid, parts = upload(s3, "full", "CRC32", "FULL_OBJECT")
    whole = base64.b64encode(zlib.crc32(b"".join(PARTS)).to_bytes(4, "big")).decode()
    done = s3.complete_multipart_upload(Bucket=BUCKET, Key="full", UploadId=uid,
                                        ChecksumCRC32=whole, ChecksumType="FULL_OBJECT",
                                        MultipartUpload={"Parts": parts})
    assert (done["ChecksumCRC32"], done["ChecksumType"]) == (whole, "FULL_OBJECT")
    head = s3.head_object(Bucket=BUCKET, Key="full", ChecksumMode="ENABLED")
    assert (head["ChecksumCRC32"], head["ChecksumType"]) == (whole, "FULL_OBJECT")
    attrs = s3.get_object_attributes(Bucket=BUCKET, Key="full",
                                     ObjectAttributes=["Checksum", "ObjectParts"])
    assert attrs["Checksum"]["ChecksumType"] == "FULL_OBJECT"
    assert attrs["ObjectParts"]["TotalPartsCount"] == 2


@pytest.mark.parametrize("algorithm", ["CRC32C", "CRC64NVME"])
def test_full_object_other_crcs(s3, algorithm):
    uid, parts = upload(s3, f"full-{algorithm}", algorithm, "FULL_OBJECT")
    done = s3.complete_multipart_upload(Bucket=BUCKET, Key=f"full-{algorithm}", UploadId=uid,
                                        MultipartUpload={"Parts": parts})
    assert done["ChecksumType"] == "FULL_OBJECT"
    value = done["Checksum" + algorithm]
    assert "-" not in value
    # The same CRC as a single PUT of the whole object computes.
    put = s3.put_object(Bucket=BUCKET, Key=f"whole-{algorithm}", Body=b"".join(PARTS),
                        ChecksumAlgorithm=algorithm)
    assert put["Checksum" + algorithm] == value


def test_composite_and_refusals(s3):
    uid, parts = upload(s3, "composite", "SHA256")
    done = s3.complete_multipart_upload(Bucket=BUCKET, Key="composite", UploadId=uid,
                                        MultipartUpload={"Parts": parts})
    assert done["ChecksumType"] == "COMPOSITE" and done["ChecksumSHA256"].endswith("-2")
    for algorithm, kind in [("CRC64NVME", "COMPOSITE"), ("SHA1", "FULL_OBJECT")]:
        assert code(s3.create_multipart_upload, Bucket=BUCKET, Key="x",
                    ChecksumAlgorithm=algorithm, ChecksumType=kind) == "InvalidRequest"
    uid, parts = upload(s3, "bad", "CRC32", "FULL_OBJECT")
    wrong = base64.b64encode(zlib.crc32(b"other").to_bytes(4, "big")).decode()
    assert code(s3.complete_multipart_upload, Bucket=BUCKET, Key="bad", UploadId=uid,
                ChecksumCRC32=wrong, MultipartUpload={"Parts": parts}) == "BadDigest"
    parts[0]["ChecksumCRC32"] = wrong
    assert code(s3.complete_multipart_upload, Bucket=BUCKET, Key="bad", UploadId=uid,
                MultipartUpload={"Parts": parts}) == "InvalidPart"

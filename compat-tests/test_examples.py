"""The runnable Python examples in examples/ against a spawned `fdfs
server`, so they cannot rot: each must exit 0 and print what it claims.
They get the server's key pair, S3 endpoint and tracker through the same
environment variables a user sets (FDFS_ACCESS_KEY_ID,
FDFS_SECRET_ACCESS_KEY, FDFS_S3_ENDPOINT, FDFS_TRACKER).
"""
import os
import subprocess
import sys

import pytest

from s3_server import ACCESS_KEY, SECRET_KEY

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


@pytest.fixture
def run_example(s3_server):
    def run(script, *args):
        env = dict(os.environ, FDFS_ACCESS_KEY_ID=ACCESS_KEY, FDFS_SECRET_ACCESS_KEY=SECRET_KEY,
                   FDFS_S3_ENDPOINT=s3_server.endpoint,
                   FDFS_TRACKER="%s:%d" % s3_server.tracker)
        out = subprocess.run([sys.executable, os.path.join(EXAMPLES, script), *args], env=env,
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, f"{script} exited {out.returncode}:\n{out.stdout}\n{out.stderr}"
        return out.stdout

    return run


def test_boto3_quickstart(run_example):
    out = run_example("boto3_quickstart.py", "--bucket", "examples-quickstart")
    assert "created bucket examples-quickstart" in out
    assert "get hello.txt: b'hello from boto3\\n'" in out
    assert "upload_file big/big.bin: 20971520 bytes" in out and '-3"' in out
    assert "download_file big/big.bin: sha256 matches" in out
    assert "list: hello.txt 17 bytes" in out
    assert "presigned GET: 200 b'hello from boto3\\n'" in out
    assert "deleted 2 objects and bucket examples-quickstart" in out


def test_fastdfs_client_to_s3(run_example):
    out = run_example("fastdfs-client-to-s3.py")
    assert "py3fdfs upload: group1/M00/" in out
    assert "S3 GET s3://group1/M00/" in out and "3600 bytes" in out
    assert "S3 ranged GET bytes=0-31: b'uploaded with py3fdfs, read over'" in out
    assert "S3 PUT into the group bucket: AccessDenied" in out
    assert "after py3fdfs delete_file, S3 HEAD: 404" in out

"""s3cmd (PyPI, in the venv) with `--signature-v2` against each S3 target:
the client the issue names for Signature V2. mb, ls (buckets and objects),
put (also multipart), get, info (of a bucket: its sub-resources, and of an
object), del and rb all verify; path-style addressing (host_bucket without
%(bucket)s)."""
import os
import subprocess

import pytest

from s3_server import ACCESS_KEY, SECRET_KEY

BUCKET = "s3cmd-v2"
HERE = os.path.dirname(os.path.abspath(__file__))
S3CMD = os.path.join(os.path.dirname(HERE), ".venv", "bin", "s3cmd")


@pytest.fixture(scope="module")
def s3cmd(s3_target, tmp_path_factory):
    if not os.path.exists(S3CMD):
        pytest.fail("s3cmd missing from the venv: run `make .venv/.installed`")
    host = s3_target.endpoint.removeprefix("http://")
    config = tmp_path_factory.mktemp("s3cmd") / "s3cfg"
    config.write_text(
        "[default]\n"
        f"access_key = {ACCESS_KEY}\nsecret_key = {SECRET_KEY}\n"
        f"host_base = {host}\nhost_bucket = {host}\n"
        "use_https = False\nsignature_v2 = True\n"
        "multipart_chunk_size_mb = 5\n")

    def run(*args, check=True):
        out = subprocess.run([S3CMD, "-c", str(config), "--signature-v2", *args],
                             capture_output=True, text=True, timeout=120)
        if check:
            assert out.returncode == 0, (args, out.stdout, out.stderr)
        return out

    run("mb", f"s3://{BUCKET}")
    yield run
    run("rb", "--recursive", "--force", f"s3://{BUCKET}", check=False)


def test_s3cmd_signature_v2(s3cmd, tmp_path):
    small = tmp_path / "small.txt"
    small.write_bytes(b"hello from s3cmd\n")
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(11 * 1024 * 1024))

    assert f"s3://{BUCKET}" in s3cmd("ls").stdout
    s3cmd("put", str(small), f"s3://{BUCKET}/dir/small.txt")
    s3cmd("put", str(big), f"s3://{BUCKET}/big.bin")
    listed = s3cmd("ls", "--recursive", f"s3://{BUCKET}").stdout
    assert f"s3://{BUCKET}/dir/small.txt" in listed and f"s3://{BUCKET}/big.bin" in listed
    got = tmp_path / "got.bin"
    s3cmd("get", f"s3://{BUCKET}/big.bin", str(got))
    assert got.read_bytes() == big.read_bytes()
    assert "dir/small.txt" in s3cmd("info", f"s3://{BUCKET}/dir/small.txt").stdout
    s3cmd("info", f"s3://{BUCKET}")
    s3cmd("del", f"s3://{BUCKET}/dir/small.txt")
    assert "small.txt" not in s3cmd("ls", "--recursive", f"s3://{BUCKET}").stdout

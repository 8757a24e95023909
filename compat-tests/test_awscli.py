"""aws-cli (PyPI `awscli`, run as .venv/bin/aws) against a spawned
`fdfs server`: mb, cp of a 100 MiB file as multipart, ls, sync up and down,
presign then a plain HTTP GET (urllib and curl), rm --recursive, rb. Bytes are compared by
sha256.

The CLI runs with its default transfer settings (8 MiB threshold and
chunks), path-style addressing, and an isolated config: no profile, no
credentials file, the key from AWS_* variables.
"""
import hashlib
import os
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from s3_helpers import aws_runner

BUCKET = "awscli-compat"
MiB = 1024 * 1024


@pytest.fixture(scope="module")
def aws(s3_target, tmp_path_factory):
    """Runs `aws ARGS...` against the server; returns stdout, fails on a
    non-zero exit."""
    run = aws_runner(s3_target.endpoint, tmp_path_factory.mktemp("aws-home"))
    run("s3", "mb", f"s3://{BUCKET}")
    yield run
    run("s3", "rb", f"s3://{BUCKET}", "--force", check=False)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(MiB), b""):
            h.update(block)
    return h.hexdigest()


def write_random(path, size):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 4 * MiB)
            f.write(os.urandom(n))
            left -= n


def test_mb_and_ls_buckets(aws):
    aws("s3", "mb", "s3://awscli-second")
    out = aws("s3", "ls").stdout
    assert BUCKET in out and "awscli-second" in out
    # A bucket that exists already, owned by us: 200 in us-east-1, as AWS.
    aws("s3", "mb", "s3://awscli-second")
    aws("s3", "rb", "s3://awscli-second")
    assert "awscli-second" not in aws("s3", "ls").stdout


def test_cp_100mib_multipart_round_trip(aws, tmp_path):
    src = tmp_path / "big.bin"
    write_random(src, 100 * MiB)
    aws("s3", "cp", str(src), f"s3://{BUCKET}/big/big.bin")
    head = aws("s3api", "head-object", "--bucket", BUCKET, "--key", "big/big.bin",
               "--output", "json").stdout
    # 100 MiB in 8 MiB parts: 12 full parts and a 4 MiB one.
    assert '-13\\"' in head, head
    assert f'"ContentLength": {100 * MiB}' in head, head

    dst = tmp_path / "back.bin"
    aws("s3", "cp", f"s3://{BUCKET}/big/big.bin", str(dst))
    assert sha256_file(dst) == sha256_file(src)
    aws("s3", "rm", f"s3://{BUCKET}/big/big.bin")


def test_ls_prefixes_and_recursive(aws, tmp_path):
    for rel in ("a.txt", "dir1/b.txt", "dir1/deep/c.txt", "dir2/d.txt"):
        (tmp_path / "ls" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "ls" / rel).write_bytes(b"small object\n")
    aws("s3", "sync", str(tmp_path / "ls"), f"s3://{BUCKET}/ls", "--quiet")
    top = aws("s3", "ls", f"s3://{BUCKET}/ls/").stdout
    assert "PRE dir1/" in top and "PRE dir2/" in top
    assert "a.txt" in top and "b.txt" not in top
    rec = aws("s3", "ls", f"s3://{BUCKET}/ls/", "--recursive").stdout
    keys = [line.split()[-1] for line in rec.splitlines() if line.strip()]
    assert keys == ["ls/a.txt", "ls/dir1/b.txt", "ls/dir1/deep/c.txt", "ls/dir2/d.txt"]
    assert all(line.split()[2] == "13" for line in rec.splitlines() if line.strip())
    aws("s3", "rm", f"s3://{BUCKET}/ls/", "--recursive", "--quiet")


def tree(root):
    """{relative path: sha256} of every file under root."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            out[os.path.relpath(path, root)] = sha256_file(path)
    return out


def test_sync_up_and_down(aws, tmp_path):
    up = tmp_path / "up"
    files = {"top.txt": 10, "a/one.bin": 70_000, "a/b/two.bin": 1, "a/b/c/three.bin": 9 * MiB,
             "empty/zero.bin": 0, "name with spaces.txt": 33}
    for rel, size in files.items():
        write_random(up / rel, size)
    out = aws("s3", "sync", str(up), f"s3://{BUCKET}/sync").stdout
    assert out.count("upload:") == len(files), out
    # Nothing changed: a second sync copies nothing.
    assert aws("s3", "sync", str(up), f"s3://{BUCKET}/sync").stdout.strip() == ""

    down = tmp_path / "down"
    out = aws("s3", "sync", f"s3://{BUCKET}/sync", str(down)).stdout
    assert out.count("download:") == len(files), out
    assert tree(down) == tree(up)
    assert aws("s3", "sync", f"s3://{BUCKET}/sync", str(down)).stdout.strip() == ""

    # A changed file goes up again, and only it.
    write_random(up / "a/one.bin", 70_001)
    out = aws("s3", "sync", str(up), f"s3://{BUCKET}/sync").stdout
    assert out.count("upload:") == 1 and "a/one.bin" in out, out
    # --delete removes what is gone locally.
    os.remove(up / "top.txt")
    out = aws("s3", "sync", str(up), f"s3://{BUCKET}/sync", "--delete").stdout
    assert out.count("delete:") == 1 and "top.txt" in out, out
    aws("s3", "rm", f"s3://{BUCKET}/sync", "--recursive", "--quiet")


def test_presign_then_plain_get(aws, tmp_path):
    src = tmp_path / "shared.bin"
    write_random(src, 300_000)
    aws("s3", "cp", str(src), f"s3://{BUCKET}/presign/shared.bin", "--quiet")
    url = aws("s3", "presign", f"s3://{BUCKET}/presign/shared.bin", "--expires-in", "300").stdout.strip()
    with urllib.request.urlopen(url, timeout=10) as resp:
        assert resp.status == 200
        assert hashlib.sha256(resp.read()).hexdigest() == sha256_file(src)
    # And with curl, as a user would paste it.
    out = tmp_path / "curl.bin"
    subprocess.run(["curl", "--silent", "--show-error", "--fail", "--output", str(out), url],
                   check=True, timeout=30)
    assert sha256_file(out) == sha256_file(src)

    # An expired URL is refused.
    url = aws("s3", "presign", f"s3://{BUCKET}/presign/shared.bin", "--expires-in", "1").stdout.strip()
    time.sleep(2.5)
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(url, timeout=10)
    assert err.value.code == 403
    assert b"AccessDenied" in err.value.read()


def test_rm_recursive_and_rb(aws, tmp_path):
    src = tmp_path / "f.txt"
    src.write_bytes(b"to be removed\n")
    aws("s3", "mb", "s3://awscli-remove")
    for i in range(3):
        aws("s3", "cp", str(src), f"s3://awscli-remove/x/{i}/f{i}.txt", "--quiet")
    # More keys, quickly: one sync of a directory of 25 files.
    d = tmp_path / "many"
    for i in range(25):
        write_random(d / f"{i % 4}" / f"f{i}.txt", 100)
    aws("s3", "sync", str(d), "s3://awscli-remove/many", "--quiet")
    # A non-empty bucket cannot be removed.
    out = aws("s3", "rb", "s3://awscli-remove", check=False)
    assert out.returncode != 0 and "BucketNotEmpty" in out.stderr, out.stderr
    out = aws("s3", "rm", "s3://awscli-remove", "--recursive").stdout
    assert out.count("delete:") == 28, out
    assert aws("s3", "ls", "s3://awscli-remove", "--recursive").stdout.strip() == ""
    aws("s3", "rb", "s3://awscli-remove")
    assert "awscli-remove" not in aws("s3", "ls").stdout

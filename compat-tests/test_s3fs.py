"""s3fs-fuse (Debian package `s3fs`) mounting a bucket of each S3 target:
write, read, append, `ls -l`, mkdir, rename of a file and of a directory,
chmod, rm, a 200 MiB file checked by sha256, unmount. Every change made
through the mount is also checked over S3 with boto3, so s3fs's own caches
cannot hide a gateway bug.

What s3fs asks of the gateway: HEAD on `name`, `name/` and
`name_$folder$` to tell files from directories, ListObjects v1 with a
delimiter, PUT of `dir/` for mkdir, CopyObject with
x-amz-metadata-directive: REPLACE for chmod and renames (then DELETE of the
source), x-amz-meta-mode/uid/gid/mtime, and multipart uploads (10 MiB parts,
5 in parallel) for big files.

Runs as root (FUSE); a missing s3fs or /dev/fuse skips, or fails in CI.
"""
import hashlib
import os
import stat
import subprocess
import time

import pytest

from conftest import require_tool
from s3_server import ACCESS_KEY, SECRET_KEY

BUCKET = "s3fs-compat"
MiB = 1024 * 1024


def is_mounted(path):
    with open("/proc/mounts") as f:
        return any(line.split()[1] == path for line in f)


class Mount:
    def __init__(self, target, base):
        self.s3fs = require_tool("s3fs", "/dev/fuse")
        require_tool("fusermount")
        self.target = target
        self.path = str(base / "mnt")
        os.mkdir(self.path)
        self.passwd = base / "passwd"
        self.passwd.write_text(f"{ACCESS_KEY}:{SECRET_KEY}\n")
        self.passwd.chmod(0o600)
        self.log = base / "s3fs.log"
        self.proc = None

    def mount(self):
        options = ",".join([
            f"url={self.target.endpoint}", "use_path_request_style", "endpoint=us-east-1",
            f"passwd_file={self.passwd}", "dbglevel=warn",
        ])
        # -f: stays in the foreground, so the test owns the process and its
        # exit code.
        self.proc = subprocess.Popen([self.s3fs, BUCKET, self.path, "-f", "-o", options],
                                     stdout=open(self.log, "w"), stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.time() + 20
        while not is_mounted(self.path):
            if self.proc.poll() is not None or time.time() > deadline:
                self.unmount()
                raise RuntimeError(f"s3fs did not mount:\n{self.log.read_text()}")
            time.sleep(0.05)

    def unmount(self):
        """fusermount -u, then s3fs must exit 0."""
        if is_mounted(self.path):
            subprocess.run(["fusermount", "-u", self.path], check=True, timeout=60)
        if self.proc is None:
            return None
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise
        finally:
            self.proc = None

    def p(self, *parts):
        return os.path.join(self.path, *parts)


@pytest.fixture(scope="module")
def mnt(s3_target, tmp_path_factory):
    s3 = s3_target.boto3_client()
    s3.create_bucket(Bucket=BUCKET)
    m = Mount(s3_target, tmp_path_factory.mktemp("s3fs"))
    m.s3 = s3
    m.mount()
    try:
        yield m
    finally:
        m.unmount()
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            for o in page.get("Contents", []):
                s3.delete_object(Bucket=BUCKET, Key=o["Key"])
        s3.delete_bucket(Bucket=BUCKET)


def s3_body(m, key):
    return m.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def s3_keys(m, prefix=""):
    return sorted(o["Key"] for page in m.s3.get_paginator("list_objects_v2")
                  .paginate(Bucket=BUCKET, Prefix=prefix) for o in page.get("Contents", []))


def test_write_read_append(mnt):
    path = mnt.p("notes.txt")
    with open(path, "w") as f:
        f.write("first line\n")
    with open(path) as f:
        assert f.read() == "first line\n"
    with open(path, "a") as f:
        f.write("appended\n")
    with open(path) as f:
        assert f.read() == "first line\nappended\n"
    assert s3_body(mnt, "notes.txt") == b"first line\nappended\n"


def test_ls_l_shows_files_from_both_sides(mnt):
    with open(mnt.p("local.bin"), "wb") as f:
        f.write(b"x" * 1234)
    # Written over S3: a plain object, and one under a prefix with no
    # directory object of its own.
    mnt.s3.put_object(Bucket=BUCKET, Key="from-s3.txt", Body=b"over s3")
    mnt.s3.put_object(Bucket=BUCKET, Key="implicit/deep/file.txt", Body=b"deep")
    out = subprocess.run(["ls", "-l", mnt.path], capture_output=True, text=True,
                         check=True).stdout
    lines = {line.split()[-1]: line for line in out.splitlines() if not line.startswith("total")}
    assert lines["local.bin"].startswith("-rw") and " 1234 " in lines["local.bin"], out
    assert lines["from-s3.txt"].startswith("-") and " 7 " in lines["from-s3.txt"], out
    assert lines["implicit"].startswith("d"), out
    with open(mnt.p("implicit", "deep", "file.txt"), "rb") as f:
        assert f.read() == b"deep"
    os.remove(mnt.p("local.bin"))
    os.remove(mnt.p("from-s3.txt"))


def test_mkdir_and_rename_file(mnt):
    os.mkdir(mnt.p("dir"))
    assert stat.S_ISDIR(os.stat(mnt.p("dir")).st_mode)
    assert "dir/" in s3_keys(mnt, "dir")
    with open(mnt.p("dir", "a.txt"), "wb") as f:
        f.write(b"to be renamed")
    os.rename(mnt.p("dir", "a.txt"), mnt.p("dir", "b.txt"))
    assert os.listdir(mnt.p("dir")) == ["b.txt"]
    with open(mnt.p("dir", "b.txt"), "rb") as f:
        assert f.read() == b"to be renamed"
    assert s3_keys(mnt, "dir") == ["dir/", "dir/b.txt"]
    assert s3_body(mnt, "dir/b.txt") == b"to be renamed"


def test_rename_directory(mnt):
    os.makedirs(mnt.p("tree", "sub"))
    for name, body in [("tree/one", b"1"), ("tree/sub/two", b"22")]:
        with open(mnt.p(name), "wb") as f:
            f.write(body)
    os.rename(mnt.p("tree"), mnt.p("moved"))
    assert not os.path.exists(mnt.p("tree"))
    assert sorted(os.listdir(mnt.p("moved"))) == ["one", "sub"]
    with open(mnt.p("moved", "sub", "two"), "rb") as f:
        assert f.read() == b"22"
    assert s3_keys(mnt, "tree") == []
    assert s3_keys(mnt, "moved") == ["moved/", "moved/one", "moved/sub/", "moved/sub/two"]


def test_chmod(mnt):
    path = mnt.p("mode.txt")
    with open(path, "w") as f:
        f.write("mode")
    os.chmod(path, 0o640)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    head = mnt.s3.head_object(Bucket=BUCKET, Key="mode.txt")
    # s3fs keeps st_mode in x-amz-meta-mode (a CopyObject with REPLACE).
    assert int(head["Metadata"]["mode"]) & 0o7777 == 0o640, head["Metadata"]
    assert s3_body(mnt, "mode.txt") == b"mode"


def test_rm(mnt):
    path = mnt.p("gone.txt")
    with open(path, "w") as f:
        f.write("bye")
    os.mkdir(mnt.p("emptydir"))
    os.remove(path)
    os.rmdir(mnt.p("emptydir"))
    assert not os.path.exists(path) and not os.path.exists(mnt.p("emptydir"))
    assert s3_keys(mnt, "gone") == [] and s3_keys(mnt, "emptydir") == []


def test_200mib_file_sha256(mnt):
    """Written through the mount (a multipart upload), read back through
    the mount and over S3; all three digests agree."""
    path = mnt.p("big.bin")
    written = hashlib.sha256()
    block = os.urandom(4 * MiB)
    with open(path, "wb") as f:
        for i in range(50):
            # Each block differs, cheaply: a counter in its first bytes.
            chunk = i.to_bytes(8, "big") + block[8:]
            written.update(chunk)
            f.write(chunk)
    read = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(4 * MiB), b""):
            read.update(chunk)
    assert read.hexdigest() == written.hexdigest()
    assert os.stat(path).st_size == 200 * MiB
    got = mnt.s3.get_object(Bucket=BUCKET, Key="big.bin")
    assert got["ContentLength"] == 200 * MiB
    # A multipart ETag ("<md5 of the part MD5s>-<parts>"): s3fs uploaded
    # it in parts.
    assert got["ETag"].strip('"').rsplit("-", 1)[-1].isdigit(), got["ETag"]
    over_s3 = hashlib.sha256()
    for chunk in got["Body"].iter_chunks(4 * MiB):
        over_s3.update(chunk)
    assert over_s3.hexdigest() == written.hexdigest()
    os.remove(path)


def test_unmount(mnt):
    assert mnt.unmount() == 0, mnt.log.read_text()
    assert not is_mounted(mnt.path)
    # What was written through the mount stays in the bucket.
    assert s3_body(mnt, "notes.txt") == b"first line\nappended\n"

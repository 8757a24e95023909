"""rclone (Debian package `rclone`) against each S3 target: `sync` a
directory tree up and down with `--checksum`, `rclone check` finds no
difference either way, and a repeated sync transfers nothing.

The remote is configured only through environment variables (no config
file): type s3, provider Other, the endpoint, the key and path-style
addressing. Uploads above 5 MiB go multipart (upload cutoff and chunk
size lowered from rclone's 200 MiB / 5 MiB), so a 12 MiB file covers
rclone's multipart path, where the ETag is no MD5 and rclone compares the
MD5 it stored in X-Amz-Meta-Md5chksum instead.

A missing rclone skips, or fails in CI.
"""
import os
import re
import subprocess

import pytest

from conftest import require_tool
from s3_server import ACCESS_KEY, REGION, SECRET_KEY

BUCKET = "rclone-compat"
MiB = 1024 * 1024
FILES = {
    "top.txt": b"top level\n",
    "empty.dat": b"",
    "docs/readme.md": b"# readme\n" * 100,
    "docs/deep/nested/leaf.bin": os.urandom(300_000),
    "spaces and + plus/naïve ünïcode.txt": "ünïcode body".encode(),
    "big/twelve.bin": os.urandom(12 * MiB),
}


@pytest.fixture(scope="module")
def rclone(s3_target, tmp_path_factory):
    exe = require_tool("rclone")
    home = tmp_path_factory.mktemp("rclone-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RCLONE_", "AWS_"))}
    env.update(
        HOME=str(home), RCLONE_CONFIG=str(home / "rclone.conf"),
        RCLONE_CONFIG_FDFS_TYPE="s3", RCLONE_CONFIG_FDFS_PROVIDER="Other",
        RCLONE_CONFIG_FDFS_ENDPOINT=s3_target.endpoint, RCLONE_CONFIG_FDFS_REGION=REGION,
        RCLONE_CONFIG_FDFS_ACCESS_KEY_ID=ACCESS_KEY,
        RCLONE_CONFIG_FDFS_SECRET_ACCESS_KEY=SECRET_KEY,
        RCLONE_CONFIG_FDFS_FORCE_PATH_STYLE="true",
        RCLONE_S3_UPLOAD_CUTOFF="5M", RCLONE_S3_CHUNK_SIZE="5M",
    )

    def run(*args, check=True):
        out = subprocess.run([exe, *args], env=env, capture_output=True, text=True,
                             timeout=300)
        if check and out.returncode != 0:
            raise AssertionError(f"rclone {' '.join(args)} exited {out.returncode}:\n"
                                 f"{out.stdout}\n{out.stderr}")
        return out

    run("mkdir", f"fdfs:{BUCKET}")
    yield run
    run("purge", f"fdfs:{BUCKET}", check=False)


def write_tree(root, files):
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)


def read_tree(root):
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def transferred(out):
    """The files a `-v` run copied (its `<name>: Copied ...` lines)."""
    return len(re.findall(r"INFO  : .+: Copied \(", out.stderr))


def test_sync_up_check_and_resync(rclone, tmp_path):
    src = tmp_path / "src"
    write_tree(src, FILES)
    remote = f"fdfs:{BUCKET}/tree"
    first = rclone("sync", "--checksum", "-v", str(src), remote)
    assert transferred(first) == len(FILES), first.stderr
    listed = rclone("lsf", "-R", "--files-only", remote).stdout.split("\n")
    assert sorted(filter(None, listed)) == sorted(FILES)
    # Sizes and MD5s on both sides agree (the multipart file by its stored MD5).
    rclone("check", str(src), remote)
    md5s = dict(line.split("  ", 1)[::-1] for line in
                rclone("md5sum", remote).stdout.splitlines() if line)
    assert all(len(v) == 32 for v in md5s.values()), md5s
    # Nothing changed: nothing to transfer.
    again = rclone("sync", "--checksum", "-v", str(src), remote)
    assert transferred(again) == 0 and "nothing to transfer" in again.stderr, again.stderr
    # A changed and a deleted file: exactly one transfer, one deletion.
    (src / "top.txt").write_bytes(b"changed\n")
    (src / "empty.dat").unlink()
    changed = rclone("sync", "--checksum", "-v", str(src), remote)
    assert transferred(changed) == 1, changed.stderr
    assert "empty.dat: Deleted" in changed.stderr, changed.stderr
    rclone("check", str(src), remote)


def test_sync_down_matches(rclone, tmp_path):
    src = tmp_path / "src"
    write_tree(src, FILES)
    remote = f"fdfs:{BUCKET}/down"
    rclone("sync", "--checksum", str(src), remote)
    dst = tmp_path / "dst"
    rclone("sync", "--checksum", remote, str(dst))
    assert read_tree(dst) == FILES
    rclone("check", remote, str(dst))
    again = rclone("sync", "--checksum", "-v", remote, str(dst))
    assert transferred(again) == 0 and "nothing to transfer" in again.stderr, again.stderr

"""aws-cli over HTTPS (issue 10.9): `fdfs server --tls-cert --tls-key` with a
self-signed certificate made by the `openssl` CLI, trusted by aws-cli through
`--ca-bundle`: mb, cp up (a small file, and a 20 MiB one as multipart), ls,
cp down, rm, rb; without the bundle the same CLI refuses the certificate.
"""
import hashlib
import os
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import fdfs_bin, free_port
from s3_helpers import aws_runner
from s3_server import ACCESS_KEY, IP, SECRET_KEY

MiB = 1024 * 1024


def make_cert(directory):
    cert, key = directory / "s3.crt", directory / "s3.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", f"subjectAltName=IP:{IP},DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True)
    return cert, key


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    """A TLS `fdfs server`; yields (endpoint, CA bundle path)."""
    d = tmp_path_factory.mktemp("tls-server")
    cert, key = make_cert(d)
    port = free_port(IP)
    log = d / "server.log"
    env = dict(os.environ, FDFS_ACCESS_KEY_ID=ACCESS_KEY, FDFS_SECRET_ACCESS_KEY=SECRET_KEY)
    proc = subprocess.Popen(
        [fdfs_bin(), "server", "--data", str(d / "data"), "--listen", f"{IP}:{port}",
         "--tracker-listen", f"{IP}:{free_port(IP)}", "--storage-listen", f"{IP}:{free_port(IP)}",
         "--reserved-storage-space", "1M", "--tls-cert", str(cert), "--tls-key", str(key)],
        env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    endpoint = f"https://{IP}:{port}"
    context = ssl.create_default_context(cafile=str(cert))
    deadline = time.time() + 30
    while True:
        assert proc.poll() is None, f"fdfs server exited:\n{log.read_text()}"
        try:
            urllib.request.urlopen(endpoint + "/", timeout=1, context=context).close()
            break
        except urllib.error.HTTPError:
            break  # 403 for the anonymous request: TLS and HTTP work
        except OSError:
            assert time.time() < deadline, f"no HTTPS on {endpoint}:\n{log.read_text()}"
            time.sleep(0.1)
    yield endpoint, cert
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0, log.read_text()


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_awscli_with_ca_bundle(tls_server, tmp_path):
    endpoint, ca = tls_server
    aws = aws_runner(endpoint, tmp_path)
    bundle = ("--ca-bundle", str(ca))
    aws(*bundle, "s3", "mb", "s3://tls-compat")
    small, big = tmp_path / "small.txt", tmp_path / "big.bin"
    small.write_bytes(b"over TLS\n")
    big.write_bytes(os.urandom(20 * MiB))
    # The embedded storage joins right after start: retry the first upload.
    deadline = time.time() + 30
    while aws(*bundle, "s3", "cp", str(small), "s3://tls-compat/small.txt",
              check=False).returncode != 0:
        assert time.time() < deadline, "uploads never worked over TLS"
        time.sleep(0.5)
    aws(*bundle, "s3", "cp", str(big), "s3://tls-compat/big.bin")
    listing = aws(*bundle, "s3", "ls", "s3://tls-compat/").stdout
    assert "small.txt" in listing and "big.bin" in listing
    back = tmp_path / "back.bin"
    aws(*bundle, "s3", "cp", "s3://tls-compat/big.bin", str(back))
    assert sha256(back) == sha256(big)

    # Without the bundle the self-signed certificate is refused.
    refused = aws("s3", "ls", check=False)
    assert refused.returncode != 0 and "SSL" in refused.stderr, refused.stderr

    aws(*bundle, "s3", "rm", "s3://tls-compat", "--recursive")
    aws(*bundle, "s3", "rb", "s3://tls-compat")

"""A spawned all-in-one `fdfs server` (tracker + storage + S3 gateway in one
process) for the S3 client tests: free ports on 127.0.0.1 for all three
roles, a temporary data directory, the owner key from FDFS_ACCESS_KEY_ID /
FDFS_SECRET_ACCESS_KEY, and a SIGTERM stop that must exit cleanly.
"""
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from conftest import fdfs_bin, free_port

ACCESS_KEY = "FDFSCOMPAT0000000001"
SECRET_KEY = "compat-secret-0123456789abcdefghijklmnop"
REGION = "us-east-1"
IP = "127.0.0.1"


class S3Server:
    def __init__(self, extra_args=(), extra_env=None):
        # Further `fdfs server` flags and environment (e.g. the lifecycle
        # tests' shortened day).
        self.extra_args = list(extra_args)
        self.extra_env = dict(extra_env or {})
        self.dir = tempfile.mkdtemp(prefix="fdfs-s3-compat-")
        self.log = os.path.join(self.dir, "server.log")
        self.port = free_port(IP)
        self.endpoint = f"http://{IP}:{self.port}"
        # The embedded tracker, for FastDFS clients.
        self.tracker = (IP, free_port(IP))
        self.proc = None
        self.final_logs = ""

    def start(self):
        env = dict(os.environ, FDFS_ACCESS_KEY_ID=ACCESS_KEY, FDFS_SECRET_ACCESS_KEY=SECRET_KEY,
                   **self.extra_env)
        args = [
            fdfs_bin(), "server",
            "--data", os.path.join(self.dir, "data"),
            "--listen", f"{IP}:{self.port}",
            "--tracker-listen", f"{self.tracker[0]}:{self.tracker[1]}",
            "--storage-listen", f"{IP}:{free_port(IP)}",
            # The shared test disk may be fuller than the 1G default reserve.
            "--reserved-storage-space", "1M",
            *self.extra_args,
        ]
        self.proc = subprocess.Popen(args, env=env, stdout=open(self.log, "w"),
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.wait_http()
        self.wait_writable()

    def logs(self):
        if not os.path.exists(self.log):
            return self.final_logs
        with open(self.log, errors="replace") as f:
            return f.read()

    def wait_http(self, within=30.0):
        """Until the gateway answers HTTP at all (an unsigned request: 403)."""
        deadline = time.time() + within
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"fdfs server exited early:\n{self.logs()}")
            try:
                urllib.request.urlopen(self.endpoint + "/", timeout=1).close()
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"fdfs server never answered on {self.endpoint}:\n{self.logs()}")

    def wait_writable(self, within=30.0):
        """Until an upload succeeds: the embedded storage must have joined
        the embedded tracker before PUTs can be placed."""
        s3 = self.boto3_client()
        s3.create_bucket(Bucket="ready-probe")
        deadline = time.time() + within
        while True:
            try:
                s3.put_object(Bucket="ready-probe", Key="probe", Body=b"probe")
                break
            except Exception:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        s3.delete_object(Bucket="ready-probe", Key="probe")
        s3.delete_bucket(Bucket="ready-probe")

    def boto3_client(self, **config):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3", endpoint_url=self.endpoint, region_name=REGION,
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
            config=Config(s3={"addressing_style": "path"}, **config),
        )

    def stop(self):
        """SIGTERM, then the process must exit 0 within the drain time."""
        if self.proc is None:
            return
        code = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                code = self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"fdfs server ignored SIGTERM:\n{self.logs()}")
        else:
            code = self.proc.returncode
        logs = self.final_logs = self.logs()
        shutil.rmtree(self.dir, ignore_errors=True)
        assert code == 0, f"fdfs server exited with {code}:\n{logs}"

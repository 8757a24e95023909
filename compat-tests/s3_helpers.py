"""Helpers shared by the S3 client tests: an aws-cli runner with an isolated
configuration, and a bucket clean-up that leaves nothing behind (objects and
unfinished multipart uploads) so a bucket can be deleted.
"""
import os
import subprocess
import sys

from s3_server import ACCESS_KEY, REGION, SECRET_KEY

AWS = os.path.join(os.path.dirname(sys.executable), "aws")


class AwsCli:
    """Runs `aws ARGS...` against `endpoint` with path-style addressing and
    an isolated config (no profile, no credentials file, the key from AWS_*
    variables). A call returns the CompletedProcess and raises on a non-zero
    exit unless check=False."""

    def __init__(self, endpoint, home):
        config = home / "config"
        config.write_text("[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
            AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE=str(config),
            AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"),
            AWS_EC2_METADATA_DISABLED="true", HOME=str(home),
        )
        self.endpoint = endpoint
        self.env = env

    def __call__(self, *args, check=True):
        return self.many([args], check=check)[0]

    def many(self, commands, check=True):
        """Runs independent commands concurrently (each aws-cli start costs
        most of a second of CPU); their CompletedProcesses in order."""
        procs = [subprocess.Popen([AWS, "--endpoint-url", self.endpoint, *args], env=self.env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for args in commands]
        done = []
        for proc in procs:
            stdout, stderr = proc.communicate(timeout=300)
            done.append(subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr))
        for args, out in zip(commands, done):
            if check and out.returncode != 0:
                raise AssertionError(f"aws {' '.join(args)} exited {out.returncode}:\n"
                                     f"{out.stdout}\n{out.stderr}")
        return done


def aws_runner(endpoint, home):
    """An AwsCli for `endpoint`, its config under `home`."""
    return AwsCli(endpoint, home)


def empty_and_delete_bucket(client, bucket):
    """Aborts the bucket's unfinished multipart uploads, deletes every
    object (1,000 a batch) and, in a versioned bucket, every version and
    delete marker, then the bucket."""
    for page in client.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
        for up in page.get("Uploads", []):
            client.abort_multipart_upload(Bucket=bucket, Key=up["Key"], UploadId=up["UploadId"])
    keys = [o["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for o in page.get("Contents", [])]
    for i in range(0, len(keys), 1000):
        client.delete_objects(Bucket=bucket,
                              Delete={"Objects": [{"Key": k} for k in keys[i:i + 1000]]})
    versions = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket)
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
    for i in range(0, len(versions), 1000):
        client.delete_objects(Bucket=bucket, Delete={"Objects": versions[i:i + 1000]})
    client.delete_bucket(Bucket=bucket)

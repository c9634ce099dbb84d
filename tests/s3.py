"""A throwaway S3 emulator for the tables-on-object-storage test: moto's server (``moto[server]``, a test extra)
in a subprocess on a free loopback port, with one empty bucket; stopped afterwards. Nothing leaves the machine.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from tests.servers import free_port

REGION = "us-east-1"
KEY_ID, SECRET = "test-key-id", "test-secret"


@contextmanager
def s3_server(bucket: str = "shucang-test") -> Iterator[str]:
    """Start the emulator, create ``bucket``; yield its endpoint URL (``http://127.0.0.1:PORT``)."""
    import boto3

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(endpoint + "/moto-api/", timeout=1).close()  # noqa: S310 — our own server
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the S3 emulator (moto) did not start") from None
                time.sleep(0.05)
        boto3.client("s3", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=KEY_ID,
                     aws_secret_access_key=SECRET).create_bucket(Bucket=bucket)
        yield endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def objects(endpoint: str, bucket: str, prefix: str) -> list[str]:
    """Keys under ``prefix`` in the bucket (what really is on the object store)."""
    import boto3

    client = boto3.client("s3", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=KEY_ID,
                          aws_secret_access_key=SECRET)
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

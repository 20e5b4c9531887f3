"""A minimal Chalice app: imports boto3, creates one S3 client, and has two routes.

POST /put   one S3 PUT of the body (the baseline of the cold-init figures)
POST /echo  parses the JSON body and returns it (the baseline of the CPU figures)
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from chalice.app import Chalice

app = Chalice(app_name="baseline")
s3 = boto3.client("s3")


@app.route("/put", methods=["POST"])
def put() -> dict[str, Any]:
    body = app.current_request.raw_body if app.current_request else b""
    key = f"baseline/{os.urandom(8).hex()}.json"
    s3.put_object(Bucket=os.environ["LETTERBOX_BUCKET"], Key=key, Body=body)
    return {"key": key}


@app.route("/echo", methods=["POST"])
def echo() -> Any:
    return app.current_request.json_body if app.current_request else None

"""Media storage: put / open / url / delete over a local folder (the embedded default) or S3
through boto3 (DESIGN.md §5). Keys are relative paths such as `t/123/media/abc.png`."""

from __future__ import annotations

import io
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import Flask, abort, current_app, send_from_directory

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,500}$")


class StorageError(Exception):
    pass


def check_key(key: str) -> str:
    if not _KEY.match(key) or ".." in key.split("/") or "//" in key:
        raise StorageError(f"invalid storage key {key!r}")
    return key


class Storage(Protocol):
    def put(self, key: str, data: bytes | BinaryIO, content_type: str) -> str: ...
    def open(self, key: str) -> BinaryIO: ...
    def url(self, key: str) -> str: ...
    def delete(self, key: str) -> None: ...
    def exists(self, key: str) -> bool: ...


class LocalStorage:
    """Files under a folder, served by the app at /media/<key>."""

    def __init__(self, root: str | Path, url_prefix: str = "/media/"):
        self.root = Path(root)
        self.url_prefix = url_prefix

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes | BinaryIO, content_type: str) -> str:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = data if isinstance(data, bytes) else data.read()
        # Write then rename, so a reader never sees half a file.
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
            handle.write(payload)
        os.replace(handle.name, path)
        return key

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError:
            raise StorageError(f"no such object {key!r}") from None

    def url(self, key: str) -> str:
        return self.url_prefix + check_key(key)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()


class S3Storage:
    def __init__(self, bucket: str, endpoint_url: str | None = None, client=None):
        import boto3

        self.bucket = bucket
        self.client = client or boto3.client("s3", endpoint_url=endpoint_url)

    def put(self, key: str, data: bytes | BinaryIO, content_type: str) -> str:
        body = data if isinstance(data, bytes) else data.read()
        self.client.put_object(Bucket=self.bucket, Key=check_key(key), Body=body, ContentType=content_type)
        return key

    def open(self, key: str) -> BinaryIO:
        from botocore.exceptions import ClientError

        try:
            response = self.client.get_object(Bucket=self.bucket, Key=check_key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise StorageError(f"no such object {key!r}") from None
            raise
        return io.BytesIO(response["Body"].read())

    def url(self, key: str) -> str:
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": check_key(key)}, ExpiresIn=3600)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=check_key(key))

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=check_key(key))
            return True
        except ClientError:
            return False


def storage() -> Storage:
    return current_app.extensions["tessera_storage"]


def init_app(app: Flask) -> None:
    if app.config.get("S3_BUCKET"):
        app.extensions["tessera_storage"] = S3Storage(app.config["S3_BUCKET"], app.config.get("S3_ENDPOINT_URL"))
        return
    local = LocalStorage(app.config["MEDIA_PATH"])
    app.extensions["tessera_storage"] = local

    @app.get("/media/<path:key>")
    def media(key: str):
        try:
            check_key(key)
        except StorageError:
            abort(404)
        return send_from_directory(local.root, key, max_age=31536000)

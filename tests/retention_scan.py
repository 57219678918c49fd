"""The verification a test makes after a retention purge: every table scanned and every object in every
bucket read (its key, its metadata and, unless it is an image, its bytes), looking for anything of the
child or its removed guardians. A Scan is fine here: this is an auditor's check, never a request path."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic")


@dataclass(frozen=True)
class Hit:
    where: str  # "table <name>" or "bucket <name>"
    key: str
    item: dict[str, Any]  # the DynamoDB item (plain JSON form) or the object's head

    def __str__(self) -> str:
        return f"{self.where}: {self.key}"


def _plain(value: dict[str, Any]) -> Any:
    (kind, inner), = value.items()
    if kind == "M":
        return {k: _plain(v) for k, v in inner.items()}
    if kind == "L":
        return [_plain(v) for v in inner]
    if kind in ("SS", "NS", "BS"):
        return sorted(map(str, inner))
    return inner if kind != "B" else repr(inner)


def _zip_text(body: bytes) -> str:
    """An archive's entry names and the text of its entries (deflated, so its raw bytes hide them)."""
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        parts = [info.filename for info in archive.infolist()]
        parts += [archive.read(info).decode("utf-8", errors="replace") for info in archive.infolist()
                  if not info.filename.endswith((".jpg", ".jpeg", ".png", ".pdf"))]
    return " ".join(parts)


def scan_everything(clients: dict[str, Any], needles: list[str]) -> list[Hit]:
    dynamodb, s3 = clients["dynamodb"], clients["s3"]
    hits: list[Hit] = []
    lowered = [n.lower() for n in needles]

    def holds(text: str) -> bool:
        text = text.lower()
        return any(n in text for n in lowered)

    for table in dynamodb.list_tables()["TableNames"]:
        for page in dynamodb.get_paginator("scan").paginate(TableName=table):
            for raw in page["Items"]:
                item = {k: _plain(v) for k, v in raw.items()}
                if holds(json.dumps(item, ensure_ascii=False, default=str)):
                    hits.append(Hit(f"table {table}", f"{item.get('pk')}/{item.get('sk')}", item))
    for bucket in (b["Name"] for b in s3.list_buckets()["Buckets"]):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for listed in page.get("Contents", []):
                key = listed["Key"]
                got = s3.get_object(Bucket=bucket, Key=key)
                head = {"ContentType": got.get("ContentType", ""), "Metadata": got.get("Metadata", {}),
                        "ContentDisposition": got.get("ContentDisposition", "")}
                body = got["Body"].read()
                text = f"{key} {json.dumps(head)}"
                if body[:4] == b"PK\x03\x04":
                    text += _zip_text(body)
                elif not str(head["ContentType"]).startswith(IMAGE_TYPES):
                    text += body.decode("utf-8", errors="replace")
                if holds(text):
                    hits.append(Hit(f"bucket {bucket}", key, head))
        for upload in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
            if holds(upload["Key"]):
                hits.append(Hit(f"bucket {bucket} (unfinished upload)", upload["Key"], {}))
    return hits

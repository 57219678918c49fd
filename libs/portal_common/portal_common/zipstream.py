"""A ZIP archive written straight into an S3 multipart upload, in steps that may run in different
Lambda invocations, in constant memory.

Python's `zipfile` writes to a stream it cannot seek (local headers with data descriptors), so each step
opens a `ZipFile` on a `_Sink` that only appends and knows the archive's absolute offset, and restores
the entries written by earlier steps (`filelist`): the central directory at the end lists them all. The
sink cuts the bytes into parts of `PART_SIZE` (S3 wants at least 5 MiB for every part but the last); what
is left below a part's size when a step ends is kept as the step's `tail` and written first by the next.

Memory: a few parts plus the entry being written (a photo of a few MB), whatever the archive's size.
Sizes past 4 GiB use ZIP64, which `zipfile` writes by itself.
"""

from __future__ import annotations

import base64
import json
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from . import aws, ids

PART_SIZE = 8 * 1024 * 1024
_BYTES_FIELDS = ("extra", "comment")
_FIELDS = ("orig_filename", "filename", "date_time", "compress_type", "_compresslevel", "create_system",
           "create_version", "extract_version", "reserved", "flag_bits", "volume", "internal_attr", "external_attr",
           "header_offset", "CRC", "compress_size", "file_size")


def info_to_json(info: zipfile.ZipInfo) -> dict[str, Any]:
    out: dict[str, Any] = {name: getattr(info, name) for name in _FIELDS}
    out.update({name: base64.b64encode(getattr(info, name)).decode() for name in _BYTES_FIELDS})
    return out


def info_from_json(data: dict[str, Any]) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(data["filename"], tuple(data["date_time"]))  # type: ignore[arg-type]
    for name in _FIELDS:
        value = data[name]
        setattr(info, name, tuple(value) if name == "date_time" else value)
    for name in _BYTES_FIELDS:
        setattr(info, name, base64.b64decode(data[name]))
    return info


@dataclass
class Progress:
    """What a step hands to the next: the multipart upload, its parts, the entries and the unsent tail."""

    bucket: str
    key: str
    upload_id: str
    parts: list[dict[str, Any]] = field(default_factory=list)  # [{"PartNumber", "ETag"}]
    offset: int = 0  # bytes of the archive written so far (sent in parts + the tail)
    entries: list[dict[str, Any]] = field(default_factory=list)
    tail: bytes = b""

    def to_json(self) -> dict[str, Any]:
        return {"bucket": self.bucket, "key": self.key, "upload_id": self.upload_id, "parts": self.parts,
                "offset": self.offset, "entries": self.entries}

    @classmethod
    def from_json(cls, data: dict[str, Any], tail: bytes) -> Progress:
        return cls(data["bucket"], data["key"], data["upload_id"], list(data["parts"]), int(data["offset"]),
                   list(data["entries"]), tail)


def start(bucket: str, key: str, *, file_name: str) -> Progress:
    """Open the multipart upload (encrypted, downloads under `file_name`)."""
    answer = aws.client("s3").create_multipart_upload(
        Bucket=bucket, Key=key, ContentType="application/zip", ServerSideEncryption="AES256",
        ContentDisposition=f'attachment; filename="{file_name}"')
    return Progress(bucket, key, answer["UploadId"])


class _Sink:
    """Append-only stream that sends full parts to S3 as the bytes come.

    Parts go up on one background thread, at most `IN_FLIGHT` at a time, while the next entries are
    read and written: the network waits overlap instead of adding up (memory: `IN_FLIGHT` parts more)."""

    IN_FLIGHT = 2

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.buffer = bytearray(progress.tail)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="zip-part")
        self._pending: list[Future[dict[str, Any]]] = []

    def write(self, data: bytes) -> int:
        self.buffer += data
        self.progress.offset += len(data)
        while len(self.buffer) >= PART_SIZE:
            self._send(bytes(self.buffer[:PART_SIZE]))
            del self.buffer[:PART_SIZE]
        return len(data)

    def tell(self) -> int:
        return self.progress.offset

    def flush(self) -> None:
        return None

    def _send(self, chunk: bytes) -> None:
        number = len(self.progress.parts) + len(self._pending) + 1
        client, p = aws.client("s3"), self.progress

        def upload() -> dict[str, Any]:
            answer = client.upload_part(Bucket=p.bucket, Key=p.key, UploadId=p.upload_id, PartNumber=number,
                                        Body=chunk)
            return {"PartNumber": number, "ETag": answer["ETag"]}

        self._pending.append(self._pool.submit(upload))
        while len(self._pending) > self.IN_FLIGHT:
            self.progress.parts.append(self._pending.pop(0).result())

    def drain(self) -> None:
        """Wait for every part on its way (an upload error surfaces here), then stop the thread."""
        try:
            while self._pending:
                self.progress.parts.append(self._pending.pop(0).result())
        finally:
            self._pool.shutdown(wait=True)


class Writer:
    """One step's view of the archive: `add` entries, then `pause` (more steps follow) or `finish`."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.sink = _Sink(progress)
        self.zip = zipfile.ZipFile(self.sink, "w")  # type: ignore[call-overload]
        infos = [info_from_json(e) for e in progress.entries]
        self.zip.filelist = infos
        self.zip.NameToInfo = {i.filename: i for i in infos}
        self.zip.start_dir = progress.offset

    def add(self, name: str, data: bytes, date_time: tuple[int, int, int, int, int, int], *,
            compress: bool) -> None:
        """One file; JPEGs are stored as they are (already compressed), text is deflated."""
        info = zipfile.ZipInfo(name, date_time)
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        self.zip.writestr(info, data)

    def pause(self) -> Progress:
        """Stop after this step: the entries so far and the unsent tail go to the next step."""
        self.sink.drain()
        self.progress.entries = [info_to_json(i) for i in self.zip.filelist]
        self.progress.tail = bytes(self.sink.buffer)
        self.zip._didModify = False  # nothing is written at close: the archive is not finished
        self.zip.fp = None
        return self.progress

    def finish(self) -> int:
        """Write the central directory, send the last part and complete the upload; the archive's size."""
        self.zip.close()
        s3 = aws.client("s3")
        if self.sink.buffer or not (self.progress.parts or self.sink._pending):
            self.sink._send(bytes(self.sink.buffer))
            self.sink.buffer.clear()
        self.sink.drain()
        s3.complete_multipart_upload(Bucket=self.progress.bucket, Key=self.progress.key,
                                     UploadId=self.progress.upload_id,
                                     MultipartUpload={"Parts": self.progress.parts})
        return self.progress.offset


def save_state(bucket: str, prefix: str, manifest: list[dict[str, Any]], position: int,
               progress: Progress) -> str:
    """What the next step needs (the manifest, how far it got, the paused archive), under `prefix` plus a
    name of its own, so a duplicate worker of the same step never overwrites it; the key prefix to pass on."""
    key = f"{prefix}-{ids.new_id().lower()}"
    body = json.dumps({"manifest": manifest, "position": position, "zip": progress.to_json()}).encode()
    s3 = aws.client("s3")
    s3.put_object(Bucket=bucket, Key=f"{key}.json", Body=body, ServerSideEncryption="AES256")
    s3.put_object(Bucket=bucket, Key=f"{key}.tail", Body=progress.tail, ServerSideEncryption="AES256")
    return key


def load_state(bucket: str, key: str) -> tuple[list[dict[str, Any]], int, Progress]:
    s3 = aws.client("s3")
    state = json.loads(s3.get_object(Bucket=bucket, Key=f"{key}.json")["Body"].read())
    tail = s3.get_object(Bucket=bucket, Key=f"{key}.tail")["Body"].read()
    return state["manifest"], int(state["position"]), Progress.from_json(state["zip"], tail)


def abort(progress: Progress) -> None:
    aws.client("s3").abort_multipart_upload(Bucket=progress.bucket, Key=progress.key, UploadId=progress.upload_id)

"""Files that go straight between a client and S3 (never through a Lambda payload).

- `upload_form`: a presigned POST for one file of a declared type and at most a given size, encrypted
  at rest (the browser or app posts it to S3 directly);
- `download_url`: a presigned GET, optionally downloading as an attachment under a file name;
- `slug`: the file-name-safe form of a person's name ("Noor de Vries" → "noor-de-vries");
- `unique`: a name not yet taken in an archive ("brief.pdf", "brief (2).pdf").
"""

from __future__ import annotations

from urllib.parse import quote

from . import aws

SSE = "AES256"  # every object the services write or let clients write is encrypted at rest


def upload_form(bucket: str, key: str, *, content_type: str, max_bytes: int,
                seconds: int) -> tuple[str, dict[str, str]]:
    """The URL and form fields of a presigned POST that S3 accepts only for this type, size and encryption."""
    form = aws.client("s3").generate_presigned_post(
        Bucket=bucket, Key=key, ExpiresIn=seconds,
        Fields={"Content-Type": content_type, "x-amz-server-side-encryption": SSE},
        Conditions=[{"Content-Type": content_type}, {"x-amz-server-side-encryption": SSE},
                    ["content-length-range", 1, max_bytes]])
    return str(form["url"]), {k: str(v) for k, v in form["fields"].items()}


def attachment(file_name: str) -> str:
    """A Content-Disposition that downloads under `file_name`: a plain ASCII name for every client, plus
    the exact name (RFC 6266 `filename*`) when it holds anything else (accents, quotes)."""
    plain = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in file_name)
    exact = "" if plain == file_name else f"; filename*=UTF-8''{quote(file_name, safe='')}"
    return f'attachment; filename="{plain}"{exact}'


def download_url(bucket: str, key: str, *, seconds: int, file_name: str | None = None,
                 content_type: str | None = None) -> str:
    """A presigned GET; with `file_name` it downloads as an attachment under that name."""
    params = {"Bucket": bucket, "Key": key}
    if file_name:
        params["ResponseContentDisposition"] = attachment(file_name)
    if content_type:
        params["ResponseContentType"] = content_type
    return str(aws.client("s3").generate_presigned_url("get_object", Params=params, ExpiresIn=seconds))


def slug(name: str, fallback: str = "kind") -> str:
    """Lower-case ASCII letters and digits joined by hyphens; `fallback` when nothing is left."""
    return "-".join("".join(ch.lower() if ch.isascii() and ch.isalnum() else " " for ch in name).split()) or fallback


def unique(name: str, taken: set[str], *, mark: str = " ({n})") -> str:
    """`name`, or `name` with `mark` before its extension ("brief (2).pdf") while that is taken; the name
    returned is added to `taken`."""
    stem, dot, extension = name.rpartition(".") if "." in name[1:] else (name, "", "")
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{stem}{mark.format(n=n)}{dot}{extension}"
    taken.add(candidate)
    return candidate

"""FULL-mode downloads: fetch a file with a progress bar and an integrity check, and tell a
network failure (offline, blocked, server down: the notebook falls back to its offline data)
from a fault the student must fix (a half-extracted dataset: delete it and fetch it again).

Set the environment variable COURSE_MIRROR to a base URL (`http://host:port/path/`) to fetch
every file by its file name from there instead of its original host: a classroom server, or the
tests' local one. A mirror's files are checked for completeness, not against the original
checksums (a classroom mirror may serve a smaller copy).
"""

from __future__ import annotations

import hashlib
import http.client
import os
import ssl
import tarfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

MIRROR_ENV = "COURSE_MIRROR"
# What a failing connection raises (urllib wraps most socket errors in URLError); anything else,
# e.g. a full disk while writing, is a real fault and is not caught.
NETWORK_ERRORS = (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError,
                  ssl.SSLError)


class DownloadUnavailable(OSError):
    """A FULL-mode file could not be fetched: offline, blocked, a server error or a corrupt
    transfer. The message is one line naming the file and the cause; notebooks catch this (and
    only this) to fall back to their offline data."""


class IncompleteDownload(RuntimeError):
    """A downloaded dataset or file on disk is incomplete or unreadable. `path` is what to
    delete so that the next run fetches it afresh (the message says so, in one line)."""

    def __init__(self, path: Path, detail: str):
        self.path = Path(path)
        detail = " ".join(detail.split())
        super().__init__(f"{detail[:300]}. Delete {self.path} and run again to download it "
                         "afresh.")


@dataclass(frozen=True)
class Remote:
    """A file to download: `urls` are tried in order (mirrors of one another).

    digest: (hash name, expected hex digest or its leading characters), e.g. ("md5", "5c4f...");
    size: the file's size in bytes, for messages (the progress bar reads the server's).
    """

    urls: tuple[str, ...]
    digest: tuple[str, str] | None
    size: int

    @property
    def name(self) -> str:
        return self.urls[0].rsplit("/", 1)[-1]


def megabytes(size: int) -> str:
    """A size in bytes in decimal megabytes, as the progress bars show it: '553 MB', '11.6 MB',
    '0.03 MB'."""
    mb = size / 1e6
    return f"{mb:,.0f} MB" if mb >= 100 else f"{mb:.1f} MB" if mb >= 1 else f"{mb:.2f} MB"


def mirror() -> str | None:
    """The base URL in $COURSE_MIRROR (with a trailing slash), or None when it is not set."""
    base = os.environ.get(MIRROR_ENV, "").strip()
    if not base:
        return None
    if urllib.parse.urlparse(base).scheme not in ("http", "https"):
        raise ValueError(f"{MIRROR_ENV} must be an http:// or https:// base URL; got {base!r}")
    return base if base.endswith("/") else base + "/"


def sources(remote: Remote) -> list[str]:
    """Where `remote` is fetched from: the mirror's copy when COURSE_MIRROR is set, else its
    URLs in order."""
    base = mirror()
    return [base + remote.name] if base else list(remote.urls)


def network_reason(err: BaseException) -> str:
    """A network error's cause in a few words, e.g. 'HTTP 404 Not Found' or 'Temporary failure
    in name resolution'."""
    if isinstance(err, urllib.error.HTTPError):
        return f"HTTP {err.code} {err.reason}"
    if isinstance(err, urllib.error.URLError):
        reason = err.reason
        if isinstance(reason, OSError) and reason.strerror:
            return reason.strerror
        return str(reason) or type(reason).__name__
    if isinstance(err, TimeoutError):
        return "no answer (timed out)"
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0]}" if text else type(err).__name__


def fetch(remote: Remote, folder: Path, progress: bool = True, timeout: float = 30.0) -> Path:
    """`folder / remote.name`, downloaded first unless it is already there.

    The file is written to a `.part` file and renamed only once it is complete (its length is
    the server's and, from the original host, its digest matches), so an interrupted download
    never looks finished. Raises DownloadUnavailable (one line: file, host, cause) when no
    source answers or a transfer is cut short or corrupt; other errors (a full disk) propagate.
    """
    folder = Path(folder)
    target = folder / remote.name
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    failures = []
    digest = None if mirror() else remote.digest  # a mirror may serve a smaller copy
    for url in sources(remote):
        try:
            _download(url, target, digest, progress, timeout)
            return target
        except DownloadUnavailable as err:
            failures.append(str(err))
    raise DownloadUnavailable(f"cannot download {remote.name} ({megabytes(remote.size)}): "
                              + "; ".join(failures))


def _download(url: str, target: Path, digest: tuple[str, str] | None, progress: bool,
              timeout: float) -> None:
    host = urllib.parse.urlparse(url).netloc
    part = target.with_name(target.name + ".part")
    hasher = hashlib.new(digest[0]) if digest else None
    try:
        response = urllib.request.urlopen(url, timeout=timeout)  # noqa: S310 (http(s) only)
    except NETWORK_ERRORS as err:
        raise DownloadUnavailable(f"{host}: {network_reason(err)}") from err
    total = int(response.headers.get("Content-Length") or 0) or None
    received = 0
    with response, open(part, "wb") as out, tqdm(
            total=total, unit="B", unit_scale=True, unit_divisor=1000, desc=target.name,
            disable=not progress, mininterval=0.5) as bar:
        while True:
            try:
                chunk = response.read(1 << 20)
            except NETWORK_ERRORS as err:
                part.unlink(missing_ok=True)
                raise DownloadUnavailable(f"{host}: connection lost after {megabytes(received)} "
                                          f"({network_reason(err)})") from err
            if not chunk:
                break
            out.write(chunk)
            received += len(chunk)
            if hasher:
                hasher.update(chunk)
            bar.update(len(chunk))
    if total is not None and received != total:
        part.unlink(missing_ok=True)
        raise DownloadUnavailable(f"{host}: transfer cut short at {megabytes(received)} of "
                                  f"{megabytes(total)}")
    if hasher and not hasher.hexdigest().startswith(digest[1]):
        part.unlink(missing_ok=True)
        raise DownloadUnavailable(f"{host}: the file failed its {digest[0]} check (a corrupt or "
                                  "intercepted transfer)")
    part.replace(target)


def unpack(archive: Path, folder: Path) -> None:
    """Extract the tar archive `archive` into `folder` (members may not leave it)."""
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(folder, filter="data")
    except (tarfile.TarError, EOFError) as err:
        raise IncompleteDownload(archive, f"{archive.name} is not a complete archive ({err})") \
            from err

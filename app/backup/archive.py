"""The archive file: a tar (``.tar``) or gzip-compressed tar (``.tar.gz``, ``.tgz``).

Members, in the order they are written and restored: ``tables/<table>.jsonl`` in foreign-key
order (``tables/blobs.jsonl`` directly followed by one ``blobs/<sha256>`` per blob), and last
``manifest.json`` with the SHA-256 and size of every other member. Writing streams (each table goes
through a temporary file next to the archive, so memory stays flat) into ``<name>.partial``, renamed
only when complete. Reading streams too: the archive is read from start to end, never seeked.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from app.backup import BackupError

FORMAT = "musterregister-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024
MAX_MANIFEST_BYTES = 512 * 1024 * 1024
BLOB_MEMBER = re.compile(r"blobs/([0-9a-f]{64})")
TABLE_MEMBER = re.compile(r"tables/([a-z_][a-z0-9_]*)\.jsonl")
SUFFIXES = {".tar.gz": "gz", ".tgz": "gz", ".tar": ""}

Progress = Callable[[str, int, int], None]


def no_progress(_stage: str, _done: int, _total: int) -> None:
    """Default: report nothing."""


def compression_of(path: Path) -> str:
    for suffix, compression in SUFFIXES.items():
        if path.name.endswith(suffix):
            return compression
    raise BackupError(
        f"{path.name}: Der Dateiname einer Sicherung muss auf .tar.gz, .tgz oder .tar enden."
    )


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- writing -----------------------------------------------------------------------------------


class MemberFile:
    """A member being written: a temporary file that counts its bytes, lines and SHA-256."""

    def __init__(self, directory: Path) -> None:
        self.file = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115 (closed when added)
        self.digest = hashlib.sha256()
        self.size = self.lines = 0

    def write_line(self, line: bytes) -> None:
        data = line + b"\n"
        self.file.write(data)
        self.digest.update(data)
        self.size += len(data)
        self.lines += 1


class ArchiveWriter:
    """Writes ``path`` via ``<path>.partial``; :meth:`finish` renames, :meth:`abort` removes."""

    def __init__(self, path: Path) -> None:
        compression = compression_of(path)
        if path.exists():
            raise BackupError(f"{path} gibt es schon; bitte einen neuen Dateinamen wählen.")
        self.path, self.partial = path, path.with_name(path.name + ".partial")
        # personal data, perhaps keys: readable by the owner only, from the first byte on
        try:
            descriptor = os.open(self.partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        except OSError as error:
            raise BackupError(f"{path} lässt sich nicht anlegen: {error.strerror}.") from None
        self._raw = os.fdopen(descriptor, "wb")
        mode = f"w:{compression}" if compression else "w"
        options = {"compresslevel": 6} if compression else {}
        # closed in finish() or abort()
        self._tar = tarfile.open(fileobj=self._raw, mode=mode, **options)  # noqa: SIM115
        self.files: dict[str, dict[str, Any]] = {}

    def new_member(self) -> MemberFile:
        return MemberFile(self.path.parent)

    def add_member(self, name: str, member: MemberFile) -> None:
        member.file.seek(0)
        self._add(name, member.file, member.size)
        member.file.close()
        self.files[name] = {"sha256": member.digest.hexdigest(), "bytes": member.size}

    def add_bytes(self, name: str, data: bytes) -> None:
        self._add(name, io.BytesIO(data), len(data))
        self.files[name] = {"sha256": sha256_hex(data), "bytes": len(data)}

    def _add(self, name: str, content: IO[bytes], size: int) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = size, 0o600, int(time.time())
        self._tar.addfile(info, content)

    def finish(self, manifest: dict[str, Any]) -> None:
        data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
        self._add(MANIFEST, io.BytesIO(data), len(data))
        self._tar.close()
        self._raw.flush()
        os.fsync(self._raw.fileno())
        self._raw.close()
        os.replace(self.partial, self.path)

    def abort(self) -> None:
        try:
            self._tar.close()
            self._raw.close()
        finally:
            self.partial.unlink(missing_ok=True)


# --- reading -----------------------------------------------------------------------------------


class CountingFile(io.RawIOBase):
    """The archive file, telling how far reading got (for the progress bar)."""

    def __init__(self, path: Path, progress: Progress, stage: str) -> None:
        self._file = open(path, "rb")  # noqa: SIM115 (closed in close())
        self.total = path.stat().st_size
        self._progress, self._stage = progress, stage
        self._reported = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self._file.readinto(buffer)
        position = self._file.tell()
        if position - self._reported >= CHUNK or position == self.total:
            self._progress(self._stage, position, self.total)
            self._reported = position
        return count

    def close(self) -> None:
        self._file.close()
        super().close()


@dataclass
class Member:
    name: str
    size: int
    content: io.BufferedReader


READ_ERRORS = (tarfile.TarError, EOFError, zlib.error, OSError)


def _damaged(path: Path, error: Exception) -> BackupError:
    return BackupError(
        f"{path.name} ist beschädigt oder keine Sicherung ({error}). Nichts wurde geändert."
    )


def read_members(path: Path, progress: Progress, stage: str) -> Iterator[Member]:
    """Every member of the archive in order; a damaged archive becomes a :class:`BackupError`."""
    if not path.is_file():
        raise BackupError(f"{path}: Datei nicht gefunden. Nichts wurde geändert.")
    raw = CountingFile(path, progress, stage)
    try:
        with tarfile.open(fileobj=raw, mode="r|*") as tar:  # type: ignore[call-overload]
            for info in tar:
                yield _member(tar, info, path)
    except READ_ERRORS as error:
        raise _damaged(path, error) from None
    finally:
        raw.close()


def _member(tar: tarfile.TarFile, info: tarfile.TarInfo, path: Path) -> Member:
    if not info.isfile():
        raise BackupError(f"Unerwarteter Eintrag {info.name!r} in der Sicherung.")
    content = tar.extractfile(info)
    assert content is not None  # a regular file always has content
    return Member(info.name, info.size, io.BufferedReader(_GuardedReader(content, path), CHUNK))


class _GuardedReader(io.RawIOBase):
    """A member's content: errors of a damaged archive surface as :class:`BackupError` in the code
    that reads, which runs outside :func:`read_members`."""

    def __init__(self, content: IO[bytes], path: Path) -> None:
        self._content, self._path = content, path

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._content.read(len(buffer))
        except READ_ERRORS as error:
            raise _damaged(self._path, error) from None
        buffer[: len(data)] = data
        return len(data)


@dataclass
class VerifiedArchive:
    """An archive whose every checksum matched its manifest."""

    manifest: dict[str, Any]
    kept: dict[str, bytes] = field(default_factory=dict)


def verify_archive(
    path: Path, progress: Progress = no_progress, keep: frozenset[str] = frozenset()
) -> VerifiedArchive:
    """Check every member against the manifest; the bytes of the members in ``keep`` are kept."""
    compression_of(path)
    seen: dict[str, dict[str, Any]] = {}
    kept: dict[str, bytes] = {}
    manifest_data: bytes | None = None
    for member in read_members(path, progress, "Prüfen"):
        if member.name in seen or (member.name == MANIFEST and manifest_data is not None):
            raise BackupError(f"{member.name} steht mehrfach in der Sicherung.")
        if member.name == MANIFEST:
            manifest_data = _read_manifest_bytes(member)
            continue
        seen[member.name] = _digest(member, kept if member.name in keep else None)
    if manifest_data is None:
        raise BackupError(f"{path.name} enthält kein {MANIFEST}: keine vollständige Sicherung.")
    manifest = parse_manifest(manifest_data)
    _compare(manifest, seen)
    return VerifiedArchive(manifest, kept)


def _read_manifest_bytes(member: Member) -> bytes:
    if member.size > MAX_MANIFEST_BYTES:
        raise BackupError(f"{MANIFEST} ist unplausibel groß.")
    return member.content.read()


def _digest(member: Member, kept: dict[str, bytes] | None) -> dict[str, Any]:
    digest, size, lines, parts = hashlib.sha256(), 0, 0, []
    while chunk := member.content.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        lines += chunk.count(b"\n")
        if kept is not None:
            parts.append(chunk)
    if kept is not None:
        kept[member.name] = b"".join(parts)
    return {"sha256": digest.hexdigest(), "bytes": size, "lines": lines}


def parse_manifest(data: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(data)
    except ValueError as error:
        raise BackupError(f"{MANIFEST} ist kein gültiges JSON ({error}).") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{MANIFEST} beschreibt keine Musterregister-Sicherung.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"Sicherungsformat {manifest.get('format_version')!r} wird nicht unterstützt "
            f"(diese Version liest Format {FORMAT_VERSION})."
        )
    if not _well_formed(manifest):
        raise BackupError(f"{MANIFEST} ist unvollständig oder fehlerhaft. Nichts wurde geändert.")
    return manifest


def _well_formed(manifest: dict[str, Any]) -> bool:
    files, tables = manifest.get("files"), manifest.get("tables")
    if not (isinstance(files, dict) and isinstance(tables, dict)):
        return False
    return all(
        isinstance(entry, dict)
        and isinstance(entry.get("sha256"), str)
        and isinstance(entry.get("bytes"), int)
        for entry in files.values()
    ) and all(
        isinstance(entry, dict)
        and isinstance(entry.get("file"), str)
        and isinstance(entry.get("rows"), int)
        and isinstance(entry.get("columns"), list)
        and all(
            isinstance(col, dict) and isinstance(col.get("name"), str) for col in entry["columns"]
        )
        for entry in tables.values()
    )


def _compare(manifest: dict[str, Any], seen: dict[str, dict[str, Any]]) -> None:
    listed: dict[str, dict[str, Any]] = manifest["files"]
    problems = [f"fehlt: {name}" for name in sorted(set(listed) - set(seen))]
    problems += [f"nicht im Manifest: {name}" for name in sorted(set(seen) - set(listed))]
    for name in sorted(set(listed) & set(seen)):
        expected, actual = listed[name], seen[name]
        if (expected.get("sha256"), expected.get("bytes")) != (actual["sha256"], actual["bytes"]):
            problems.append(f"Prüfsumme falsch: {name}")
        elif (match := BLOB_MEMBER.fullmatch(name)) and match.group(1) != actual["sha256"]:
            problems.append(f"Inhalt passt nicht zum Namen: {name}")
    problems += _row_count_problems(manifest, seen)
    if problems:
        shown = "; ".join(problems[:10]) + (" …" if len(problems) > 10 else "")
        raise BackupError(f"Die Sicherung ist nicht unversehrt: {shown}. Nichts wurde geändert.")


def _row_count_problems(manifest: dict[str, Any], seen: dict[str, dict[str, Any]]) -> list[str]:
    problems = []
    for name, entry in manifest["tables"].items():
        if entry.get("file") not in seen:
            problems.append(f"Datei der Tabelle {name} fehlt")
            continue
        actual = seen[entry["file"]]["lines"]
        if actual != entry.get("rows"):
            problems.append(f"Zeilenzahl von {name}: {actual} statt {entry.get('rows')}")
    return problems


class HashingReader:
    """Reads a member line by line while checking it against the manifest (second pass)."""

    def __init__(self, member: Member, expected: dict[str, Any]) -> None:
        self._member, self._expected = member, expected
        self._digest = hashlib.sha256()

    def lines(self) -> Iterator[bytes]:
        for line in self._member.content:
            self._digest.update(line)
            yield line
        self._check()

    def read_all(self) -> bytes:
        data = self._member.content.read()
        self._digest.update(data)
        self._check()
        return data

    def _check(self) -> None:
        if self._digest.hexdigest() != self._expected.get("sha256"):
            raise BackupError(
                f"{self._member.name} hat sich seit der Prüfung verändert. Nichts wurde geändert."
            )

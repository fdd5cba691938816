"""Backups of a whole instance: ``musterregister export`` and ``musterregister import``.

An archive (tar, optionally gzip-compressed) holds every table's rows as JSON Lines, the bytes of
every blob in a file named by its SHA-256, and a manifest with the checksum of every file. See
docs/sicherung.md for the format and what is (not) in it.
"""

from __future__ import annotations


class BackupError(Exception):
    """A backup cannot be written, checked or restored; the message is for the operator."""

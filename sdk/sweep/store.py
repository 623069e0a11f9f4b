"""The results store: one JSON line per finished trial, keyed by its configuration's hash.

Each line is ``{"key", "config", "status", "result" | "error"}``, appended and flushed to disk
when the trial ends, so a crash loses at most the trial that was running; a torn last line
(killed mid-write) is ignored on reading and that trial runs again.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from sdk.errors import DataFileError


def canonical(config: dict) -> str:
    """The configuration as JSON with sorted keys and no spaces (its identity)."""
    return json.dumps(config, sort_keys=True, separators=(",", ":"))


def trial_key(config: dict) -> str:
    """A short stable key: the first 16 hex digits of the SHA-256 of :func:`canonical`."""
    return hashlib.sha256(canonical(config).encode()).hexdigest()[:16]


class ResultStore:
    """Trial records in a JSON-lines file ``path`` (created when the first record is added)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.records: dict[str, dict] = {}
        if self.path.exists():
            self._read()

    def _read(self) -> None:
        try:
            lines = self.path.read_text().splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise DataFileError(f"{self.path}: cannot read the sweep results: {exc}") from None
        for number, line in enumerate(lines, 1):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                if number == len(lines):
                    continue  # a write cut short by a kill: that trial runs again
                raise DataFileError(f"{self.path}: line {number} is not JSON; expected one "
                                    "trial record per line") from None
            if not isinstance(record, dict) or "key" not in record or "config" not in record:
                raise DataFileError(f"{self.path}: line {number} is not a trial record "
                                    "(fields key, config, status)")
            self.records[record["key"]] = record

    def __contains__(self, key: str) -> bool:
        return key in self.records

    def add(self, config: dict, status: str, payload: dict | str) -> dict:
        """Append the record of one finished trial (``status`` "ok" with a result dict, or
        "error" with its one-line message) and flush it to disk."""
        key = trial_key(config)
        record = {"key": key, "config": config, "status": status,
                  ("result" if status == "ok" else "error"): payload}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, sort_keys=True) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.records[key] = record
        return record

    def get(self, config: dict) -> dict | None:
        """The record of ``config``, or None when it has not run."""
        return self.records.get(trial_key(config))

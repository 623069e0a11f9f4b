"""The sanitized lane of the C tests: AddressSanitizer and UndefinedBehaviorSanitizer, any
finding fatal (docs/reliability.md).

Drivers compiled by a test add :data:`SANITIZE` to their gcc flags; firmware builds use the
``host_asan`` board (boards/host_asan), whose reports :func:`sanitizer_reports` collects
because host.run_files.run_native keeps only the exit status.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

SANITIZE = ["-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined",
            "-fno-sanitize-recover=all"]
SANITIZED_BOARD = "host_asan"


def sanitizer_reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[], str]:
    """Send the sanitizers' reports of the processes this test starts to files under
    ``tmp_path``; returns a function giving their text ("" when there is none)."""
    logs = tmp_path / "sanitizer"
    logs.mkdir()
    monkeypatch.setenv("ASAN_OPTIONS", f"log_path={logs}/asan:detect_leaks=1")
    monkeypatch.setenv("UBSAN_OPTIONS", f"log_path={logs}/ubsan:print_stacktrace=1")

    def reports() -> str:
        return "\n".join(p.read_text() for p in sorted(Path(logs).iterdir()))

    return reports

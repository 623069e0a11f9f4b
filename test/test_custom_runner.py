"""PlatformIO custom test runner (test_framework = custom) for tinyprune's offline boards.

PlatformIO builds the suite (test/<suite>/*.c with the board layer) through
platforms/tinyprune; this runner then runs the program on what the board's board.json names:
natively (host), in QEMU (qemu_m7, host/qemu.py) or in mspdebug's simulator (msp430fr6989,
host/mspdebug.py), and reads the console. A suite prints one line per check,
"TEST <name> PASS" or "TEST <name> FAIL <why>", then "TESTS DONE".
"""

import json
import os
import subprocess
import sys
import tempfile

from platformio.test.result import TestCase, TestStatus
from platformio.test.runners.base import TestRunnerBase

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class CustomTestRunner(TestRunnerBase):
    """Runs a built test suite on the environment's tinyprune board and parses its lines."""

    def stage_testing(self):
        if self.options.without_testing:
            return None
        env = self.test_suite.env_name
        section = f"env:{env}"
        board_name = self.project_config.get(section, "custom_tp_board")
        with open(os.path.join(PROJECT_DIR, "boards", board_name, "board.json")) as f:
            board = json.load(f)
        build_dir = os.path.join(self.project_config.get("platformio", "build_dir"), env)
        suffix = "" if board["toolchain"] == "host-gcc" else ".elf"
        program = os.path.join(build_dir, "program" + suffix)
        console, code = self._run(board.get("runner"), program)
        done = False
        for line in console.splitlines():
            self.on_testing_line_output(line + "\n")
            parts = line.strip().split(" ", 3)
            if parts[:2] == ["TESTS", "DONE"]:
                done = True
            elif len(parts) >= 3 and parts[0] == "TEST":
                passed = parts[2] == "PASS"
                self.test_suite.add_case(TestCase(
                    name=parts[1], status=TestStatus.PASSED if passed else TestStatus.FAILED,
                    message=None if passed else (parts[3] if len(parts) > 3 else "failed")))
        if not done or code != 0:
            self.test_suite.add_case(TestCase(
                name=f"{env}:exit", status=TestStatus.ERRORED,
                message=f"program ended with status {code} "
                        f"({'after' if done else 'before'} TESTS DONE)"))
        self.test_suite.on_finish()
        return None

    @staticmethod
    def _run(runner, program):
        """(console text, exit status) of one run of ``program``."""
        if PROJECT_DIR not in sys.path:
            sys.path.insert(0, PROJECT_DIR)
        with tempfile.TemporaryDirectory() as work:
            if runner == "native":
                proc = subprocess.run([program], cwd=work, capture_output=True, text=True,
                                      timeout=60)
                return proc.stdout, proc.returncode
            if runner == "qemu":
                from host.qemu import run_qemu

                result = run_qemu(program, work, timeout_s=60)
                return result.stdout, result.exit_code
            if runner == "mspdebug":
                from host.mspdebug import run_mspdebug

                result = run_mspdebug(program, files={}, timeout_s=60)
                return result.console, result.exit_code
        raise RuntimeError(f"board runner {runner!r} cannot run tests here")

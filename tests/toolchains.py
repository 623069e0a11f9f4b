"""Skip markers for tests that need a board's toolchain and emulator (a user's machine may lack
them; `./setup.sh` installs both)."""

import shutil

import pytest

needs_qemu = pytest.mark.skipif(shutil.which("qemu-system-arm") is None
                                or shutil.which("arm-none-eabi-gcc") is None,
                                reason="qemu-system-arm or arm-none-eabi-gcc not installed")
needs_msp430 = pytest.mark.skipif(shutil.which("mspdebug") is None
                                  or shutil.which("clang-14") is None,
                                  reason="mspdebug or clang-14 not installed")

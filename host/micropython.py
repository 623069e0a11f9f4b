"""MicroPython on the host: find its source, build firmware and native modules, cached.

The source is a MicroPython release folder or tarball: ``--micropython SRC``, else the
``TINYPRUNE_MICROPYTHON`` environment variable, else ``../shared/vendor/micropython-1.28.0.tar.gz``
beside the repository. A tarball is unpacked once into the cache; every build goes into the
cache too (``TINYPRUNE_CACHE``, else ``$XDG_CACHE_HOME/tinyprune`` or ``~/.cache/tinyprune``),
keyed by the source and what is built, never into the repository or the user's source folder.
A build holds a lock on its folder, so concurrent runs wait for each other instead of mixing.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from host.doctor import require
from sdk.codegen.micropython_module import ModuleSources
from sdk.errors import TinypruneError, ToolchainError
from sdk.paths import SHARED_DIR

if TYPE_CHECKING:
    from host.gesture_fw import RadarConfig
    from sdk.ir.graph import Graph
    from sdk.radar.gestures import GestureConfig

ENV_SOURCE = "TINYPRUNE_MICROPYTHON"
ENV_CACHE = "TINYPRUNE_CACHE"
DEFAULT_SOURCE = SHARED_DIR / "vendor" / "micropython-1.28.0.tar.gz"
BUILD_TIMEOUT_S = 1800
# What a port needs without git submodules (../shared/notes/micropython.md).
_PORT_VARS = {
    "unix": ["MICROPY_PY_FFI=0", "MICROPY_PY_BTREE=0", "MICROPY_PY_SSL=0",
             "MICROPY_SSL_MBEDTLS=0", "FROZEN_MANIFEST="],
    "qemu": ["FROZEN_MANIFEST="],
}
# Heap of the firmware each native arch is tested on, from the port's own sources:
# ports/qemu/Makefile MICROPY_HEAP_SIZE (both MPS2 boards), ports/unix/main.c (2 MiB on 64-bit).
HEAP_BYTES = {"armv7emdp": 143_360, "armv7m": 143_360, "x64": 2 * 1024 * 1024}
# No stock heap figure at hand for armv7emsp (the Nucleo-F722ZE's stm32 firmware): its RAM
# (boards/nucleo_f722ze) bounds the heap from above.
RAM_BOUND_BYTES = {"armv7emsp": 262_144}


_IDLE_HEADER = '#define MICROPY_INTERNAL_WFE(TIMEOUT_MS) __asm__ volatile ("wfi")\n'


def cache_dir() -> Path:
    """The cache folder for MicroPython sources and builds."""
    if os.environ.get(ENV_CACHE):
        return Path(os.environ[ENV_CACHE])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tinyprune"


def source_path(option: str | None = None) -> Path:
    """The MicroPython source (folder or tarball) from the option, the environment or the
    default; a one-line error naming all three when there is none."""
    given = option or os.environ.get(ENV_SOURCE)
    path = Path(given) if given else DEFAULT_SOURCE
    if not path.exists():
        raise TinypruneError(f"MicroPython source {path} not found: pass --micropython DIR_OR_TAR "
                             f"or set {ENV_SOURCE} (default {DEFAULT_SOURCE})")
    return path


def _digest(path: Path) -> str:
    if path.is_dir():
        return hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:12]


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def source_tree(source: Path) -> Path:
    """The top of the MicroPython tree (``py/dynruntime.mk`` inside): the folder itself, or the
    tarball unpacked once into the cache."""
    if source.is_dir():
        tree = source
    else:
        root = cache_dir() / "micropython" / f"src-{_digest(source)}"
        with _locked(root):
            done = root / ".unpacked"
            if not done.exists():
                try:
                    with tarfile.open(source) as tar:
                        tar.extractall(root, filter="data")
                except (tarfile.TarError, OSError):
                    raise TinypruneError(f"{source}: not a readable MicroPython tarball (a "
                                         "source folder or .tar.gz expected)") from None
                done.touch()
        tops = [p for p in root.iterdir() if (p / "py" / "dynruntime.mk").is_file()]
        tree = tops[0] if tops else root
    if not (tree / "py" / "dynruntime.mk").is_file():
        raise TinypruneError(f"{source}: no MicroPython source (py/dynruntime.mk missing)")
    return tree


def _make(args: list[str], cwd: Path, what: str) -> str:
    require("make")
    try:
        proc = subprocess.run(["make", *args], cwd=cwd, capture_output=True,
                              timeout=BUILD_TIMEOUT_S, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise ToolchainError(f"{what}: make still running after {BUILD_TIMEOUT_S} s") from None
    out = (proc.stdout + proc.stderr).decode(errors="replace")
    if proc.returncode != 0:
        lines = [ln for ln in out.splitlines() if ln.strip()]
        found = [ln for ln in lines if re.search(r"error:|LinkError|undefined symbol", ln)]
        detail = (found or lines or [""])[0]
        raise ToolchainError(f"{what}: build failed: {detail.strip()}")
    return out


def build_port(source: Path, port: str, board: str | None = None,
               user_c_modules: Path | None = None) -> Path:
    """Build MicroPython's ``port`` (``unix`` or ``qemu`` with ``board``) once per source,
    board and user C modules; returns the executable (unix) or firmware ELF (qemu)."""
    tree = source_tree(source)
    args = [f"-j{min(os.cpu_count() or 1, 2)}", *_PORT_VARS[port]]
    if board:
        args.append(f"BOARD={board}")
    key = hashlib.sha256(repr((_digest(source), port, board, args, _IDLE_HEADER)).encode())
    if user_c_modules is not None:
        args.append(f"USER_C_MODULES={user_c_modules.resolve()}")
        for f in sorted(user_c_modules.rglob("*")):
            if f.is_file() and "build" not in f.relative_to(user_c_modules).parts:
                key.update(f.read_bytes())
    name = f"{port}-{board or 'standard'}-{key.hexdigest()[:12]}"
    build = cache_dir() / "micropython" / "builds" / name
    product = build / ("micropython" if port == "unix" else "firmware.elf")
    with _locked(build):
        if not product.is_file():
            if port == "qemu":
                # Idle waits execute WFI, so that under -icount an idle board's clock runs at
                # the host's pace (host/micropython_run.py); measured code never idles.
                (build / "tp_idle.h").write_text(_IDLE_HEADER)
                args.append(f"CFLAGS_EXTRA=-include {build / 'tp_idle.h'}")
            _make(["-C", f"ports/{port}", f"BUILD={build}", *args], tree,
                  f"MicroPython {port} {board or ''}".strip())
    return product


@dataclass(frozen=True)
class ModuleBuild:
    """A built native module and the RAM it takes when imported (text + rodata + bss)."""

    mpy: Path
    text: int
    rodata: int
    bss: int

    @property
    def load_bytes(self) -> int:
        """Bytes of heap the module's code, constants and arena take at import."""
        return self.text + self.rodata + self.bss


def build_module(sources: ModuleSources, source: Path, counter: int | None = None
                 ) -> ModuleBuild:
    """Run the module's Makefile against the MicroPython tree; the .mpy stays in its folder.
    ``counter``: a measurement build reading this 30-bit down-counter's address around the
    bare inference (``c_ticks()``)."""
    tree = source_tree(source)
    if sources.arch != "x64":
        require("arm-none-eabi-gcc")
    extra = [f"CFLAGS_EXTRA=-DTP_MP_COUNTER={counter:#x}u"] if counter is not None else []
    out = _make([f"MPY_DIR={tree.resolve()}", f"ARCH={sources.arch}", f"PYTHON={sys.executable}",
                 "V=1", *extra], sources.folder,
                f"native module {sources.module} ({sources.arch})")
    sizes = {k: int(v) for k, v in re.findall(r"^(text|rodata|bss) size:\s+(\d+)$", out, re.M)}
    mpy = sources.folder / f"{sources.module}.mpy"
    if "text" not in sizes or not mpy.is_file():
        raise ToolchainError(f"native module {sources.module}: mpy_ld reported no sizes")
    return ModuleBuild(mpy, sizes["text"], sizes.get("rodata", 0), sizes.get("bss", 0))


def check_fits(build: ModuleBuild, arch: str, heap_bytes: int | None = None) -> str:
    """A one-line description of the load-time RAM against the target's heap; raises when the
    module cannot fit (``heap_bytes`` overrides the arch's figure)."""
    limit = heap_bytes or HEAP_BYTES.get(arch) or RAM_BOUND_BYTES[arch]
    what = ("heap" if heap_bytes or arch in HEAP_BYTES
            else "RAM (stock firmware's heap is smaller)")
    line = (f"load-time RAM {build.load_bytes:,} B (code {build.text:,}, constants "
            f"{build.rodata:,}, arena and state {build.bss:,}) of the {arch} target's "
            f"{what} {limit:,} B")
    if build.load_bytes > limit:
        raise TinypruneError(f"native module {build.mpy.name} does not fit: {line}, over by "
                             f"{build.load_bytes - limit:,} B")
    return line



def gesture_headers(graph: Graph, gesture: GestureConfig | None = None,
                    radar: RadarConfig | None = None) -> dict[str, str]:
    """gesture_config.h and the preprocessing tables it names, as the gesture firmware's
    (host.gesture_fw): the model's own preprocessing (rate, window, hop, time context,
    standardization) and detector unless given, for a module's push_sweep: {file name: text}."""
    from host.gesture_fw import model_radar, write_config_header
    from sdk.boards import load_board
    from sdk.radar.dsp_tables import write_header
    from sdk.radar.gestures import model_detector, model_preprocess

    preprocess = model_preprocess(graph.metadata)
    radar = radar or model_radar(preprocess)
    if preprocess.depth_bins != radar.n_depths:
        raise TinypruneError(f"radar n_depths {radar.n_depths} differs from the preprocessing's "
                             f"depth_bins {preprocess.depth_bins}")
    gesture = gesture or model_detector(graph.metadata, graph.tensors[graph.outputs[0]].size)
    with tempfile.TemporaryDirectory() as tmp:
        # The board only sets INFO's clock and counter macros, which push_sweep does not use;
        # the model hash is INFO's too.
        config = write_config_header(Path(tmp), graph, load_board("qemu_m7"), bytes(8), radar,
                                     gesture, preprocess)
        tables = write_header(Path(tmp) / "gesture_dsp_tables.h", preprocess, radar.n_depths)
        return {config.name: config.read_text(), tables.name: tables.read_text()}

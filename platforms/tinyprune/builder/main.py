"""SCons builder of the in-repo "tinyprune" PlatformIO platform (offline, no packages).

The environment names a board with ``custom_tp_board``; its boards/<name>/board.json gives the
toolchain, flags, board sources and linker script, exactly as host/build.py uses them. What is
compiled:
  - always: the board's sources and the engine files in ``custom_tp_model``/engine_sources.txt
    (those under device/engine/arch/<arch>/ only when the board's ``arch`` is <arch>: the
    ARMv7E-M assembly routines on Cortex-M boards);
  - `pio run`: the generated model in ``custom_tp_model`` and the app ``custom_tp_app``
    (files relative to the project), or, when ``custom_tp_app`` is empty, only the
    ``custom_tp_sources``;
  - `pio test`: the test suite's own sources (they provide main) instead of the app.
"""

import json
import os
import shlex

from SCons.Script import COMMAND_LINE_TARGETS, AlwaysBuild, Default, DefaultEnvironment  # noqa: F401

env = DefaultEnvironment()
project = env.subst("$PROJECT_DIR")


def option(name, default=""):
    return env.GetProjectOption(name, default)


def paths(value):
    return [line.strip() for line in value.splitlines() if line.strip()]


board_name = option("custom_tp_board")
if not board_name:
    env.Exit("error: set custom_tp_board = <folder in boards/> for this environment")
board_dir = os.path.join(project, "boards", board_name)
with open(os.path.join(board_dir, "board.json")) as f:
    board = json.load(f)
toolchain = board["toolchain"]
warnings = ["-std=c99", "-Wall", "-Wextra", "-Werror"]

if toolchain == "host-gcc":
    env.Replace(CC="gcc", AS="gcc", LINK="gcc", AR="ar", RANLIB="ranlib", PROGSUFFIX="")
    env.Append(CCFLAGS=warnings + ["-O2"] + board["cflags"], LINKFLAGS=board["ldflags"],
               LIBS=["m"])
elif toolchain == "arm-none-eabi":
    prefix = "arm-none-eabi-"
    env.Replace(CC=prefix + "gcc", AS=prefix + "gcc", LINK=prefix + "gcc", AR=prefix + "ar",
                RANLIB=prefix + "ranlib", OBJCOPY=prefix + "objcopy", SIZETOOL=prefix + "size",
                PROGSUFFIX=".elf")
    env.Append(CCFLAGS=board["cflags"] + warnings + ["-O2", "-ffunction-sections",
                                                     "-fdata-sections"],
               LINKFLAGS=board["cflags"] + board["ldflags"] + ["-Wl,--gc-sections"],
               LIBS=["m"])
    # The assembly routines (.S, preprocessed) need the same -mcpu/-mfpu as the C: they are
    # gated by __ARM_FEATURE_DSP.
    env.Append(ASPPFLAGS=board["cflags"])
elif toolchain == "msp430-clang":
    # clang's MSP430 driver links with "msp430-elf-ld": point that name at ld.lld-14.
    tool_dir = os.path.join(env.subst("$BUILD_DIR"), "toolbin")
    os.makedirs(tool_dir, exist_ok=True)
    link = os.path.join(tool_dir, "msp430-elf-ld")
    if not os.path.lexists(link):
        os.symlink("/usr/bin/ld.lld-14", link)
    env.Replace(CC="clang-14", AS="clang-14", LINK="clang-14", AR="llvm-ar-14",
                RANLIB="llvm-ranlib-14", PROGSUFFIX=".elf")
    # SCons runs the command through the shell: the multiplier header's define keeps its
    # quotes only quoted once more.
    cflags = [shlex.quote(f) for f in board["cflags"]]
    env.Append(CCFLAGS=["--target=msp430"] + warnings + ["-Os", "-ffunction-sections",
                                                         "-fdata-sections"] + cflags,
               LINKFLAGS=["--target=msp430", "-B", tool_dir, "-nostdlib", "-Wl,--gc-sections",
                          "-Wl,--nmagic"] + board["ldflags"])
    # The engine's MSP430 routines (.S, preprocessed) need the target and the board's
    # multiplier header (TP_DSP_HWMULT_HEADER) like the C.
    env.Append(ASPPFLAGS=["--target=msp430"] + cflags)
else:
    env.Exit(f"error: toolchain {toolchain!r} of board {board_name} is not supported offline")

if board.get("linker_script"):
    env.Append(LINKFLAGS=["-T", os.path.join(board_dir, board["linker_script"]),
                          "-Wl,-Map=" + os.path.join(env.subst("$BUILD_DIR"), "firmware.map")])

model_dir = option("custom_tp_model")
include_dirs = [board_dir, os.path.join(project, "device", "app"),
                os.path.join(project, "device", "engine"),
                os.path.join(project, "device", "protocol")]
if model_dir:
    include_dirs.insert(0, os.path.join(project, model_dir))
env.Append(CPPPATH=include_dirs)

testing = "test" in env.GetBuildType()
app = option("custom_tp_app")
sources = [os.path.join(board_dir, s) for s in board["sources"]]
sources += [os.path.join(project, s) for s in paths(option("custom_tp_sources"))]
if model_dir:
    arch_dir = "device/engine/arch/"
    with open(os.path.join(project, model_dir, "engine_sources.txt")) as f:
        sources += [os.path.join(project, s) for s in paths(f.read())
                    if not s.startswith(arch_dir)
                    or s.startswith(arch_dir + board.get("arch", "") + "/")]
    if not testing:
        sources.append(os.path.join(project, model_dir, "model.c"))
if app and not testing:
    sources.append(os.path.join(project, app))
    env.Append(CPPDEFINES=[("TP_PROFILE_HOOK", option("custom_tp_hook", "tp_run_mark"))])

# Each file is compiled once into the build folder, under a name taken from its path.
for src in sources:
    rel = os.path.relpath(src, project).replace(os.sep, "_").replace("..", "up")
    obj = env.Object(os.path.join("$BUILD_DIR", "tp", os.path.splitext(rel)[0] + ".o"), src)
    env.Append(PIOBUILDFILES=obj)

program = env.BuildProgram()
AlwaysBuild(env.Alias("nobuild", program))
Default(program)

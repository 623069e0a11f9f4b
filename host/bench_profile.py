"""``tinyprune bench --profile``: instructions executed per firmware function over one whole
QEMU run, from a TCG plugin built with the host gcc, with each function's instruction mix from
the disassembly.
"""

from __future__ import annotations

from pathlib import Path

from sdk.errors import TinypruneError

# A QEMU TCG plugin (QEMU 7.2 plugin API, version 1; Debian ships plugin support but no header,
# so the few functions used are declared here): executed instructions per translation block,
# written as "start_address n_instructions executions" lines to the file given as out=PATH.
_PROFILER_C = r"""
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
typedef void (*tb_trans_cb)(qemu_plugin_id_t, struct qemu_plugin_tb *);
typedef void (*udata_cb)(unsigned int, void *);
typedef void (*atexit_cb)(qemu_plugin_id_t, void *);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t, tb_trans_cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *, udata_cb,
                                          enum qemu_plugin_cb_flags, void *);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t, atexit_cb, void *);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *);
__attribute__((visibility("default"))) int qemu_plugin_version = 1;
typedef struct { uint64_t pc, n, count; } entry;
static entry *table;
static size_t used, capacity;
static char out_path[4096] = "profile.txt";
static void on_exec(unsigned int vcpu, void *e) { (void)vcpu; ((entry *)e)->count++; }
static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    entry *e;
    (void)id;
    if (used == capacity) {
        return;
    }
    e = &table[used++];
    e->pc = qemu_plugin_tb_vaddr(tb);
    e->n = qemu_plugin_tb_n_insns(tb);
    e->count = 0;
    qemu_plugin_register_vcpu_tb_exec_cb(tb, on_exec, QEMU_PLUGIN_CB_NO_REGS, e);
}
static void write_counts(qemu_plugin_id_t id, void *u)
{
    FILE *f = fopen(out_path, "w");
    size_t i;
    (void)id;
    (void)u;
    if (f == NULL) {
        return;
    }
    for (i = 0; i < used; i++) {
        if (table[i].count) {
            fprintf(f, "%llx %llu %llu\n", (unsigned long long)table[i].pc,
                    (unsigned long long)table[i].n, (unsigned long long)table[i].count);
        }
    }
    fprintf(f, "end %llu\n", (unsigned long long)(used == capacity));
    fclose(f);
}
__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id,
                                                               const qemu_info_t *info,
                                                               int argc, char **argv)
{
    int i;
    (void)info;
    for (i = 0; i < argc; i++) {
        if (strncmp(argv[i], "out=", 4) == 0) {
            strncpy(out_path, argv[i] + 4, sizeof(out_path) - 1);
        }
    }
    capacity = (size_t)1 << 20;
    table = calloc(capacity, sizeof(entry));
    if (table == NULL) {
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, write_counts, NULL);
    return 0;
}
"""


def build_profiler(work_dir: Path) -> Path:
    """Compile the instruction-profiling QEMU plugin with the host's gcc into ``work_dir``."""
    import shutil
    import subprocess

    gcc = shutil.which("gcc")
    if gcc is None:
        raise TinypruneError("bench --profile: needs the host gcc to build its QEMU plugin")
    work_dir.mkdir(parents=True, exist_ok=True)
    src, lib = work_dir / "tp_profile_plugin.c", work_dir / "tp_profile_plugin.so"
    src.write_text(_PROFILER_C)
    proc = subprocess.run([gcc, "-shared", "-fPIC", "-O2", "-o", str(lib), str(src)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise TinypruneError(f"bench --profile: building the QEMU plugin failed: "
                             f"{proc.stderr.strip()[:300]}")
    return lib


def profile_firmware(elf: Path, run_dir: Path, plugin: Path) -> list[dict]:
    """Instructions executed per function of ``elf`` over one whole run in QEMU (the inputs
    already in ``run_dir``), from the plugin's per-block counts and the ELF's symbols, with
    each function's mix (executions per mnemonic, ``.w``/``.n`` suffixes dropped) from the
    disassembly. The whole run includes start-up, file I/O and the profiling marks besides
    the inference."""
    import bisect
    import shutil
    import subprocess

    from host.qemu import run_qemu

    out = run_dir / "profile.txt"
    result = run_qemu(elf, run_dir, extra_args=["-plugin", f"{plugin},out={out.resolve()}"])
    if result.exit_code != 0 or not out.is_file():
        raise TinypruneError(f"bench --profile: the profiled run of {elf.name} failed")
    nm = shutil.which("arm-none-eabi-nm")
    if nm is None:
        raise TinypruneError("bench --profile: arm-none-eabi-nm not found")
    symbols = []
    for line in subprocess.run([nm, "-n", "-S", str(elf)], capture_output=True,
                               text=True).stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "tTwW":
            symbols.append((int(parts[0], 16), int(parts[1], 16), parts[3]))
    symbols.sort()
    starts = [sym[0] for sym in symbols]
    # Every instruction of the firmware, in address order, with its mnemonic.
    objdump = shutil.which("arm-none-eabi-objdump")
    insns: list[tuple[int, str]] = []
    if objdump is not None:
        for line in subprocess.run([objdump, "-d", "--no-show-raw-insn", str(elf)],
                                   capture_output=True, text=True).stdout.splitlines():
            fields = line.split("\t")
            if len(fields) >= 2 and fields[0].strip().endswith(":"):
                try:
                    insns.append((int(fields[0].strip()[:-1], 16), fields[1].split()[0]))
                except (ValueError, IndexError):
                    continue
    where = {address: k for k, (address, _) in enumerate(insns)}
    totals: dict[str, int] = {}
    mixes: dict[str, dict[str, int]] = {}
    for line in out.read_text().splitlines():
        if line.startswith("end "):
            if line.split()[1] != "0":
                raise TinypruneError("bench --profile: the plugin's block table overflowed")
            continue
        pc, n, count = (int(v, 16) if k == 0 else int(v) for k, v in enumerate(line.split()))
        address = pc & ~1
        k = bisect.bisect_right(starts, address) - 1
        name = (symbols[k][2] if k >= 0 and address < symbols[k][0] + max(symbols[k][1], 1)
                else f"0x{address:x}")
        totals[name] = totals.get(name, 0) + n * count
        first = where.get(address)
        if first is not None:  # a block is n consecutive instructions from its start
            mix = mixes.setdefault(name, {})
            for _, mnemonic in insns[first:first + n]:
                mnemonic = mnemonic.split(".")[0]
                mix[mnemonic] = mix.get(mnemonic, 0) + count
    return [{"function": name, "instructions": total,
             "mix": dict(sorted(mixes.get(name, {}).items(), key=lambda kv: -kv[1]))}
            for name, total in sorted(totals.items(), key=lambda kv: -kv[1])]

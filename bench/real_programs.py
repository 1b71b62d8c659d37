#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Real programs from Debian 12's packages: hover --accel emu beside QEMU TCG.

What runs: scripts/make-bench-guest.sh builds (and caches) an initramfs of
unmodified Debian 12 programs -- 7-Zip (7zz a, 7zz b), xz, gzip, bzip2,
sha256sum, md5sum, openssl (enc/dgst, and `openssl speed` with and without its
SIMD paths via OPENSSL_ia32cap=0), sqlite3, tcc compiling stb's libraries,
python3, sort, awk (mawk), find, and kernel-heavy shell work (500 fork+execs,
pipes, 3,000 small files on tmpfs) -- with deterministic inputs and a driver
(bench/guest/real_run.sh) that times each program and powers off.

How: the demo guest's kernel (scripts/make-guest.sh: Debian 12's vmlinuz)
boots that initramfs under `hover run --accel emu` and under
`qemu-system-x86_64 -M microvm,rtc=on -accel tcg` (as bench/boot_time.py
starts it: same kernel, initramfs, command line and memory, one vCPU), the
two alternating, --runs times each. A program's time is the interval between
its BEGIN and END lines as they arrive on the serial console (the host's
monotonic clock, immune to a guest clock miscalibrated on a loaded machine;
--clock guest uses the guest's own `date +%s%N` figures instead, and the two
are compared). 7-Zip's benchmark and `openssl speed` report a rate measured
in the guest; their ratio is qemu_rate / hover_rate, so every ratio reads as
hover time / QEMU time: below 1 means hover is faster.

Honesty checks: every program's output checksum must be identical across all
runs of both engines (else the table is printed and the exit status is 1), a
program that fails fails the run, and both guests' CPU flags and clocksource
are shown.

Output: per program the median seconds (or rate) of hover and QEMU, the
ratio, the geometric mean of the ratios, boot-to-init medians, the number of
runs. --json FILE writes every raw figure. --perf adds one extra hover run
under `perf record` and shows where hover's host time goes: translated code,
interpreter handlers (op_*), and the rest. That is host time per handler, not
execution counts per decoded form: cpu/x86/jit*.c keeps no such counter. Exact
counts would need, in jit.c's emit_call() (the path of every instruction that
is not an inline template), an `inc qword [table + key]` emitted before the
handler call when an environment switch (say HOVER_EMU_PROFILE=FILE) is set,
keyed by (map, opcode, mandatory prefix, ModRM.reg for groups, mod == 3,
operand size) from struct x86_insn, the same for jit_inline()'s templates, and
a dump at vCPU exit naming each key's handler (dladdr(in->op)), sorted by
count; about 40 lines, for the cpu/x86 owner to add.

  make bench-real                       # all programs, 3 runs each
  bench/real_programs.py --runs 1 --only gzip-c,sqlite3 --engines hover
"""
import argparse
import json
import math
import os
import select
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
INIT_LINE = "bench-guest: init started"
DONE_LINE = "BENCH-DONE"
# tsc_early_khz: QEMU microvm has no HPET or PM timer, so on a loaded host the
# kernel's PIT calibration of the TSC fails, the TSC is marked unstable, and the
# boot hangs waiting for a timer tick (seen on every try here). 2000000 is what
# hover's CPUID 0x15 says (include/hover/x86_clock.h), so hover's guest is
# unchanged; QEMU's TSC runs at the host's rate, so its guest clock is off by
# that ratio -- measured below ("guest clock / host clock") and used to correct
# the rates the programs measure with the guest clock (7-Zip, openssl speed).
CMDLINE = "console=ttyS0 quiet panic=-1 tsc_early_khz=2000000"


def run_guest(argv, timeout, prefix=None, boot_timeout=300):
    """Boot, read the console line by line with host timestamps; return a result dict."""
    start = time.monotonic()
    argv = (prefix or []) + argv
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    lines = []          # (host seconds since start, text)
    buf = b""
    err = b""
    done = False
    timedout = False
    try:
        while not done:
            left = timeout - (time.monotonic() - start)
            if left <= 0 or (time.monotonic() - start > boot_timeout and
                             not any(INIT_LINE in t for _, t in lines[:400])):
                timedout = True
                break
            r, _, _ = select.select([p.stdout, p.stderr], [], [], min(left, 5))
            if p.stderr in r:
                chunk = os.read(p.stderr.fileno(), 65536)
                err = (err + chunk)[-8192:]
            if p.stdout not in r:
                if p.poll() is not None and not r:
                    break
                continue
            chunk = os.read(p.stdout.fileno(), 65536)
            now = time.monotonic() - start
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                text = line.replace(b"\r", b"").decode(errors="replace")
                lines.append((now, text))
                if text.strip() == DONE_LINE:
                    done = True
    finally:
        if prefix:
            # perf must see its child exit to write its file: give it the chance.
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
        else:
            p.kill()
        p.wait()
    res = parse(lines, done, err.decode(errors="replace"))
    res["timedout"] = timedout
    return res


def parse(lines, done, err):
    res = {"done": done, "boot": None, "host": {}, "guest": {}, "sum": {}, "rate": {},
           "unit": {}, "fail": {}, "flags": "", "clock": "", "cpu": "", "order": []}
    begin = {}
    for t, text in lines:
        f = text.split()
        if not f:
            continue
        if INIT_LINE in text and res["boot"] is None:
            res["boot"] = t
        elif f[0] == "BEGIN" and len(f) == 2:
            begin[f[1]] = t
        elif f[0] == "END" and len(f) == 2 and f[1] in begin:
            res["host"][f[1]] = t - begin[f[1]]
            if f[1] not in res["order"]:
                res["order"].append(f[1])
        elif f[0] == "BENCH" and len(f) == 4:
            res["guest"][f[1]] = float(f[2])
            res["sum"][f[1]] = f[3]
        elif f[0] == "RATE" and len(f) == 4:
            res["rate"][f[1]] = float(f[2])
            res["unit"][f[1]] = f[3]
        elif f[0] == "OUT" and len(f) >= 2:
            res.setdefault("out", {})[f[1]] = " ".join(f[2:])
        elif f[0] == "FAIL":
            res["fail"][f[1]] = text
        elif f[0] == "BENCH-FLAGS":
            res["flags"] = " ".join(f[1:])
        elif f[0] == "BENCH-CLOCK":
            res["clock"] = " ".join(f[1:])
        elif f[0] == "BENCH-START":
            res["cpu"] = " ".join(f[2:])
    for prog in res["fail"]:  # a failed program's time is not a figure
        for key in ("host", "guest", "rate"):
            res[key].pop(prog, None)
    if not done:
        res["tail"] = [text for _, text in lines[-15:]] + err.splitlines()[-5:]
    return res


def perf_rows(data, sort):
    out = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children",
                          "--sort", sort, "--percent-limit", "0"],
                         capture_output=True, text=True, timeout=600).stdout
    rows = []
    for line in out.splitlines():
        s = line.strip()
        if not s or s.startswith("#") or not s.split()[0].endswith("%"):
            continue
        pct, rest = s.split(None, 1)
        rows.append((float(pct.rstrip("%")), rest.strip()))
    return rows


FLAG_HELPERS = ("shift_", "lazy_", "x86_szp", "x86_flags_sync", "x86_cond", "grp1", "unary_rm")


def perf_report(data, build):
    """Where hover's host time went: by DSO, then hover's own symbols by class."""
    try:
        by_dso = perf_rows(data, "dso")
        by_sym = [(p, r.split("[.]", 1)[1].strip()) for p, r in perf_rows(data, "dso,sym")
                  if r.startswith("hover ") and "[.]" in r]
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"perf report failed: {e}"
    classes = {}
    for pct, dso in by_dso:
        if "hover-jit" in dso or dso.startswith("[unknown]") or dso.startswith("//anon"):
            c = "translated code (JIT buffer)"
        elif dso == "hover":
            continue
        elif dso == "[kernel.kallsyms]":
            c = "host kernel"
        else:
            c = f"library {dso}"
        classes[c] = classes.get(c, 0) + pct
    handlers = {}
    for pct, sym in by_sym:
        if sym.startswith("op_"):
            c = "interpreter handlers (op_*)"
            handlers[sym] = handlers.get(sym, 0) + pct
        elif sym.startswith(FLAG_HELPERS):
            c = "flag/shift helpers the handlers call (shift_*, lazy_*, x86_szp, ...)"
        else:
            c = "hover, other (block lookup, TLB, decode, devices, run loop)"
        classes[c] = classes.get(c, 0) + pct
    lines = ["hover's host time by class (perf record -e cpu-clock, one run):"]
    for c, v in sorted(classes.items(), key=lambda kv: -kv[1]):
        if v >= 0.05:
            lines.append(f"  {v:6.2f}%  {c}")
    lines.append("interpreter handlers (called from translated code, or interpreted), by host "
                 "time; a handler's name is its decoded instruction form:")
    for h, v in sorted(handlers.items(), key=lambda kv: -kv[1])[:30]:
        lines.append(f"  {v:6.2f}%  {h}")
    lines.append("hover's other symbols, top 15:")
    other = [(p, s_) for p, s_ in by_sym if not s_.startswith("op_")]
    for p, s_ in sorted(other, reverse=True)[:15]:
        lines.append(f"  {p:6.2f}%  {s_}")
    return "\n".join(lines)


def fmt(v, unit):
    if v is None:
        return "-"
    if unit == "s":
        return f"{v:.2f}"
    if unit == "B/s":
        return f"{v / 1e6:.1f}M"
    return f"{v:.0f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[1:]))
    ap.add_argument("--build", default="build")
    ap.add_argument("--guest", default="build/guest", help="where vmlinuz comes from")
    ap.add_argument("--bench-guest", default=None,
                    help="the bench initramfs directory (default BUILD/bench-guest)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--memory", default="512M")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per boot")
    ap.add_argument("--boot-retries", type=int, default=2,
                    help="boots that never reach init are retried this often (QEMU microvm "
                         "can hang calibrating the TSC on a loaded machine)")
    ap.add_argument("--only", default="", help="comma-separated programs (default: all)")
    ap.add_argument("--engines", choices=("both", "hover", "qemu"), default="both")
    ap.add_argument("--clock", choices=("host", "guest"), default="host")
    ap.add_argument("--qemu-cpu", default=None, help="QEMU -cpu model (default: QEMU's)")
    ap.add_argument("--json", default=None, help="write every raw figure to this file")
    ap.add_argument("--from-json", default=None,
                    help="print the table from a --json file of an earlier run; run nothing")
    ap.add_argument("--perf", action="store_true",
                    help="one more hover run under perf record: where the host time goes")
    a = ap.parse_args()

    if a.from_json:
        with open(a.from_json) as f:
            saved = json.load(f)
        results = saved["results"]
        for rs in results.values():
            for r in rs:
                for prog in r["fail"]:
                    for key in ("host", "guest", "rate"):
                        r[key].pop(prog, None)
        bad = [f"{name} run {i + 1}: {v}" for name, rs in results.items()
               for i, r in enumerate(rs) for v in r["fail"].values()]
        a.runs, a.clock = saved["runs"], saved.get("clock", a.clock)
        return report(a, results, bad, {name: 0 for name in results}, saved["cmdline"])

    bg = a.bench_guest or os.path.join(a.build, "bench-guest")
    mk = subprocess.run([os.path.join(ROOT, "scripts", "make-bench-guest.sh"), bg],
                        stdout=subprocess.PIPE, text=True)
    if mk.returncode != 0:
        print("real_programs: scripts/make-bench-guest.sh failed", file=sys.stderr)
        return 1
    initrd = mk.stdout.strip().splitlines()[-1]
    kernel = os.path.join(a.guest, "vmlinuz")
    if not os.path.exists(kernel):
        print(f"real_programs: no kernel at {kernel} (make guest, or --guest DIR)",
              file=sys.stderr)
        return 2
    cmdline = CMDLINE + (f" bench.only={a.only}" if a.only else "")
    hover = [os.path.join(a.build, "hover"), "run", "--accel", "emu", "--quiet",
             "--kernel", kernel, "--initrd", initrd, "--cmdline", cmdline,
             "--memory", a.memory]
    qemu = ["qemu-system-x86_64", "-M", "microvm,rtc=on", "-accel", "tcg", "-m", a.memory,
            "-kernel", kernel, "-initrd", initrd, "-append", cmdline, "-nographic",
            "-no-reboot", "-nodefaults", "-serial", "stdio"]
    if a.qemu_cpu:
        qemu[1:1] = ["-cpu", a.qemu_cpu]
    engines = [e for e in (("hover", hover), ("qemu", qemu))
               if a.engines in ("both", e[0])]

    print(f"kernel {kernel}, initramfs {initrd} ({os.path.getsize(initrd) >> 20} MiB), "
          f"memory {a.memory}, 1 vCPU, cmdline: {cmdline}")
    results = {name: [] for name, _ in engines}
    failed_boots = {name: 0 for name, _ in engines}
    bad = []
    for i in range(a.runs):
        for name, argv in engines:
            for attempt in range(a.boot_retries + 1):
                t0 = time.monotonic()
                res = run_guest(argv, a.timeout)
                wall = time.monotonic() - t0
                if res["boot"] is not None or not res["timedout"]:
                    break
                failed_boots[name] += 1
                print(f"run {i + 1}/{a.runs} {name}: never reached init in {wall:.0f} s "
                      f"(attempt {attempt + 1}); last lines: {res.get('tail', [])[-3:]}",
                      flush=True)
            results[name].append(res)
            shown = " ".join(f"{k}={res[a.clock].get(k, 0):.2f}" for k in res["order"])
            print(f"run {i + 1}/{a.runs} {name:5s} ({wall:.0f} s, boot {res['boot'] or 0:.1f} s):"
                  f" {shown}", flush=True)
            for k, v in res["fail"].items():
                bad.append(f"{name} run {i + 1}: {v}")
            if not res["done"]:
                bad.append(f"{name} run {i + 1}: the driver did not finish; last lines: "
                           + " | ".join(res.get("tail", [])))

    if a.json:
        with open(a.json, "w") as f:
            json.dump({"runs": a.runs, "cmdline": cmdline, "memory": a.memory,
                       "initrd": initrd, "kernel": kernel, "clock": a.clock,
                       "results": results}, f, indent=1)
    rc = report(a, results, bad, failed_boots, cmdline)
    if a.perf:
        data = os.path.join(bg, "perf.data")
        print("\n--perf: one more hover run under perf record ...", flush=True)
        res = run_guest(hover, a.timeout, prefix=["perf", "record", "-q", "-e", "cpu-clock",
                                                  "-F", "499", "-o", data, "--"])
        if not res["done"]:
            print("  (the perf run did not finish)")
        print(perf_report(data, a.build))
    return rc


def report(a, results, bad, failed_boots, cmdline):
    """The table; returns the exit status (1 if any program failed or outputs differ)."""
    # Every output must be identical across runs and engines.
    sums = {}
    differ = set()
    for name, rs in results.items():
        for i, r in enumerate(rs):
            for prog, s in r["sum"].items():
                sums.setdefault(prog, {}).setdefault(s, []).append(f"{name}#{i + 1}")
    for prog, by in sums.items():
        if len(by) > 1:
            differ.add(prog)
            bad.append(f"{prog}: outputs differ: " +
                       "; ".join(f"{s} from {', '.join(who)}" for s, who in by.items()))
            for name, rs in results.items():
                if rs and prog in rs[0].get("out", {}):
                    bad.append(f"  {name} printed: {rs[0]['out'][prog]}")

    order = []
    for rs in results.values():
        for r in rs:
            for k in r["order"]:
                if k not in order:
                    order.append(k)

    def med(name, key, prog):
        vals = [r[key][prog] for r in results.get(name, []) if prog in r[key]]
        return statistics.median(vals) if vals else None

    # The guest clock against the host's, per engine, over the timed programs.
    clock = {}
    for name, rs in results.items():
        g = sum(sum(r["guest"][k] for k in r["host"] if k in r["guest"]) for r in rs)
        h = sum(sum(v for k, v in r["host"].items() if k in r["guest"]) for r in rs)
        clock[name] = g / h if h and g else 1.0

    n = a.runs
    print()
    print(f"Real programs (Debian 12 packages), median of {n} run(s) each, hover --accel emu vs "
          f"QEMU TCG (-M microvm,rtc=on{', -cpu ' + a.qemu_cpu if a.qemu_cpu else ''}), "
          f"{a.clock} clock. ratio = hover time / QEMU time (rates: QEMU rate / hover rate); "
          f"below 1: hover faster.")
    print(f"  {'program':30s} {'unit':>5s} {'hover':>9s} {'qemu':>9s} {'ratio':>7s}")
    ratios = {}
    for prog in order:
        rate = any(prog in r["rate"] for rs in results.values() for r in rs)
        if rate:
            unit = next(r["unit"][prog] for rs in results.values() for r in rs
                        if prog in r["unit"])
            h, q = med("hover", "rate", prog), med("qemu", "rate", prog)
            # A rate measured by a guest clock that runs fast reads low: correct it.
            h = h * clock.get("hover", 1.0) if h else h
            q = q * clock.get("qemu", 1.0) if q else q
            ratio = q / h if h and q else None
            rows = [(prog, unit, h, q, ratio)]
        else:
            h, q = med("hover", a.clock, prog), med("qemu", a.clock, prog)
            ratio = h / q if h and q else None
            rows = [(prog, "s", h, q, ratio)]
        for p_, u, h, q, r in rows:
            if r:
                ratios[p_] = r
            fails = [name for name, rs in results.items() for r in rs if p_ in r["fail"]]
            note = f"  FAILED under {', '.join(sorted(set(fails)))}" if fails else ""
            note += "  OUTPUTS DIFFER (see below)" if p_ in differ else ""
            print(f"  {p_:30s} {u:>5s} {fmt(h, u):>9s} {fmt(q, u):>9s} "
                  f"{(f'{r:.2f}' if r else '-'):>7s}{note}")
    if ratios:
        gm = math.exp(sum(math.log(r) for r in ratios.values()) / len(ratios))
        print(f"  {'geometric mean of ratios':30s} {'':5s} {'':9s} {'':9s} {gm:7.2f}"
              f"   ({len(ratios)} programs)")
    for name in results:
        boots = [r["boot"] for r in results[name] if r["boot"] is not None]
        note = f", {failed_boots[name]} boot(s) never reached init and were retried" \
            if failed_boots[name] else ""
        print(f"  boot to init, {name:5s}: {statistics.median(boots):.2f} s{note}"
              if boots else f"  boot to init, {name}: never")
    # Clock agreement: the guest's own figures against the host's view.
    for name, c in clock.items():
        warn = "  (the guest clock disagrees with the host's: rates above are corrected by it)" \
            if abs(c - 1) > 0.05 else ""
        print(f"  guest clock / host clock, {name:5s}: {c:.3f}{warn}")
    for name, rs in results.items():
        if rs:
            print(f"  {name:5s} guest: CPU '{rs[0]['cpu']}', clocksource {rs[0]['clock']}, "
                  f"flags: {rs[0]['flags']}")

    if bad:
        print("\nFAILED:", file=sys.stderr)
        for b in bad:
            print("  " + b, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

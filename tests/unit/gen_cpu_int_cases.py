#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Generate tests/unit/cpu_int_cases.h: register-only integer instructions,
assembled with GNU as, that the integer-family tests run both natively on the
host and on hover's CPU (differential check under a mask of defined flags).

Run from the repository root after editing the lists below:
    python3 tests/unit/gen_cpu_int_cases.py > tests/unit/cpu_int_cases.h
"""
import os
import subprocess
import tempfile

ALL = "FL_ALL"          # CF PF AF ZF SF OF all defined
NOAF = "FL_NOAF"        # logic ops, shifts by 1: AF undefined
SHIFT = "FL_SHIFT"      # shifts by a count: OF and AF undefined
ROT = "FL_ROT"          # rotates by a count: OF undefined
MUL = "FL_CFOF"         # MUL/IMUL: CF and OF only
CF = "FL_CF"            # BT*
ZF = "FL_ZF"            # BSF/BSR
NONE = "0"              # DIV/IDIV: all undefined

CC = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"]


def alu():
    out = []
    for op in ["add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"]:
        m = NOAF if op in ("or", "and", "xor") else ALL
        for ins in ["bl, cl", "bh, dl", "sil, dil", "r9b, al", "bx, si", "ebx, esi",
                    "rbx, rsi", "r9d, r10d", "r14, r15", "al, 0x7f", "eax, 0x12345678",
                    "rax, -5", "ax, 0x8000", "bl, 0x80", "ah, 1", "ebx, -3", "rbx, 0x7fffffff",
                    "bx, 0x1234", "r11w, -1"]:
            out.append((f"{op} {ins}", "IN_NONE", m))
        for ins in ["ebx, esi", "bl, ah", "rsi, r12"]:
            out.append((f"{{load}} {op} {ins}", "IN_NONE", m))
    for ins in ["bl, cl", "bh, dl", "ebx, esi", "rbx, rsi", "bx, si", "al, 0x81", "eax, 0x80000000",
                "rax, -2", "bh, 0x10", "r10, r11", "esi, 0x7f"]:
        out.append((f"test {ins}", "IN_NONE", NOAF))
    for op in ["inc", "dec", "neg", "not"]:
        for r in ["bl", "ah", "sil", "bx", "ebx", "rbx", "r13d", "r8"]:
            out.append((f"{op} {r}", "IN_NONE", ALL))
    return out


def shift():
    out = []
    for op in ["rol", "ror", "rcl", "rcr", "shl", "shr", "sar"]:
        rot = op in ("rol", "ror", "rcl", "rcr")
        mc = ROT if rot else SHIFT
        m1 = ALL if rot else NOAF
        out += [(f"{op} bl, cl", "IN_CL_LT8", mc), (f"{op} ah, cl", "IN_CL_LT8", mc),
                (f"{op} bx, cl", "IN_CL_LT16", mc), (f"{op} ebx, cl", "IN_NONE", mc),
                (f"{op} rbx, cl", "IN_NONE", mc), (f"{op} r12d, cl", "IN_NONE", mc),
                (f"{op} bl, 1", "IN_NONE", m1), (f"{op} bx, 1", "IN_NONE", m1),
                (f"{op} ebx, 1", "IN_NONE", m1), (f"{op} rbx, 1", "IN_NONE", m1),
                (f"{op} bl, 7", "IN_NONE", mc), (f"{op} bx, 15", "IN_NONE", mc),
                (f"{op} ebx, 5", "IN_NONE", mc), (f"{op} ebx, 31", "IN_NONE", mc),
                (f"{op} rbx, 63", "IN_NONE", mc), (f"{op} rbx, 33", "IN_NONE", mc),
                (f"{op} ebx, 0", "IN_NONE", ALL)]
        if rot:
            out += [(f"{op} bl, cl", "IN_NONE", mc), (f"{op} bx, cl", "IN_NONE", mc)]
    out.append(("sar bl, cl", "IN_NONE", SHIFT))
    out.append(("sar bx, cl", "IN_NONE", SHIFT))
    for op in ["shld", "shrd"]:
        out += [(f"{op} ebx, esi, cl", "IN_NONE", SHIFT), (f"{op} rbx, rsi, cl", "IN_NONE", SHIFT),
                (f"{op} bx, si, cl", "IN_CL_LT16", SHIFT), (f"{op} ebx, esi, 7", "IN_NONE", SHIFT),
                (f"{op} rbx, rsi, 1", "IN_NONE", NOAF), (f"{op} ebx, esi, 1", "IN_NONE", NOAF),
                (f"{op} rbx, r9, 60", "IN_NONE", SHIFT), (f"{op} bx, si, 9", "IN_NONE", SHIFT)]
    return out


def muldiv():
    out = []
    for op in ["mul", "imul"]:
        for r in ["bl", "ah", "bx", "ebx", "rbx", "r9"]:
            out.append((f"{op} {r}", "IN_NONE", MUL))
    for r, k in [("bl", "1"), ("bx", "2"), ("ebx", "4"), ("rbx", "8")]:
        out.append((f"div {r}", f"IN_DIV{k}", NONE))
        out.append((f"idiv {r}", f"IN_IDIV{k}", NONE))
    for ins in ["ebx, esi", "rbx, rsi", "bx, si", "r10d, r11d", "ebx, esi, 1000", "rbx, rsi, -3",
                "bx, si, 0x7fff", "ebx, esi, 0x7fffffff", "rbx, rsi, 0x40000000", "ebx, ebx, 7"]:
        out.append((f"imul {ins}", "IN_NONE", MUL))
    return out


def bitops():
    out = []
    for op in ["bt", "bts", "btr", "btc"]:
        out += [(f"{op} ebx, esi", "IN_NONE", CF), (f"{op} rbx, rsi", "IN_NONE", CF),
                (f"{op} bx, si", "IN_NONE", CF), (f"{op} ebx, 31", "IN_NONE", CF),
                (f"{op} rbx, 63", "IN_NONE", CF), (f"{op} bx, 17", "IN_NONE", CF),
                (f"{op} r10, 40", "IN_NONE", CF)]
    for op in ["bsf", "bsr"]:
        out += [(f"{op} ebx, esi", "IN_NONE", ZF), (f"{op} rbx, rsi", "IN_NONE", ZF),
                (f"{op} bx, si", "IN_NONE", ZF), (f"{op} r9, r10", "IN_NONE", ZF)]
    out += [("bswap ebx", "IN_NONE", ALL), ("bswap rbx", "IN_NONE", ALL), ("bswap r12d", "IN_NONE", ALL),
            ("bswap r15", "IN_NONE", ALL)]
    return out


def datamov():
    out = []
    for ins in ["mov ebx, esi", "mov bl, ah", "mov ah, bl", "mov bx, si", "mov rbx, rsi",
                "{load} mov ebx, esi", "{load} mov bh, cl", "mov rbx, 0x123456789abcdef0", "mov bh, 0x12",
                "mov sil, 5", "mov ebx, 0xfffffff0", "mov bx, 0x1234", "mov rbx, -7", "mov r9b, 0x99",
                "movzx ebx, sil", "movzx ebx, ah", "movzx rbx, si", "movzx bx, dl", "movsx ebx, bh",
                "movsx rbx, sil", "movsx ebx, si", "movsx bx, cl", "movsxd rbx, esi", "movsxd rbx, r9d",
                "xchg ebx, esi", "xchg bl, ah", "xchg rbx, rsi", "xchg eax, r9d", "xchg ax, bx",
                "xchg eax, eax", "xchg rax, r8", "nop", "pause", "endbr64", "nop dword ptr [rax+rax*1+0]",
                "nop word ptr [rax+rax*1+0]",
                "xadd ebx, esi", "xadd bl, cl", "xadd rbx, rsi", "xadd bx, si",
                "cbw", "cwde", "cdqe", "cwd", "cdq", "cqo", "lahf", "sahf", "clc", "stc", "cmc",
                "lea ebx, [rsi+rdi*4+12]", "lea rbx, [rsi+rbx*8-1]", "lea bx, [rsi+rdi]",
                "lea ebx, [esi+edi]", "lea rbx, [ebx+esi*2+0x7fffffff]", "lea r11, [r12+r13]"]:
        out.append((ins, "IN_NONE", ALL))
    for ins in ["cmpxchg ebx, esi", "cmpxchg rbx, rsi", "cmpxchg bl, cl", "cmpxchg bx, si"]:
        out.append((ins, "IN_CMPXCHG", ALL))
    out.append(("cmpxchg ah, dl", "IN_CMPXCHG_AH", ALL))
    for cc in CC:
        out += [(f"cmov{cc} ebx, esi", "IN_NONE", ALL), (f"cmov{cc} rbx, rsi", "IN_NONE", ALL),
                (f"set{cc} bl", "IN_NONE", ALL)]
    out += [("cmovz bx, si", "IN_NONE", ALL), ("cmovnz r10d, r11d", "IN_NONE", ALL),
            ("setz ah", "IN_NONE", ALL), ("setnz sil", "IN_NONE", ALL)]
    return out


def branch():
    out = []
    for cc in CC:
        out.append((f"j{cc} 1f; mov bl, 1; 1:", "IN_NONE", ALL))
        out.append((f"{{disp32}} j{cc} 1f; mov bl, 1; 1:", "IN_NONE", ALL))
    for ins in ["loop", "loope", "loopne", "jrcxz", "jecxz", "addr32 loop", "addr32 loopne"]:
        out.append((f"{ins} 1f; mov bl, 1; 1:", "IN_SMALL_RCX", ALL))
    out += [("jmp 1f; mov bl, 1; 1:", "IN_NONE", ALL), ("{disp32} jmp 1f; mov bl, 1; 1:", "IN_NONE", ALL),
            ("cmp ebx, esi; jl 1f; mov bl, 1; 1:", "IN_NONE", ALL),
            ("cmp rbx, rsi; jbe 1f; mov bl, 1; 1:", "IN_NONE", ALL),
            ("test bl, bl; jns 1f; mov bl, 1; 1:", "IN_NONE", ALL),
            ("sub bx, si; jo 1f; mov bl, 1; 1:", "IN_NONE", ALL),
            ("inc cl; jg 1f; mov bl, 1; 1:", "IN_NONE", ALL),
            ("dec r9; jp 1f; mov bl, 1; 1:", "IN_NONE", ALL),
            ("neg esi; jb 1f; mov bl, 1; 1:", "IN_NONE", ALL),
            ("adc rsi, rdi; ja 1f; mov bl, 1; 1:", "IN_NONE", ALL),
            ("sbb esi, edi; jle 1f; mov bl, 1; 1:", "IN_NONE", ALL),
            ("and esi, edi; jge 1f; mov bl, 1; 1:", "IN_NONE", ALL)]
    return out


def assemble(line):
    with tempfile.TemporaryDirectory() as d:
        s, o = os.path.join(d, "t.s"), os.path.join(d, "t.o")
        with open(s, "w") as f:
            f.write(".intel_syntax noprefix\n" + line + "\n")
        subprocess.run(["as", s, "-o", o], check=True)
        subprocess.run(["objcopy", "-O", "binary", "-j", ".text", o, o + ".bin"], check=True)
        with open(o + ".bin", "rb") as f:
            return f.read()


def main():
    print("/* SPDX-License-Identifier: GPL-2.0-or-later */")
    print("/* Generated by tests/unit/gen_cpu_int_cases.py (GNU as). Do not edit. */")
    for fam, fn in [("ALU", alu), ("SHIFT", shift), ("MULDIV", muldiv), ("BITOPS", bitops),
                    ("DATAMOV", datamov), ("BRANCH", branch)]:
        print(f"\n#ifdef CPU_INT_CASES_{fam}")
        print(f"static const struct int_case int_cases[] = {{")
        for text, kind, mask in fn():
            b = assemble(text)
            hexes = ", ".join(f"0x{x:02x}" for x in b)
            print(f'\t{{ "{text}", {len(b)}, {{ {hexes} }}, {kind}, {mask} }},')
        print("};")
        print("#endif")


if __name__ == "__main__":
    main()

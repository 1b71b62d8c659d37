#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Generate tests/unit/cpu_fp_cases.h: SSE/SSE2/MMX and x87 instructions,
assembled with GNU as, that test_cpu_sse.c and test_cpu_x87.c run natively on
the host and on hover's CPU and compare (differential check).

Operands: xmm0/xmm1, mm0/mm1, rax, and memory at (%rbx) (a data buffer).
Run from the repository root after editing the lists below:
    python3 tests/unit/gen_cpu_fp_cases.py > tests/unit/cpu_fp_cases.h
"""
import os
import subprocess
import tempfile

F = "FPC_FLAGS"   # writes EFLAGS: compare ZF PF CF OF SF AF
N = "0"


def sse():
    out = []
    integer = """paddb paddw paddd paddq psubb psubw psubd psubq paddsb paddsw paddusb paddusw
        psubsb psubsw psubusb psubusw pmullw pmulhw pmulhuw pmuludq pmaddwd pavgb pavgw
        pminub pmaxub pminsw pmaxsw psadbw pcmpeqb pcmpeqw pcmpeqd pcmpgtb pcmpgtw pcmpgtd
        pand pandn por pxor punpcklbw punpcklwd punpckldq punpcklqdq punpckhbw punpckhwd
        punpckhdq punpckhqdq packsswb packuswb packssdw psrlw psrld psrlq psraw psrad psllw
        pslld psllq unpcklps unpckhps unpcklpd unpckhpd andps andnps orps xorps andpd andnpd
        orpd xorpd""".split()
    for op in integer:
        out.append((f"{op} %xmm1, %xmm0", N))
    for op in ["paddb", "psubusw", "pmulhw", "pmaddwd", "psadbw", "packsswb", "packssdw",
               "punpcklbw", "punpckhdq", "psraw", "psrlq", "pavgb", "pmuludq", "pcmpgtw", "pandn"]:
        out.append((f"{op} %mm1, %mm0", N))
    for op in ["paddd", "pmaddwd", "punpckhwd", "packuswb", "pcmpeqb"]:
        out.append((f"{op} 16(%rbx), %xmm0", N))
        out.append((f"{op} 16(%rbx), %mm0", N))
    for ins in ["psrlw $3", "psraw $15", "psraw $16", "psrad $31", "psrad $7", "pslld $5",
                "psllw $16", "psllq $33", "psrlq $63", "psrlq $64", "psrldq $3", "pslldq $15",
                "psrldq $16", "pslldq $0", "psrld $200"]:
        out.append((f"{ins}, %xmm0", N))
    for ins in ["psrlw $3", "psraw $9", "pslld $5", "psllq $33", "psrlq $64"]:
        out.append((f"{ins}, %mm0", N))
    for ins in ["pshufd $0x1b", "pshufhw $0xc6", "pshuflw $0x39", "shufps $0x4e", "shufpd $1",
                "shufpd $2"]:
        out.append((f"{ins}, %xmm1, %xmm0", N))
    out += [(i, N) for i in [
        "pshufw $0x1b, %mm1, %mm0", "pextrw $5, %xmm1, %eax", "pextrw $2, %mm1, %eax",
        "pinsrw $3, %eax, %xmm0", "pinsrw $1, %eax, %mm0", "pinsrw $7, 16(%rbx), %xmm0",
        "pmovmskb %xmm1, %eax", "pmovmskb %mm1, %eax", "movmskps %xmm1, %eax",
        "movmskpd %xmm1, %eax", "movd %xmm1, %eax", "movq %xmm1, %rax", "movd %eax, %xmm0",
        "movq %rax, %xmm0", "movq %xmm1, %xmm0", "movss %xmm1, %xmm0", "movsd %xmm1, %xmm0",
        "movhlps %xmm1, %xmm0", "movlhps %xmm1, %xmm0", "movss 16(%rbx), %xmm0",
        "movsd 16(%rbx), %xmm0", "movlps 16(%rbx), %xmm0", "movhpd 16(%rbx), %xmm0",
        "movq 16(%rbx), %xmm0", "movups 3(%rbx), %xmm0", "movdqa 16(%rbx), %xmm0",
        "movd %mm1, %eax", "movq %rax, %mm0", "movq %mm1, %mm0", "movd 16(%rbx), %mm0",
        "movq2dq %mm1, %xmm0", "movdq2q %xmm1, %mm0",
        "movss %xmm1, 16(%rbx)", "movsd %xmm1, 16(%rbx)", "movhps %xmm1, 16(%rbx)",
        "movq %xmm1, 16(%rbx)", "movdqu %xmm1, 1(%rbx)", "movaps %xmm1, 16(%rbx)",
        "movntdq %xmm1, 16(%rbx)", "movq %mm1, 16(%rbx)", "movd %xmm1, 16(%rbx)",
        "stmxcsr 16(%rbx)", "pextrw $0, %xmm1, %eax"]]
    for op in ["add", "sub", "mul", "div", "min", "max", "sqrt"]:
        for t in ["ps", "pd", "ss", "sd"]:
            out.append((f"{op}{t} %xmm1, %xmm0", N))
        out.append((f"{op}ss 16(%rbx), %xmm0", N))
        out.append((f"{op}pd 16(%rbx), %xmm0", N))
    for t in ["ps", "pd", "ss", "sd"]:
        for p in range(8):
            out.append((f"cmp{t} ${p}, %xmm1, %xmm0", N))
    for ins in ["comiss", "ucomiss", "comisd", "ucomisd"]:
        out.append((f"{ins} %xmm1, %xmm0", F))
    out.append(("ucomisd 16(%rbx), %xmm0", F))
    out += [(i, N) for i in [
        "cvtsi2ss %eax, %xmm0", "cvtsi2ss %rax, %xmm0", "cvtsi2sd %eax, %xmm0",
        "cvtsi2sd %rax, %xmm0", "cvtsi2ssl 16(%rbx), %xmm0", "cvtsi2sdq 16(%rbx), %xmm0",
        "cvtss2si %xmm1, %eax", "cvtss2si %xmm1, %rax", "cvttss2si %xmm1, %eax",
        "cvttss2si %xmm1, %rax", "cvtsd2si %xmm1, %eax", "cvtsd2si %xmm1, %rax",
        "cvttsd2si %xmm1, %eax", "cvttsd2si %xmm1, %rax", "cvtsd2si 16(%rbx), %rax",
        "cvtss2sd %xmm1, %xmm0", "cvtsd2ss %xmm1, %xmm0", "cvtps2pd %xmm1, %xmm0",
        "cvtpd2ps %xmm1, %xmm0", "cvtdq2ps %xmm1, %xmm0", "cvtps2dq %xmm1, %xmm0",
        "cvttps2dq %xmm1, %xmm0", "cvtdq2pd %xmm1, %xmm0", "cvtpd2dq %xmm1, %xmm0",
        "cvttpd2dq %xmm1, %xmm0", "cvtpi2ps %mm1, %xmm0", "cvtpi2pd %mm1, %xmm0",
        "cvtps2pi %xmm1, %mm0", "cvttps2pi %xmm1, %mm0", "cvtpd2pi %xmm1, %mm0",
        "cvttpd2pi %xmm1, %mm0", "cvtps2pd 16(%rbx), %xmm0", "cvtpi2ps 16(%rbx), %xmm0"]]
    return out


def x87():
    out = []
    for op in ["fadd", "fmul", "fsub", "fsubr", "fdiv", "fdivr"]:
        out += [(f"{op} %st(1), %st", N), (f"{op} %st, %st(1)", N), (f"{op}p %st, %st(1)", N),
                (f"{op}s 16(%rbx)", N), (f"{op}l 16(%rbx)", N), (f"fi{op[1:]}l 16(%rbx)", N),
                (f"fi{op[1:]}s 16(%rbx)", N)]
    out += [(i, N) for i in [
        "fcom %st(1)", "fcomp %st(1)", "fcompp", "fucom %st(1)", "fucomp %st(1)", "fucompp",
        "fcoms 16(%rbx)", "fcompl 16(%rbx)", "ficoml 16(%rbx)", "ftst", "fxam", "fchs", "fabs",
        "fld1", "fldl2t", "fldl2e", "fldpi", "fldlg2", "fldln2", "fldz", "f2xm1", "fyl2x",
        "fptan", "fpatan", "fxtract", "fprem1", "fdecstp", "fincstp", "fprem", "fyl2xp1",
        "fsqrt", "fsincos", "frndint", "fscale", "fsin", "fcos", "fxch %st(1)", "fxch %st(3)",
        "fld %st(1)", "fld %st(4)", "fst %st(1)", "fstp %st(1)", "fstp %st(0)", "ffree %st(1)",
        "flds 16(%rbx)", "fldl 16(%rbx)", "fldt 16(%rbx)", "filds 16(%rbx)", "fildl 16(%rbx)",
        "fildll 16(%rbx)", "fsts 16(%rbx)", "fstl 16(%rbx)", "fstps 16(%rbx)", "fstpl 16(%rbx)",
        "fstpt 16(%rbx)", "fists 16(%rbx)", "fistl 16(%rbx)", "fistps 16(%rbx)",
        "fistpl 16(%rbx)", "fistpll 16(%rbx)", "fisttps 16(%rbx)", "fisttpl 16(%rbx)",
        "fisttpll 16(%rbx)", "fbld 16(%rbx)", "fbstp 16(%rbx)", "fnstsw %ax", "fnstsw 16(%rbx)",
        "fnstcw 16(%rbx)", "fnclex", "fnop", "fnstenv 16(%rbx)"]]
    out += [(i, F) for i in ["fcomi %st(1), %st", "fucomi %st(1), %st", "fcomip %st(1), %st",
                             "fucomip %st(1), %st"]]
    for cc in ["b", "e", "be", "u", "nb", "ne", "nbe", "nu"]:
        out.append((f"fcmov{cc} %st(1), %st", N))
    return out


def assemble(lines):
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "a.s")
        obj = os.path.join(d, "a.o")
        with open(src, "w") as f:
            for i, ins in enumerate(lines):
                f.write(f"l{i}: {ins}\n")
            f.write(f"l{len(lines)}: nop\n")
        subprocess.run(["as", "--64", "-o", obj, src], check=True)
        raw = os.path.join(d, "a.bin")
        subprocess.run(["objcopy", "-O", "binary", "-j", ".text", obj, raw], check=True)
        data = open(raw, "rb").read()
        syms = subprocess.run(["nm", "-n", obj], check=True, capture_output=True, text=True).stdout
        addr = {}
        for line in syms.splitlines():
            a, _, name = line.split()
            addr[name] = int(a, 16)
        return [data[addr[f"l{i}"]:addr[f"l{i + 1}"]] for i in range(len(lines))]


def emit(name, cases):
    enc = assemble([c[0] for c in cases])
    print(f"#define {name}(X) \\")
    for (text, fl), b in zip(cases, enc):
        hexs = "".join(f"\\x{x:02x}" for x in b)
        t = text.replace("%", "%%")
        print(f'\tX("{t}", "{hexs}", {len(b)}, {fl}) \\')
    print()


print("/* SPDX-License-Identifier: GPL-2.0-or-later */")
print("/* Generated by tests/unit/gen_cpu_fp_cases.py: do not edit. */")
print("#define FPC_FLAGS 1")
emit("SSE_CASES", sse())
emit("X87_CASES", x87())

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""embed-text.py IN OUT SYMBOL: write a C file defining `const char SYMBOL[]`
(IN's bytes, NUL-terminated) and `const size_t SYMBOL_len`."""
import sys

src, out, sym = sys.argv[1:4]
data = open(src, "rb").read()
with open(out, "w") as f:
    f.write("/* Generated from %s by scripts/embed-text.py. */\n" % src.split("/")[-1])
    f.write("#include <stddef.h>\n")
    f.write("extern const char %s[];\nextern const size_t %s_len;\n" % (sym, sym))
    f.write("const char %s[] = {\n" % sym)
    for i in range(0, len(data), 16):
        f.write("\t" + ", ".join("0x%02x" % b for b in data[i:i + 16]) + ",\n")
    f.write("\t0x00\n};\n")
    f.write("const size_t %s_len = %d;\n" % (sym, len(data)))

#!/usr/bin/env python3
"""embed.py SRC SYMBOL OUT.h OUT.cc: writes a header and source exposing SRC's bytes."""
import os
import sys


def main():
    src, symbol, out_h, out_cc = sys.argv[1:5]
    with open(src, "rb") as f:
        data = f.read()
    guard = "WARDEN_EMBEDDED_" + symbol.upper() + "_H_"
    header_include = out_h.split("bin/", 1)[-1]
    with open(out_h, "w") as h:
        h.write(f"// Generated from {os.path.basename(src)} by tools/build_defs/embed.py.\n"
                f"#ifndef {guard}\n#define {guard}\n\n#include <string_view>\n\n"
                f"namespace warden::embedded {{\n\n"
                f"// The {len(data)} bytes of {os.path.basename(src)}.\n"
                f"std::string_view {symbol}();\n\n}}  // namespace warden::embedded\n\n#endif\n")
    with open(out_cc, "w") as c:
        c.write(f'#include "{header_include}"\n\nnamespace warden::embedded {{\nnamespace {{\n\n'
                f"alignas(64) const unsigned char kData[] = {{\n")
        for i in range(0, len(data), 24):
            c.write(",".join(str(b) for b in data[i:i + 24]) + ",\n")
        c.write(f"}};\n\n}}  // namespace\n\nstd::string_view {symbol}() {{\n"
                f"  return std::string_view(reinterpret_cast<const char*>(kData), {len(data)});\n"
                f"}}\n\n}}  // namespace warden::embedded\n")


if __name__ == "__main__":
    main()

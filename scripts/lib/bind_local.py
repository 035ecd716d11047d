#!/usr/bin/env python3
"""Pre-binds a shared library's references to its own symbols (like linking with -Bsymbolic).

libnode.so exports ~60k symbols and is linked with -z now, so the dynamic loader spends ~25 ms
looking symbols up by name at every process start. Each relocation whose symbol the library
defines itself (not undefined, not TLS/IFUNC, not STB_GNU_UNIQUE) becomes an R_X86_64_RELATIVE
relocation to that definition, which the loader applies without a lookup. The library keeps its
full RELRO and bind-now behaviour; only interposition of its own symbols by other objects is lost.

usage: bind_local.py IN.so OUT.so   (prints how many relocations it rewrote)
"""
import struct
import sys

R_X86_64_64, R_X86_64_GLOB_DAT, R_X86_64_JUMP_SLOT, R_X86_64_RELATIVE = 1, 6, 7, 8
SHT_RELA, SHT_DYNSYM = 4, 11
STT_OBJECT, STT_FUNC = 1, 2
STB_GLOBAL, STB_WEAK = 1, 2


def main(src: str, dst: str) -> None:
    data = bytearray(open(src, "rb").read())
    if data[:4] != b"\x7fELF" or data[4] != 2 or struct.unpack_from("<H", data, 18)[0] != 62:
        sys.exit(f"{src}: not an x86-64 ELF64 file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]

    rewritten = 0
    for sh in sections:
        _, sh_type, _, _, offset, size, link, _, _, entsize = sh
        if sh_type != SHT_RELA or sections[link][1] != SHT_DYNSYM:
            continue
        symtab_off = sections[link][4]
        for rel in range(offset, offset + size, entsize):
            r_offset, r_info, r_addend = struct.unpack_from("<QQq", data, rel)
            r_type, r_sym = r_info & 0xFFFFFFFF, r_info >> 32
            if r_type not in (R_X86_64_64, R_X86_64_GLOB_DAT, R_X86_64_JUMP_SLOT) or r_sym == 0:
                continue
            st_name, st_info, st_other, st_shndx, st_value, _ = struct.unpack_from(
                "<IBBHQQ", data, symtab_off + r_sym * 24)
            bind, kind = st_info >> 4, st_info & 0xF
            if st_shndx == 0 or bind not in (STB_GLOBAL, STB_WEAK) or kind not in (STT_OBJECT, STT_FUNC):
                continue
            addend = st_value + (r_addend if r_type == R_X86_64_64 else 0)
            struct.pack_into("<QQq", data, rel, r_offset, R_X86_64_RELATIVE, addend)
            rewritten += 1

    open(dst, "wb").write(data)
    print(rewritten)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])

#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/system/extract-vmlinux.sh: the ELF vmlinux inside a bzImage.
#
# Usage: extract-vmlinux.sh BZIMAGE OUT
#
# Reads the payload's place from the setup header (boot protocol 2.08+:
# payload_offset at 0x248 and payload_length at 0x24c, counted from the
# protected-mode code, which starts after (setup_sects + 1) * 512 bytes), so
# no guessing by magic numbers; then decompresses it with the tool its magic
# names. Debian's 6.1 kernels are xz; the ELF keeps its PVH note.
set -euo pipefail

img=$1
out=$2

# le32 FILE OFFSET / le8: little-endian fields of the setup header.
le32() { od -An -tu4 -j "$2" -N 4 "$1" | tr -d ' '; }
le8() { od -An -tu1 -j "$2" -N 1 "$1" | tr -d ' '; }

[ "$(od -An -c -j 0x202 -N 4 "$img" | tr -d ' ')" = HdrS ] || {
	echo "extract-vmlinux: $img is not a bzImage" >&2
	exit 1
}
setup_sects=$(le8 "$img" $((0x1f1)))
[ "$setup_sects" -ne 0 ] || setup_sects=4	# what the boot protocol says 0 means
start=$(((setup_sects + 1) * 512 + $(le32 "$img" $((0x248)))))
length=$(le32 "$img" $((0x24c)))
magic=$(od -An -tx1 -j "$start" -N 4 "$img" | tr -d ' ')
case $magic in
fd377a58) dec=(xz -dc) ;;
28b52ffd) dec=(zstd -dc) ;;
1f8b08*) dec=(gzip -dc) ;;
02214c18) dec=(lz4 -dc) ;;
*)
	echo "extract-vmlinux: unknown payload magic $magic in $img" >&2
	exit 1
	;;
esac
# The payload's last 4 bytes (the decompressed size) follow the stream; the
# decompressors stop at the end of the stream and ignore trailing data.
tail -c +$((start + 1)) "$img" | head -c "$length" | "${dec[@]}" >"$out.tmp" 2>/dev/null || true
[ "$(od -An -tx1 -N 4 "$out.tmp" | tr -d ' ')" = 7f454c46 ] || {
	rm -f "$out.tmp"
	echo "extract-vmlinux: the payload of $img is not an ELF" >&2
	exit 1
}
mv "$out.tmp" "$out"

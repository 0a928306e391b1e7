#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# scripts/fetch-iasl.sh: fetch an iasl that knows the VIOT, for the tests.
#
# Debian 12's iasl (acpica-tools 20200925) predates the ACPI VIOT table and
# cannot disassemble it. Debian 13 (trixie) ships one that can, built
# against glibc 2.38+. This fetches both packages from Debian's archive
# (the InRelease checked with gpgv against debian-archive-keyring, every
# file against the hashes it signs), unpacks them with dpkg -x into a cache
# folder, and leaves a wrapper "iasl" there that runs trixie's iasl on
# trixie's dynamic loader and libc, touching nothing on the system. Prints
# the wrapper's path on stdout (and nothing else), so a test runner can do
#     IGNIS_IASL=$(scripts/fetch-iasl.sh)
# The cache is $XDG_CACHE_HOME/ignis/iasl, else ~/.cache/ignis/iasl; never
# the repository. A second run finds the wrapper and only prints its path.
# IGNIS_DEBIAN_MIRROR overrides http://deb.debian.org/debian.
set -eu

mirror=${IGNIS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=trixie
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
helper=/usr/lib/apt/apt-helper

log() {
	printf 'fetch-iasl: %s\n' "$*" >&2
}

die() {
	log "$*"
	exit 1
}

if [ -n "${XDG_CACHE_HOME:-}" ]; then
	dir=$XDG_CACHE_HOME/ignis/iasl
else
	[ -n "${HOME:-}" ] || die "neither XDG_CACHE_HOME nor HOME is set"
	dir=$HOME/.cache/ignis/iasl
fi

# Quick path: a previous run left a wrapper that works.
if [ -x "$dir/iasl" ] && "$dir/iasl" -v >/dev/null 2>&1; then
	printf '%s\n' "$dir/iasl"
	exit 0
fi

for tool in "$helper" gpgv dpkg xz; do
	command -v "$tool" >/dev/null 2>&1 || die "needs $tool (a Debian system)"
done
[ -r "$keyring" ] || die "needs $keyring (debian-archive-keyring)"

mkdir -p "$dir"
work=$(mktemp -d "$dir/fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM

# get URL FILE [SHA256]: apt's own downloader, which checks the hash.
get() {
	"$helper" download-file "$1" "$2" ${3:+"SHA256:$3"} >/dev/null 2>&1 ||
		die "cannot download $1"
}

get "$mirror/dists/$suite/InRelease" "$work/InRelease"
gpgv --keyring "$keyring" --output "$work/Release" "$work/InRelease" \
	2>/dev/null || die "$suite's InRelease does not verify against $keyring"
packages=main/binary-amd64/Packages.xz
sum=$(awk -v f="$packages" '/^SHA256:/ { in256 = 1; next }
	/^[^ ]/ { in256 = 0 } in256 && $3 == f { print $1 }' "$work/Release")
[ -n "$sum" ] || die "$suite's Release lists no $packages"
get "$mirror/dists/$suite/$packages" "$work/Packages.xz" "$sum"
xz -dc "$work/Packages.xz" >"$work/Packages"

# fetch PACKAGE: downloads and unpacks the package into $dir/PACKAGE.
fetch() {
	# shellcheck disable=SC2046 # the file name and its hash: two words
	set -- "$1" $(awk -v p="$1" '/^Package: / { this = ($2 == p) }
		this && /^Filename: / { f = $2 } this && /^SHA256: / { s = $2 }
		END { print f, s }' "$work/Packages")
	[ $# -eq 3 ] || die "$suite has no package $1"
	log "$1: $2"
	get "$mirror/$2" "$work/$1.deb" "$3"
	rm -rf "${dir:?}/$1"
	dpkg -x "$work/$1.deb" "$dir/$1"
}

fetch acpica-tools
fetch libc6
cat >"$work/iasl" <<EOF
#!/bin/sh
# $suite's iasl on $suite's libc (scripts/fetch-iasl.sh).
exec "$dir/libc6/usr/lib64/ld-linux-x86-64.so.2" \\
	--library-path "$dir/libc6/usr/lib/x86_64-linux-gnu" \\
	"$dir/acpica-tools/usr/bin/iasl" "\$@"
EOF
chmod +x "$work/iasl"
"$work/iasl" -v >/dev/null 2>&1 || die "the fetched iasl does not run"
mv "$work/iasl" "$dir/iasl"
printf '%s\n' "$dir/iasl"

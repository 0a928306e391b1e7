#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# scripts/fetch-test-kernel.sh: fetch Debian's cloud kernel (a bzImage) for the tests.
#
# Downloads linux-image-cloud-amd64, follows the metapackage's dependency to
# the versioned linux-image-*-cloud-amd64 package, unpacks that with dpkg -x
# into a cache folder and leaves the kernel there as "vmlinuz". Prints the
# path of that vmlinuz on stdout (and nothing else), so a test runner can do
#     IGNIS_TEST_BZIMAGE=$(scripts/fetch-test-kernel.sh)
# The cache is $IGNIS_TEST_KERNEL_DIR, else $XDG_CACHE_HOME/ignis, else
# ~/.cache/ignis; never the repository. A second run finds the file and only
# prints its path.
set -eu

meta=linux-image-cloud-amd64

log() {
	printf 'fetch-test-kernel: %s\n' "$*" >&2
}

die() {
	log "$*"
	exit 1
}

if [ -n "${IGNIS_TEST_KERNEL_DIR:-}" ]; then
	dir=$IGNIS_TEST_KERNEL_DIR
elif [ -n "${XDG_CACHE_HOME:-}" ]; then
	dir=$XDG_CACHE_HOME/ignis
else
	[ -n "${HOME:-}" ] || die "neither IGNIS_TEST_KERNEL_DIR nor HOME is set"
	dir=$HOME/.cache/ignis
fi

# Quick path: a previous run left the kernel here.
if [ -s "$dir/vmlinuz" ]; then
	printf '%s\n' "$dir/vmlinuz"
	exit 0
fi

for tool in apt-get dpkg-deb dpkg; do
	command -v "$tool" >/dev/null 2>&1 || die "needs $tool (a Debian system)"
done

mkdir -p "$dir"
work=$(mktemp -d "$dir/fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM

# apt-get download fetches as the unprivileged _apt user, which cannot
# write into a cache under /root; as root, fetch as root instead of having
# apt warn and fall back to that.
apt_download() {
	if [ "$(id -u)" = 0 ]; then
		apt-get -o APT::Sandbox::User=root download "$1" >&2
	else
		apt-get download "$1" >&2
	fi
}

# Prints the first file matching the glob pattern $1, or fails.
first_match() {
	for f in $1; do
		if [ -e "$f" ]; then
			printf '%s\n' "$f"
			return 0
		fi
	done
	return 1
}

cd "$work"
log "downloading $meta"
if ! apt_download "$meta"; then
	log "apt-get download failed; trying after apt-get update"
	apt-get update >&2 || die "apt-get update failed (are you root?)"
	apt_download "$meta" || die "cannot download $meta"
fi
meta_deb=$(first_match "./${meta}_*.deb") ||
	die "apt-get download left no $meta .deb"

# The metapackage only depends on the real, versioned image package, e.g.
# "linux-image-6.1.0-44-cloud-amd64 (= 6.1.192-2)".
real=$(dpkg-deb -f "$meta_deb" Depends | tr ',' '\n' |
	sed -n 's/^[[:space:]]*\(linux-image-[0-9][^[:space:](|]*-cloud-amd64\).*/\1/p' |
	head -n 1)
[ -n "$real" ] || die "cannot find the versioned image in $meta's Depends"

log "downloading $real"
apt_download "$real" || die "cannot download $real"
real_deb=$(first_match "./${real}_*.deb") ||
	die "apt-get download left no $real .deb"

dpkg -x "$real_deb" "$work/root" || die "dpkg -x $real_deb failed"
image=$(first_match "$work/root/boot/vmlinuz-*") ||
	die "$real_deb holds no /boot/vmlinuz-*"
[ -s "$image" ] || die "$image is empty"

# Rename into place last, so an interrupted run never leaves a partial file
# that the quick path above would trust.
cp "$image" "$dir/vmlinuz.tmp"
mv -f "$dir/vmlinuz.tmp" "$dir/vmlinuz"
basename "$real_deb" >"$dir/vmlinuz.source"
log "$real -> $dir/vmlinuz"
printf '%s\n' "$dir/vmlinuz"

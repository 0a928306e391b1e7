#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# tests/fuzz/seeds.py: write the hand-made seeds of the device fuzzers.
#
#   tests/fuzz/seeds.py [TARGET...]     default: every target below
#
# Each seed is a well-formed input (README.md has the formats) that a
# fuzzer would take long to guess: rings whose addresses are RAM, a driver
# that goes through the whole status sequence, a request the parser takes,
# a kernel image that loads. They go to corpus/<target>/seed-<name>; the
# fuzzing then grows the corpus around them (scripts/fuzz.sh --merge).
# Rerun after changing an input format, then merge afresh (README.md).
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def u8(v):
    return struct.pack("<B", v & 0xFF)


def u16(v):
    return struct.pack("<H", v & 0xFFFF)


def u32(v):
    return struct.pack("<I", v & 0xFFFFFFFF)


def u64(v):
    return struct.pack("<Q", v & 0xFFFFFFFFFFFFFFFF)


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


# ---- fuzz_virtq (fuzz_virtq.c) ----
VQ_NEXT, VQ_WRITE, VQ_INDIRECT = 1, 2, 4


class Vq:
    """The ops of fuzz_virtq's input."""

    def __init__(self, flags=0, size_log=3, base=0, iommu=None):
        self.b = u8(flags) + u8(size_log) + u16(base)
        if iommu is not None:
            key, deny_r, deny_w = iommu
            self.b += u8(key) + u16(deny_r) + u16(deny_w)

    def desc(self, i, addr, ln, flags=0, nxt=0, anywhere=False):
        self.b += u8(0) + u8(1 if anywhere else 0) + u16(i)
        self.b += u64(addr) + u32(ln) + u16(flags) + u16(nxt)
        return self

    def raw(self, at, data):
        self.b += u8(1) + u16(at) + u8(len(data)) + data
        return self

    def publish(self, head):
        self.b += u8(2) + u16(head)
        return self

    def avail_idx(self, v):
        self.b += u8(3) + u16(v)
        return self

    def suppress(self, used_event, v):
        self.b += u8(4) + u8(1 if used_event else 0) + u16(v)
        return self

    def op(self, code, *args):
        self.b += u8(code) + b"".join(args)
        return self

    def pop(self):
        return self.op(5)

    def pop_rearm(self):
        return self.op(6)

    def push(self, k, ln, publish=True):
        return self.op(7 if publish else 8, u8(k), u32(ln))

    def publish_used(self):
        return self.op(9)

    def notify(self):
        return self.op(10)

    def enable(self):
        return self.op(11)

    def disable(self):
        return self.op(12)

    def set_avail_event(self):
        return self.op(13)

    def count(self):
        return self.op(14)

    def repop(self, k):
        return self.op(15, u8(1), u8(k))

    def pass_end(self, bump, waiting, iommu=True):
        sub = u8(0) if iommu else b""
        return self.op(15, sub, u8((bump & 3) | (4 if waiting else 0)))


def virtq():
    t = "fuzz_virtq"
    # Size 8 at 0: table 0x0, avail 0x80, used 0x98.
    v = Vq()
    v.desc(0, 0x1000, 16, VQ_NEXT, 1)
    v.desc(1, 0x2000, 512, VQ_WRITE | VQ_NEXT, 2).desc(2, 0x2200, 1, VQ_WRITE)
    v.publish(0).count().pop().push(0, 513).notify().pop_rearm()
    write(t, "basic", v.b)

    v = Vq(flags=0x01)  # EVENT_IDX
    v.desc(0, 0x1000, 64, 0, 0).desc(1, 0x1100, 64, VQ_WRITE)
    v.suppress(True, 1).publish(0).publish(1).pop().pop()
    v.push(0, 0).notify().push(0, 64).notify().set_avail_event()
    v.enable().disable().publish(0).pop().push(0, 64, False)
    v.publish_used().notify()
    write(t, "event-idx", v.b)

    v = Vq(flags=0x02)  # INDIRECT
    v.desc(0, 0x3000, 48, VQ_INDIRECT)
    v.desc(0x300, 0x4000, 100, VQ_NEXT, 1, anywhere=True)
    v.desc(0x301, 0x5000, 200, VQ_WRITE | VQ_NEXT, 2, anywhere=True)
    v.desc(0x302, 0x9000, 300, VQ_WRITE, 0, anywhere=True)
    v.publish(0).pop().push(0, 500)
    write(t, "indirect", v.b)

    # Behind the IOMMU, pages 0 and 1 swapped (key 1); page 9 not writable.
    v = Vq(flags=0x07, iommu=(1, 0, 1 << 9))
    v.desc(0, 0x0ff0, 0x20, VQ_NEXT, 1).desc(1, 0x9000, 8, VQ_WRITE)
    v.desc(2, 0x2000, 8, VQ_WRITE)
    v.publish(0).publish(2).pop().pop().pass_end(1, True).repop(0)
    v.pass_end(0, True).push(1, 8).push(0, 0).pass_end(0, False)
    write(t, "iommu", v.b)

    # A buffer across the two regions (CVE-2019-18960): broken.
    v = Vq().desc(0, 0x7FF0, 0x20, VQ_WRITE).publish(0).pop().pop()
    write(t, "across-regions", v.b)

    # A loop, and an avail index 9 ahead of a ring of 8 (GUARDS 4).
    v = Vq().desc(0, 0x1000, 1, VQ_NEXT, 1).desc(1, 0x1000, 1, VQ_NEXT, 0)
    v.publish(0).pop()
    write(t, "loop", v.b)
    write(t, "avail-jump", Vq().avail_idx(9).count().pop().b)

    # 256 entries, one chain through all of them.
    v = Vq(flags=0, size_log=8, base=0x8000)
    for i in range(256):
        fl = (VQ_WRITE if i >= 128 else 0) | (0 if i == 255 else VQ_NEXT)
        v.desc(i, 0x1000 + 16 * i, 16, fl, i + 1)
    v.publish(0).pop().push(0, 2048)
    write(t, "long-chain", v.b)

    # One direct buffer, then a table of 256: 257 buffers, one too many.
    v = Vq(flags=0x02, size_log=8, base=0x8000)
    v.desc(0, 0x1000, 8, VQ_NEXT, 1).desc(1, 0x2000, 256 * 16, VQ_INDIRECT)
    for i in range(256):
        v.desc(0x200 + i, 0x4000 + i, 1, VQ_NEXT if i < 255 else 0, i + 1,
               anywhere=True)
    v.publish(0).pop()
    write(t, "too-many-buffers", v.b)


# ---- fuzz_mmio (fuzz_mmio.c) ----
class Mmio:
    """fuzz_mmio's input: the device's shape, then accesses."""

    def __init__(self, flags=0, nq=2, qmax=256, features=(3 << 28),
                 offered=0, config_size=8, fail_mask=0):
        # nq and qmax go through "1 + x % max" unless flags & 1.
        raw = flags & 1
        self.b = u8(flags) + u8(nq if raw else nq - 1)
        self.b += u16(qmax if raw else qmax - 1)
        self.b += u64(features) + u64(offered) + u8(config_size)
        self.b += u8(fail_mask)

    def access(self, write, width, off, val=0):
        kind = (1 if write else 0) | ({1: 0, 2: 1, 4: 2, 8: 3}[width] << 1)
        self.b += u8(1) + u8(kind) + u16(off) + u64(val)
        return self

    def w(self, off, val):
        return self.access(True, 4, off, val)

    def r(self, off):
        return self.access(False, 4, off)

    def device(self, what):
        self.b += u8(0) + u8(what)
        return self

    def queue(self, q, size=256, desc=0x10000, avail=0x11000, used=0x12000):
        self.w(0x30, q).r(0x34).w(0x38, size)
        self.w(0x80, desc).w(0x84, desc >> 32)
        self.w(0x90, avail).w(0x94, avail >> 32)
        self.w(0xA0, used).w(0xA4, used >> 32)
        return self.w(0x44, 1).r(0x44)

    def init(self, features_hi=1, features_lo=3 << 28, queues=2,
             driver_ok=True):
        self.r(0x0).r(0x4).r(0x8).r(0xC).w(0x70, 0).w(0x70, 1).w(0x70, 3)
        self.w(0x14, 0).r(0x10).w(0x14, 1).r(0x10)
        self.w(0x24, 1).w(0x20, features_hi).w(0x24, 0).w(0x20, features_lo)
        self.w(0x70, 0xB).r(0x70)
        for q in range(queues):
            self.queue(q, desc=0x10000 + q * 0x4000,
                       avail=0x11000 + q * 0x4000, used=0x12000 + q * 0x4000)
        return self.w(0x70, 0xF).r(0x70) if driver_ok else self


def mmio():
    t = "fuzz_mmio"
    m = Mmio().init().w(0x50, 0).w(0x50, 1).w(0x50, 2).device(1 | (1 << 2))
    m.r(0x60).w(0x64, 1).r(0x60).r(0xFC).device(2).r(0xFC)
    m.access(False, 1, 0x100).access(False, 2, 0x102).access(False, 4, 0x104)
    m.access(True, 1, 0x101, 0x55).access(True, 4, 0x104, 0xDEADBEEF)
    m.access(False, 4, 0x101).access(False, 8, 0x100).access(False, 2, 0x71)
    m.device(0).r(0x70).w(0x70, 0x4F).w(0x70, 0).r(0x70).r(0x44)
    write(t, "init", m.b)

    # Behind an IOMMU: FEATURES_OK needs ACCESS_PLATFORM (bit 33).
    m = Mmio(flags=2, features=(1 << 33)).init(features_hi=1)
    m.w(0x70, 0).init(features_hi=3, features_lo=0)
    write(t, "iommu", m.b)

    # The first activation fails: NEEDS_RESET, then a reset and again.
    m = Mmio(fail_mask=1).init().r(0x60).w(0x70, 0).init()
    write(t, "activation-fails", m.b)

    # A queue the driver left unaligned: DRIVER_OK refused.
    m = Mmio(nq=1).init(queues=0, driver_ok=False).queue(0, desc=0x10008)
    m.w(0x70, 0xF).r(0x70)
    write(t, "bad-queue", m.b)

    # CVE-2026-5747: queue registers rewritten after DRIVER_OK.
    m = Mmio(nq=1).init(queues=1).w(0x30, 0).w(0x38, 0x8000)
    m.w(0x80, 0xFFFFF000).w(0x44, 0).w(0x70, 0x1F).w(0x20, 0xFFFFFFFF)
    m.w(0x70, 0x8F).w(0x38, 4).w(0x70, 0)
    write(t, "late-queue-write", m.b)

    # A queue selector and notify value far out of range (GUARDS 5).
    m = Mmio(nq=1).init(queues=1).w(0x30, 0xFFFFFFFF).r(0x34).r(0x44)
    m.w(0x50, 0xFFFFFFFF).w(0x50, 0x80000000).w(0x24, 7).w(0x20, 1)
    write(t, "out-of-range", m.b)


# ---- fuzz_blk_req (fuzz_blk_req.c) ----
BLK_RO, BLK_FLUSH, BLK_DISCARD, BLK_WZ = 1, 2, 4, 8


class Blk:
    """fuzz_blk_req's input: the disk, then the chain's buffers."""

    def __init__(self, flags=BLK_FLUSH | BLK_DISCARD | BLK_WZ, cap=64,
                 max_seg=4, skip=0, gather=32):
        self.flags, self.cap = flags, cap
        self.head = u8(max_seg) + u8(max_seg)
        self.head += u64(cap) if flags & 0x10 else u16(cap)
        self.head += u16(skip) + u16(gather)
        self.bufs = b""
        self.nr = 0

    def rd(self, data):
        # Length class 0 (1 + u8) up to 256 bytes, else 1 (1 + u16).
        n = len(data)
        if n <= 256:
            self.bufs += u8(0) + u8(n - 1) + data
        else:
            self.bufs += u8(2) + u16(n - 1) + data[:640]
        self.nr += 1
        return self

    def wr(self, n):
        if n <= 256:
            self.bufs += u8(1) + u8(n - 1)
        else:
            self.bufs += u8(3) + u16(n - 1)
        self.nr += 1
        return self

    def bytes(self):
        return u8(self.flags) + self.head + u8(self.nr) + self.bufs


def blk_hdr(typ, sector=0):
    return u32(typ) + u32(0) + u64(sector)


def blk_seg(sector, num, flags=0):
    return u64(sector) + u32(num) + u32(flags)


def blk_req():
    t = "fuzz_blk_req"
    write(t, "in", Blk().rd(blk_hdr(0, 2)).wr(1024).wr(1).bytes())
    write(t, "out", Blk().rd(blk_hdr(1, 63)).rd(b"\xab" * 512).wr(1).bytes())
    write(t, "out-past-end",
          Blk().rd(blk_hdr(1, 63)).rd(b"\xab" * 1024).wr(1).bytes())
    write(t, "flush", Blk().rd(blk_hdr(4)).wr(1).bytes())
    write(t, "get-id", Blk().rd(blk_hdr(8)).wr(21).bytes())
    write(t, "discard", Blk().rd(blk_hdr(11) + blk_seg(0, 8) +
                                 blk_seg(60, 4)).wr(1).bytes())
    write(t, "write-zeroes-unmap",
          Blk().rd(blk_hdr(13)).rd(blk_seg(1, 1, 1)).wr(1).bytes())
    write(t, "split-header",
          Blk().rd(blk_hdr(0, 1)[:5]).rd(blk_hdr(0, 1)[5:]).wr(512)
          .wr(1).bytes())
    write(t, "read-only-out",
          Blk(flags=BLK_RO).rd(blk_hdr(1)).rd(b"x" * 512).wr(1).bytes())
    write(t, "raw-capacity",
          Blk(flags=0x10, cap=(1 << 64) - 1)
          .rd(blk_hdr(0, (1 << 64) - 2)).wr(512).wr(1).bytes())


# ---- fuzz_net_hdr (fuzz_net_hdr.c) ----
NET_GUEST_CSUM, NET_TSO4, NET_TSO6, NET_ECN, NET_MRG = 1, 2, 4, 8, 16
NET_EVENT_IDX, NET_INDIRECT = 32, 64


class Net:
    """fuzz_net_hdr's input: features, queue sizes, then operations."""

    def __init__(self, features=0, rx_log=4, tx_log=4, sqe_fail=0):
        self.b = u8(features) + u8(rx_log) + u8(tx_log) + u8(sqe_fail)

    def chain(self, q, bufs, indirect=False):
        """bufs: lengths; a negative one goes the other way."""
        self.b += u8(0) + u8(q | (2 if indirect else 0))
        self.b += u8(len(bufs) - 1)
        for ln in bufs:
            flip = 1 if ln < 0 else 0
            ln = abs(ln)
            if ln == 1514:
                self.b += u8(flip | (3 << 1) | 8)
            elif ln == 12:
                self.b += u8(flip | (3 << 1))
            elif ln < 256:
                self.b += u8(flip) + u8(ln)
            else:
                self.b += u8(flip | (2 << 1)) + u16(ln)
        return self

    def raw(self, at, data):
        self.b += u8(1) + u16(at) + u8(len(data)) + data
        return self

    def kick(self, q):
        self.b += u8(2) + u8(q)
        return self

    def frame(self, ln, flags=0, gso=0, hdr_len=0, gso_size=0,
              csum_start=0, csum_offset=0, seed=7, error=False):
        hdr = u8(flags) + u8(gso) + u16(hdr_len) + u16(gso_size)
        hdr += u16(csum_start) + u16(csum_offset) + u16(0)
        self.b += u8(4) + u8(3 if error else 0) + u8(seed) + u32(ln) + hdr
        return self

    def write_done(self, k=0, error=False):
        self.b += u8(5) + u8(k) + u8(1 if error else 0)
        return self

    def pass_end(self):
        self.b += u8(6)
        return self


def net_hdr():
    t = "fuzz_net_hdr"
    n = Net().chain(0, [1514]).chain(0, [12, 2000]).kick(0)
    n.frame(100).pass_end().frame(1500, flags=2).pass_end()
    write(t, "receive", n.b)

    feats = NET_GUEST_CSUM | NET_TSO4 | NET_TSO6 | NET_ECN | NET_MRG
    n = Net(features=feats, rx_log=2)
    for _ in range(4):
        n.chain(0, [1514])
    n.kick(0).frame(4000, flags=1, gso=0x81, hdr_len=54, gso_size=1448,
                    csum_start=34, csum_offset=16).pass_end()
    write(t, "mergeable-tso", n.b)

    n = Net(features=NET_MRG | NET_INDIRECT | NET_GUEST_CSUM, rx_log=6)
    n.chain(0, [64] * 40, indirect=True).chain(0, [1514] * 8, indirect=True)
    n.kick(0).chain(0, [40000, 30000], indirect=True).kick(0)
    n.frame(65000, flags=2).kick(0)
    write(t, "indirect", n.b)

    n = Net().chain(0, [1514]).kick(0)
    n.frame(100, flags=1).frame(1600).frame(5).frame(60, gso=1)
    n.frame(60, gso=0x80).frame(60, error=True).kick(0)
    write(t, "dropped", n.b)

    n = Net().chain(1, [12, 1000]).chain(1, [12, -100]).chain(1, [8])
    n.chain(1, [12, 70000 - 65536]).kick(1).write_done().pass_end()
    n.chain(1, [1514]).kick(1).write_done(error=True).pass_end()
    write(t, "transmit", n.b)

    n = Net(sqe_fail=0x55).chain(1, [1514]).chain(1, [1514]).kick(1)
    n.chain(0, [1514]).kick(0).pass_end().pass_end().write_done()
    write(t, "sq-full", n.b)

    # More chains than write slots (32) and than a kick's budget (64).
    n = Net(tx_log=7)
    for _ in range(70):
        n.chain(1, [60])
    n.kick(1).pass_end().write_done().pass_end().kick(1)
    for k in range(40):
        n.write_done(k)
    n.pass_end().kick(1).pass_end()
    write(t, "transmit-flood", n.b)

    # The driver scribbles over its rings: robustness only.
    n = Net().chain(0, [1514]).chain(1, [100]).raw(0x0, b"\xff" * 16)
    n.raw(0x2000 + 16 * 16 + 2, u16(0x4000)).kick(0).kick(1).frame(100)
    write(t, "raw", n.b)


# ---- fuzz_viommu (fuzz_viommu.c) ----
IOMMU_ATTACH, IOMMU_DETACH, IOMMU_MAP, IOMMU_UNMAP, IOMMU_PROBE = 1, 2, 3, 4, 5
IOMMU_RD, IOMMU_WR, IOMMU_MMIO = 1, 2, 4


class Viommu:
    """fuzz_viommu's input: configuration, features, then operations."""

    def __init__(self, flags=0x01, max_maps=63, features=0x7F,
                 fail0=(0, 0), fail1=(0, 0)):
        self.b = u8(flags) + u8(max_maps) + u8(features)
        for at, n in (fail0, fail1):
            self.b += u8(at) + u8(n)

    def req(self, typ, dom=0, ep=0, flags=0, page=0, pages=1, phys=0,
            ctl=0, cuts=(0, 0, 0, 0), extra=b"", raw=None):
        """ep: index into 0, 1, 2, 3, 77; page/pages/phys in 4 KiB, or
        raw=(virt_start, virt_end, phys_start) with ctl 0x20."""
        self.b += u8(0) + u8(ctl) + u8(typ) + u8(flags) + u8(dom) + u8(ep)
        if raw:
            self.b += u64(raw[0]) + u64(raw[1]) + u64(raw[2])
        else:
            self.b += u8(page) + u8(pages - 1) + u16(phys)
        self.b += bytes(cuts) + extra
        return self

    def bypass(self, v):
        self.b += u8(3) + u8(v)
        return self

    def reset(self, features=0x7F):
        self.b += u8(4) + u8(features)
        return self

    def fail(self, backend, at, count, err=0):
        self.b += u8(5) + u8(backend | (err << 1)) + u8(at) + u8(count)
        return self

    def batch(self, dom, base, stride, pages, count, flags=3, unmap=False):
        """count MAPs (UNMAPs) of pages * 4 KiB at base + i * stride."""
        self.b += u8(7) + u8(1 if unmap else 0) + u8(dom) + u8(base)
        self.b += u8(stride - 1) + u8(pages - 1) + u8(count - 1) + u8(flags)
        return self

    def translate(self, ep, addr, ln=1, write=False):
        self.b += u8(6) + u8(ep) + u8(1 | (2 if write else 0)) + u8(ln)
        self.b += u64(addr)
        return self


def viommu():
    t = "fuzz_viommu"
    v = Viommu().req(IOMMU_ATTACH, dom=1, ep=0)
    v.req(IOMMU_MAP, dom=1, page=1, pages=2, phys=5, flags=IOMMU_RD | IOMMU_WR)
    v.req(IOMMU_MAP, dom=1, page=8, phys=9, flags=IOMMU_RD)
    v.translate(0, 0x1800).translate(0, 0x8000, write=True)
    v.translate(0, 0xFEE00000).translate(4, 0)
    v.req(IOMMU_UNMAP, dom=1, page=2).req(IOMMU_UNMAP, dom=1, page=0, pages=3)
    v.req(IOMMU_PROBE, ep=3).req(IOMMU_PROBE, ep=0).req(IOMMU_PROBE, ep=4)
    v.req(IOMMU_DETACH, dom=1, ep=0)
    write(t, "basic", v.b)

    v = Viommu(max_maps=3).req(IOMMU_ATTACH, dom=2, ep=2)
    v.req(IOMMU_ATTACH, dom=2, ep=3)
    for i in range(5):
        v.req(IOMMU_MAP, dom=2, page=16 * i, pages=4, phys=100 + 4 * i,
              flags=IOMMU_WR)
    v.req(IOMMU_ATTACH, dom=3, ep=2).req(IOMMU_MAP, dom=3, page=0x40,
                                         flags=IOMMU_RD)
    v.req(IOMMU_UNMAP, dom=2, page=0, pages=16).req(IOMMU_DETACH, dom=2, ep=3)
    write(t, "vfio", v.b)

    v = Viommu(fail0=(2, 1)).req(IOMMU_ATTACH, dom=1, ep=2)
    v.req(IOMMU_ATTACH, dom=1, ep=3).req(IOMMU_MAP, dom=1, page=1, flags=3)
    v.fail(1, 0, 1).req(IOMMU_MAP, dom=1, page=2, flags=3)
    v.fail(0, 0, 1, err=2).req(IOMMU_UNMAP, dom=1, page=0, pages=16)
    v.fail(1, 1, 2, err=1).req(IOMMU_ATTACH, dom=4, ep=3)
    write(t, "backend-fails", v.b)

    v = Viommu(flags=0x03).req(IOMMU_ATTACH, dom=5, ep=2, flags=1)
    v.translate(2, 0x1234).bypass(0).translate(3, 0x1234).bypass(1)
    v.req(IOMMU_MAP, dom=5, page=1, flags=1).reset().translate(2, 0x10)
    write(t, "bypass", v.b)

    v = Viommu().req(IOMMU_ATTACH, dom=1, ep=1, ctl=0x10, cuts=(5, 9, 0, 0))
    v.req(IOMMU_ATTACH, dom=1, ep=1, ctl=0x02, extra=u8(3))
    v.req(IOMMU_ATTACH, dom=1, ep=1, ctl=0x01)
    v.req(IOMMU_MAP, dom=1, page=1, ctl=0x08, extra=u8(2))
    v.req(7, ctl=0x04, extra=u8(9)).req(IOMMU_MAP, dom=1, flags=0x80)
    v.req(IOMMU_PROBE, ep=3, ctl=0x08, extra=u8(100))
    v.req(IOMMU_MAP, dom=1, page=1, cuts=(3, 30, 1, 2), flags=3)
    write(t, "malformed", v.b)

    # Hundreds of mappings in one domain, then most taken away: the
    # B+tree grows three levels and shrinks back (devices/iommu/mapstore.c).
    v = Viommu(max_maps=255).req(IOMMU_ATTACH, dom=1, ep=2)
    v.req(IOMMU_ATTACH, dom=1, ep=0)
    for base in (0, 1, 2, 3):
        v.batch(1, base, 4, 1, 256, flags=base % 3 + 1)
    v.batch(1, 0, 1, 1, 256, unmap=True).batch(1, 7, 16, 4, 200, unmap=True)
    v.translate(0, 0x5000).req(IOMMU_DETACH, dom=1, ep=2)
    v.batch(1, 3, 8, 1, 256, unmap=True)
    write(t, "many-mappings", v.b)

    # Endpoint 3's own reserved region, 0x40000000-0x4000ffff: a domain
    # mapping it cannot take endpoint 3; with 3 attached, no MAP there.
    v = Viommu().req(IOMMU_ATTACH, dom=1, ep=0)
    v.req(IOMMU_MAP, dom=1, ctl=0x20, flags=3,
          raw=(0x40000000, 0x40000FFF, 0x1000))
    v.req(IOMMU_ATTACH, dom=1, ep=3).req(IOMMU_ATTACH, dom=2, ep=3)
    v.req(IOMMU_MAP, dom=2, ctl=0x20, flags=3,
          raw=(0x4000F000, 0x40010FFF, 0x1000))
    v.req(IOMMU_MAP, dom=2, ctl=0x20, flags=3,
          raw=(0xFEE00000, 0xFEE00FFF, 0x1000))
    v.translate(3, 0xFEE00000).translate(3, 0x40000000)
    write(t, "endpoint-reserved", v.b)

    v = Viommu(flags=0x3C, features=0x27).req(IOMMU_ATTACH, dom=9, ep=0)
    v.req(IOMMU_ATTACH, dom=8, ep=0).req(IOMMU_MAP, dom=8, page=0, flags=3)
    v.req(IOMMU_MAP, dom=8, page=0x10, pages=1, flags=IOMMU_MMIO | 1)
    v.req(IOMMU_MAP, dom=8, ctl=0x20, flags=1,
          raw=(0x10001, 0x10001, 7))
    v.req(IOMMU_MAP, dom=8, ctl=0x20, flags=1,
          raw=(0xFFFFF000, 0xFFFFFFFF, (1 << 64) - 0x1000))
    v.req(IOMMU_UNMAP, dom=8, ctl=0x20, raw=(0, (1 << 64) - 1, 0))
    write(t, "ranges", v.b)


# ---- fuzz_boot (fuzz_boot.c) ----
def boot_input(kernel, low=0, hi=0, gap=0, cmdline=16, initrd=None,
               rsdp=1):
    """low: the low region is 1 MiB + 64 KiB * (1 + low % 16)."""
    rd_kind = 0 if initrd is None else 1
    units = 0 if initrd is None else (initrd - 1) // 16
    return (u8(low) + u8(hi) + u16(gap) + u16(cmdline) + u8(rd_kind) +
            u16(units) + u8(rsdp) + kernel)


def elf(entry, segs, notes=b"", shdr_notes=False):
    """segs: (paddr, data, memsz); notes go in a PT_NOTE (or a
    SHT_NOTE section)."""
    phnum = len(segs) + (1 if notes and not shdr_notes else 0)
    off = 64 + 56 * phnum
    body, ph = b"", b""
    for paddr, data, memsz in segs:
        ph += u32(1) + u32(5) + u64(off + len(body)) + u64(paddr)
        ph += u64(paddr) + u64(len(data)) + u64(memsz) + u64(0x1000)
        body += data
    shoff = 0
    if notes and not shdr_notes:
        ph += u32(4) + u32(4) + u64(off + len(body)) + u64(0) + u64(0)
        ph += u64(len(notes)) + u64(len(notes)) + u64(4)
        body += notes
    elif notes:
        note_off = off + len(body)
        body += notes
        shoff = off + len(body)
        body += bytes(64)  # SHT_NULL
        body += u32(0) + u32(7) + u64(0) + u64(0) + u64(note_off)
        body += u64(len(notes)) + u32(0) + u32(0) + u64(4) + u64(0)
    eh = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    eh += u16(2) + u16(62) + u32(1) + u64(entry) + u64(64) + u64(shoff)
    eh += u32(0) + u16(64) + u16(56) + u16(phnum) + u16(64)
    eh += u16(2 if shoff else 0) + u16(0)
    return eh + ph + body


def pvh_note(entry, size=4):
    desc = u32(entry) if size == 4 else u64(entry)
    return u32(4) + u32(size) + u32(18) + b"Xen\0" + desc


def bzimage(pm, setup_sects=1, version=0x020F, relocatable=1,
            align=0x100000, pref=0x100000, init_size=0x10000,
            xloadflags=1, cmdline_size=2047, initrd_max=0x7FFFFFFF):
    pm_off = ((setup_sects or 4) + 1) * 512
    b = bytearray(pm_off)
    b[0x1F1] = setup_sects
    b[0x1FE:0x200] = u16(0xAA55)
    b[0x200:0x202] = bytes([0xEB, 0x6A])  # the header ends at 0x26c
    b[0x202:0x206] = b"HdrS"
    b[0x206:0x208] = u16(version)
    b[0x22C:0x230] = u32(initrd_max)
    b[0x230:0x234] = u32(align)
    b[0x234] = relocatable
    b[0x236:0x238] = u16(xloadflags)
    b[0x238:0x23C] = u32(cmdline_size)
    b[0x258:0x260] = u64(pref)
    b[0x260:0x264] = u32(init_size)
    return bytes(b) + pm


def boot():
    t = "fuzz_boot"
    code = bytes(range(64))
    write(t, "vmlinux", boot_input(
        elf(0x100000, [(0x100000, code, 0x2000), (0x103000, code, 64)]),
        initrd=4096))
    write(t, "pvh", boot_input(
        elf(0x100020, [(0x100000, code, 0x1000)], pvh_note(0x100010)),
        initrd=100, cmdline=2047))
    write(t, "pvh-section-note", boot_input(
        elf(0x100000, [(0x100000, code, 0x1000)],
            pvh_note(0x100010, 8), shdr_notes=True)))
    # A PVH kernel in the second region, above 4 GiB: 2 MiB + 64 * 64 MiB.
    write(t, "pvh-high", boot_input(
        elf(0x100000, [(0x100000, code, 64),
                       (0x100200000, code, 0x1000)],
            pvh_note(0x100008)), low=15, hi=3, gap=64))
    write(t, "bzimage", boot_input(bzimage(bytes(0x400) + code), low=15,
                                   initrd=0x10000, cmdline=300))
    write(t, "bzimage-fixed", boot_input(
        bzimage(bytes(0x300), relocatable=0, pref=0x180000,
                init_size=0x8000), low=15))
    write(t, "cmdline-too-long", boot_input(
        bzimage(bytes(0x300), cmdline_size=10), cmdline=11))


# ---- fuzz_vsock (fuzz_vsock.c) ----
V_REQUEST, V_RESPONSE, V_RST, V_SHUTDOWN, V_RW, V_CREDIT_UPDATE, \
    V_CREDIT_REQUEST = range(1, 8)


class Vs:
    """fuzz_vsock's input: table size, guest CID (3 + u32), operations."""

    def __init__(self, size=4, cid=0):
        self.b = u8(size - 1) + u32(cid)

    def pkt(self, op, src=0, dst=0, data=b"", flags=0, buf_alloc=0x40000,
            fwd_cnt=0, sel=0x08, who=0, src_cid=5, dst_cid=9, typ=3,
            cut=1, length=None):
        """A guest packet on flow (guest port src, host port dst), or on
        entry (who)'s flow without sel 0x08; sel's other bits take the
        raw CIDs, type, a chain (cut) bytes short and a u32 len. A
        (length) past (data) is read as zeros: only at the input's end."""
        self.b += u8(0) + u8(sel) + u8(who)
        if sel & 0x01:
            self.b += u64(src_cid)
        if sel & 0x02:
            self.b += u64(dst_cid)
        if sel & 0x08:
            self.b += u32(src) + u32(dst)
        if sel & 0x04:
            self.b += u16(typ)
        ln = len(data) if length is None else length
        self.b += u8(op) + (u32(ln) if sel & 0x20 else u16(ln))
        self.b += u8(flags) + u32(buf_alloc)
        self.b += u32(fwd_cnt)
        if sel & 0x10:
            self.b += u8(cut)
        self.b += data[:len(data) - cut] if sel & 0x10 else data
        return self

    def accept(self):
        self.b += u8(1)
        return self

    def host(self, who, data):
        self.b += u8(2) + u8(who) + u16(len(data)) + data
        return self

    def sent(self, who, n):
        self.b += u8(3) + u8(who) + u32(n)
        return self

    def event(self, who, bits):
        self.b += u8(4) + u8(bits) + u8(who)
        return self

    def tick(self, ms):
        self.b += u8(5) + u32(ms)
        return self

    def release(self):
        self.b += u8(6)
        return self

    def emit(self, count=1, room=4096):
        self.b += u8(7) + u8(count - 1) + u16(room - 1)
        return self


def vsock():
    t = "fuzz_vsock"
    # The guest connects to host port 1234, the host accepts, data both
    # ways, the guest shuts down both ways, our RST.
    write(t, "guest-flow", Vs()
          .pkt(V_REQUEST, 1000, 1234).event(0, 0x02).emit()
          .pkt(V_RW, 1000, 1234, b"hello").sent(0, 5)
          .host(0, b"world").emit(2)
          .pkt(V_SHUTDOWN, 1000, 1234, flags=3).emit().release().b)
    # The host connects and asks for guest port 52; the guest answers;
    # the host closes after its data, the guest sends RST.
    write(t, "host-flow", Vs()
          .accept().host(0, b"CONNECT 52\nfirst").emit()
          .pkt(V_RESPONSE, 52, 1 << 30).emit(2)
          .event(0, 0x00).emit(2).pkt(V_RST, 52, 1 << 30).release().b)
    # Data waits, the guest gives no credit: CREDIT_REQUEST, then credit.
    write(t, "no-credit", Vs()
          .pkt(V_REQUEST, 7, 8, buf_alloc=0).event(0, 0x02).emit()
          .host(0, b"x" * 300).emit()
          .pkt(V_CREDIT_UPDATE, 7, 8, buf_alloc=100).emit(4, 64).b)
    # A guest that sends past our credit, then times out a REQUEST.
    write(t, "timeout", Vs(size=2)
          .pkt(V_REQUEST, 9, 9).event(0, 0x02).emit()
          .accept().host(1, b"connect\t77 \r\n").emit().tick(5000)
          .emit(2).release().b)
    write(t, "over-credit", Vs(size=2)
          .pkt(V_REQUEST, 9, 9).event(0, 0x02).emit()
          .pkt(V_RW, 9, 9, bytes(100)).emit()
          .pkt(V_RW, 9, 9, length=0xffff).b)
    write(t, "too-long", Vs(size=2)
          .pkt(V_REQUEST, 9, 9).event(0, 0x02)
          .pkt(V_RW, 9, 9, sel=0x28, length=0x10001).b)
    # Refused headers: wrong CID, unknown type, unknown op, short chain.
    write(t, "refused", Vs()
          .pkt(V_REQUEST, 1, 2).event(0, 0x02)
          .pkt(V_RW, 1, 2, b"abc", sel=0x09)
          .pkt(V_RW, 1, 2, b"abc", sel=0x0c)
          .pkt(9, 1, 2).pkt(V_RW, 1, 2, b"abcd", sel=0x18).emit(4).b)


# ---- fuzz_vfio_pci (fuzz_vfio_pci.c) ----
VP_MSIX_CAP = 0xA0  # the fake e1000e's
VP_BAR0, VP_BAR3 = 0xC0000000, 0xC0020000  # where assign_bars puts them


class Vp:
    """The ops of fuzz_vfio_pci's input."""

    def __init__(self, flags=0, slot=1, vectors=5, table_size=5, bar0=13,
                 bar3=10, layout=None, sparse=None, pokes=None, pin=1,
                 nointx=False, refuse=None):
        """pin: INTx's (0 none, 1-4 INTA-INTD, 5-7 past INTD); nointx:
        vfio-pci's nointx; refuse: the kernel refuses INTx at create,
        at its "trigger" or its "unmask"."""
        self.slot = 1 + slot % 31
        self.b = u8(flags) + u8(slot - 1) + u8((table_size - 1) << 4 | vectors)
        self.b += u8(bar0) + u8(bar3)
        intx = (pin ^ 1) & 7 | (0x08 if nointx else 0)
        intx |= {None: 0, "trigger": 0x10, "unmask": 0x30}[refuse]
        self.b += u8(intx)
        if flags & 0x02:
            tbir, toff, pbir, poff = layout
            self.b += u8(pbir << 4 | tbir) + u16(toff) + u16(poff)
        if flags & 0x10:
            for off, ln in sparse:
                self.b += u8(off) + u8(ln)
        if flags & 0x40:
            self.b += u8(len(pokes))
            for at, v in pokes:
                self.b += u8(at) + u8(v)

    def cf8(self, reg, ln, val=None):
        ctl = (1 if val is not None else 0) | {1: 0, 2: 2, 4: 4}[ln] << 0
        self.b += u8(0) + u8(ctl) + u8(0) + u16(reg) + u32(0)
        self.b += u64(val or 0)
        return self

    def ecam(self, reg, ln, val=None):
        ctl = (1 if val is not None else 0) | {1: 0, 2: 2, 4: 4, 8: 6}[ln]
        self.b += u8(2) + u8(ctl) + u32(reg) + u64(val or 0)
        return self

    def mmio(self, bar, off, ln, val=None):
        ctl = (1 if val is not None else 0) | {1: 0, 2: 2, 4: 4, 8: 6}[ln]
        self.b += u8(3) + u8(ctl) + u8(bar) + u64(off) + u64(val or 0)
        return self

    def signal(self, v):
        self.b += u8(5) + u8(v)
        return self

    def intx(self, up, eoi=False):
        """The INTx line up or down, then maybe the guest's EOI."""
        self.b += u8(5) + u8(0x80 | (0x40 if up else 0) | (0x20 if eoi else 0))
        return self

    def fail(self, kind, nth=1, err=0):
        self.b += u8(6) + u8(err << 4 | kind) + u8(nth - 1)
        return self

    def fail_map(self, nth=1):
        self.b += u8(7) + u8(nth - 1)
        return self

    def probe(self, bars=((0, VP_BAR0), (3, VP_BAR3)), ecam=False):
        """Linux's pci_read_bases(), then pci_enable_device() with bus
        master, the capability walk, and MSI-X: enabled masked, every
        vector programmed and unmasked, then the function unmasked."""
        acc = self.ecam if ecam else self.cf8
        for b in range(6):
            acc(0x10 + 4 * b, 4)
            acc(0x10 + 4 * b, 4, 0xFFFFFFFF)
            acc(0x10 + 4 * b, 4)
            acc(0x10 + 4 * b, 4, dict(bars).get(b, 0))
        acc(0x04, 2, 0x0006)
        acc(0x06, 2)
        for reg in (0x34, 0xC8, 0xC9, 0xE0, 0xE1, 0xA0, 0xA1, 0xA4, 0xA8):
            acc(reg, 1)
        return self

    def msix_on(self, bar=3, base=0, n=5):
        self.cf8(VP_MSIX_CAP + 2, 2, 0xC000)
        for v in range(n):
            at = base + 16 * v
            self.mmio(bar, at, 4, 0xFEE00000 + (v << 12))
            self.mmio(bar, at + 4, 4, 0)
            self.mmio(bar, at + 8, 4, 0x4040 + v)
            self.mmio(bar, at + 12, 4, 0)
        return self.cf8(VP_MSIX_CAP + 2, 2, 0x8000)


def vfio_pci():
    t = "fuzz_vfio_pci"
    # Linux's probe of the e1000e, its interrupts, one masked while its
    # event comes (delivered at unmask), the PBA, MSI-X off.
    v = Vp().probe().msix_on()
    for i in range(5):
        v.signal(i)
    v.mmio(3, 16 + 12, 4, 1).signal(1).mmio(3, 16 + 12, 4, 0)
    v.mmio(3, 0x2000, 8).mmio(3, 0x10, 8, 0x4141_FEE01000)
    v.mmio(0, 0x100, 4, 0x12345678).mmio(0, 0x100, 4)
    write(t, "linux-probe", v.cf8(VP_MSIX_CAP + 2, 2, 0).cf8(0x04, 2, 0).b)
    write(t, "ecam-probe", Vp().probe(ecam=True).msix_on().signal(2).b)
    # BAR0 64-bit prefetchable: the 64-bit window.
    write(t, "bar0-64", Vp(flags=0x0C).probe(
        bars=((0, 0), (3, VP_BAR0))).cf8(0x14, 4, 0x10).cf8(0x10, 4, 0)
        .cf8(0x04, 2, 6).mmio(0, 0x40, 8, 7).msix_on().b)
    # The table and PBA in BAR0, which then has three slots.
    write(t, "table-in-bar0", Vp(flags=0x02, layout=(0, 0x1000, 0, 0x3000))
          .probe().msix_on(bar=0, base=0x1000).signal(0).b)
    # Sparse areas, one off a page (BAR0 then trapped whole).
    write(t, "sparse", Vp(flags=0x10, sparse=((0, 8), (0x10, 8)))
          .probe().mmio(0, 0x9000, 4, 1).b)
    write(t, "sparse-unaligned", Vp(flags=0x10, sparse=((0x81, 2), (4, 1)))
          .probe().mmio(0, 0x1800, 2).b)
    # Two BARs over each other, then apart; sizing with decode on.
    write(t, "overlap", Vp().probe().cf8(0x1C, 4, VP_BAR0)
          .cf8(0x1C, 4, VP_BAR3).cf8(0x10, 4, 0xFFFFFFFF)
          .cf8(0x10, 4, VP_BAR0 + 0x800).cf8(0x10, 4, VP_BAR0).b)
    # The kernel failing: SET_IRQS at enable (retried), config writes,
    # KVM refusing a slot.
    write(t, "failures", Vp().fail(2).fail_map(2).probe().msix_on()
          .fail(1, 2).cf8(0x04, 2, 0).cf8(0x04, 2, 6).fail(0)
          .mmio(0, 8, 4).fail(4, 3).mmio(3, 0x800, 4, 5).b)
    # Small BARs (trapped, movable off a page), small windows.
    write(t, "small-bars", Vp(flags=0x80, bar0=4, bar3=8).probe(
        bars=((0, VP_BAR0 + 0x10), (3, VP_BAR0 + 0x1000))).msix_on().b)
    # Hardware lists: only MSI; a loop; MSI-X twice; no MSI.
    write(t, "msi-only", Vp(flags=0x40, pokes=((0x34, 0xD0), (0xD1, 0)))
          .probe().b)
    write(t, "loop", Vp(flags=0x40, pokes=((0xA1, 0xC8),)).probe().b)
    write(t, "no-msi", Vp(flags=0x01, vectors=8, table_size=8).probe()
          .msix_on(n=8).signal(7).b)
    # Junk in CONFIG_ADDRESS, odd ports and lengths, ECAM off the slot.
    v = Vp().probe()
    v.b += u8(0) + u8(0x09) + u8(0) + u16(0) + u32(0x80FF0004) + u64(6)
    v.b += u8(0) + u8(0x30) + u8(6) + u16(0) + u32(0) + u64(0)
    v.b += u8(0) + u8(0x25) + u8(1) + u16(0) + u32(0) + u64(0xFFFF)
    v.b += u8(2) + u8(0x1D) + u32(0x10003) + u64(0)
    v.b += u8(2) + u8(0x0C) + u32(0xFFFFF) + u64(0)
    write(t, "junk", v.b)
    # INTx: asserted, EOI while still asserted (signalled again), then
    # deasserted and EOI'd; off under MSI-X and back after, the line
    # still up; the SET_IRQS of either failing on the way.
    write(t, "intx", Vp().probe().intx(True).intx(True, eoi=True)
          .intx(False, eoi=True).intx(True).msix_on().intx(True, eoi=True)
          .fail(2, 2).cf8(VP_MSIX_CAP + 2, 2, 0).intx(True, eoi=True)
          .cf8(VP_MSIX_CAP + 2, 2, 0).fail(2).cf8(VP_MSIX_CAP + 2, 2, 0x8000)
          .cf8(VP_MSIX_CAP + 2, 2, 0x8000).cf8(VP_MSIX_CAP + 2, 2, 0)
          .intx(False, eoi=True).b)
    # INTB; a pin past INTD; no INTx (nointx); INTx refused at create.
    write(t, "intb", Vp(pin=2).probe().cf8(0x3C, 4, 0xFFFFFFFF).cf8(0x3C, 4)
          .intx(True).msix_on().b)
    write(t, "pin-past-intd", Vp(pin=7).probe().msix_on().intx(True).b)
    write(t, "nointx", Vp(nointx=True, vectors=0).probe().intx(True).b)
    write(t, "intx-refused", Vp(refuse="trigger").probe().msix_on()
          .cf8(VP_MSIX_CAP + 2, 2, 0).intx(True, eoi=True).b)
    write(t, "intx-unmask-refused", Vp(refuse="unmask").probe().intx(True)
          .msix_on().b)


TARGETS = {
    "fuzz_virtq": virtq,
    "fuzz_mmio": mmio,
    "fuzz_blk_req": blk_req,
    "fuzz_net_hdr": net_hdr,
    "fuzz_viommu": viommu,
    "fuzz_boot": boot,
    "fuzz_vsock": vsock,
    "fuzz_vfio_pci": vfio_pci,
}

if __name__ == "__main__":
    for name in sys.argv[1:] or TARGETS:
        TARGETS[name]()

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Pack a busybox initramfs: a gzip'd "newc" cpio archive (the format the
Linux kernel unpacks, Documentation/driver-api/early-userspace) holding
/bin/busybox, the /init script and the directories /init mounts on.

    mkinitramfs.py BUSYBOX INIT OUT.gz

Written here rather than with cpio(1) so that the build needs nothing but
Python. Exit status 77 (meson's SKIP) with a message when BUSYBOX is
missing, i.e. Debian's busybox-static:arm64 could not be fetched.
"""
import gzip
import os
import sys


def entry(ino, name, mode, data=b''):
    name_b = name.encode() + b'\0'
    hdr = ('070701' + '%08x' * 13) % (
        ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_b), 0)
    out = hdr.encode() + name_b
    out += b'\0' * (-len(out) % 4)
    out += data
    out += b'\0' * (-len(out) % 4)
    return out


def main():
    busybox, init, out = sys.argv[1:4]
    if not os.path.isfile(busybox):
        print('mkinitramfs: %s missing: run ./scripts/bootstrap.sh to fetch '
              "Debian's busybox-static:arm64" % busybox)
        return 77
    files = [('bin', 0o040755, b''), ('dev', 0o040755, b''),
             ('proc', 0o040755, b''), ('sys', 0o040755, b''),
             ('tmp', 0o041777, b''), ('sbin', 0o040755, b''),
             ('bin/busybox', 0o100755, open(busybox, 'rb').read()),
             ('init', 0o100755, open(init, 'rb').read())]
    blob = b''.join(entry(i + 1, n, m, d) for i, (n, m, d) in enumerate(files))
    blob += entry(0, 'TRAILER!!!', 0)
    with open(out, 'wb') as f:
        # mtime 0: the same inputs give the same archive
        f.write(gzip.compress(blob, compresslevel=6, mtime=0))
    return 0


if __name__ == '__main__':
    sys.exit(main())

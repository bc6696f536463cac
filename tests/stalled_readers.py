#!/usr/bin/env python3
"""Opens N connections to a log on 127.0.0.1, asks each for a statement bundle, and never reads.

Usage: python3 tests/stalled_readers.py PORT N SECONDS

For the memory figures in BENCHMARKS.md: watch the log's VmRSS (/proc/<pid>/status) while this
holds the connections for SECONDS. Raise the open-file limit first (ulimit -n 8192) for N over
about 1,000. Bundles 000 to 069 must exist (a log of at least 17,920 entries).
"""
import socket
import sys
import time

port, n, hold = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
conns = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    # A small receive buffer, so the kernel takes little of the bundle off the log's hands.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(f"GET /statements/{i % 70:03d} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    conns.append(s)
time.sleep(hold)

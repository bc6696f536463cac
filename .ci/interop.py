#!/usr/bin/env python3
"""Interoperability check: ashlog's receipts and statements verified by an
independent implementation installed from PyPI (scitt-cose, a generic
RFC 9942 / RFC 9162 receipt verifier), plus negative cases that it must
reject.

Usage: interop.py <demo dir>   (the directory `ashlog-demo --dir` wrote)

For every Transparent Statement of the demo it extracts the statement (with
its unprotected header emptied: the registered form) and the receipt, derives
the log's P-256 key from the 0x05 log line of the policy and the agency's key
from the leaf certificate of the x5chain, and runs scitt-cose. Exit status 0
only if every positive check passes and every negative check fails.
"""
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import serialization


def load_ts(path):
    with open(path, "rb") as f:
        raw = f.read()
    tag = cbor2.loads(raw)
    assert isinstance(tag, cbor2.CBORTag) and tag.tag == 18, "not a tagged COSE_Sign1"
    protected, unprotected, payload, signature = tag.value
    receipts = unprotected[394]
    registered = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, signature]))
    return protected, registered, receipts[0]


def log_key_pem(policy_path):
    with open(policy_path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0] == "log":
                material = base64.b64decode(parts[1].split("+", 2)[2])
                if material[0] == 0x05:
                    key = serialization.load_der_public_key(material[1:])
                    return key.public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    raise SystemExit("no 0x05 log key in the policy")


def agency_key_pem(protected):
    hdr = cbor2.loads(protected)
    chain = hdr[33]
    leaf = chain[0] if isinstance(chain, list) else chain
    cert = x509.load_der_x509_certificate(leaf)
    return cert.public_key().public_bytes(serialization.Encoding.PEM,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)


def run(tmp, statement, statement_key, receipt, log_key, leaf_hex):
    paths = {}
    for name, data in [("s.cose", statement), ("s.pem", statement_key),
                       ("r.cose", receipt), ("log.pem", log_key)]:
        p = os.path.join(tmp, name)
        with open(p, "wb") as f:
            f.write(data)
        paths[name] = p
    out = subprocess.run(["scitt-cose", "--statement", paths["s.cose"],
                          "--statement-pubkey", paths["s.pem"],
                          "--receipt", paths["r.cose"],
                          "--receipt-log-pubkey", paths["log.pem"],
                          "--leaf-entry-hex", leaf_hex, "--json"],
                         capture_output=True, text=True)
    try:
        result = json.loads(out.stdout)
    except json.JSONDecodeError:
        result = {"ok": False, "raw": out.stdout + out.stderr}
    return out.returncode, result


def main():
    demo = sys.argv[1]
    log_key = log_key_pem(os.path.join(demo, "policy.txt"))
    stmts = sorted(f for f in os.listdir(os.path.join(demo, "statements")) if f.endswith(".scitt"))
    assert stmts, "no statements"
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in stmts:
            protected, registered, receipt = load_ts(os.path.join(demo, "statements", name))
            entry = hashlib.sha256(registered).hexdigest()
            key = agency_key_pem(protected)
            code, res = run(tmp, registered, key, receipt, log_key, entry)
            rr = res.get("receipt") or {}
            # The root scitt-cose computed must be the root of the cosigned
            # checkpoint the receipt carries (label -65538), at its size.
            note = cbor2.loads(receipt).value[1][-65538]
            lines = note.split("\n")
            cp_size, cp_root = int(lines[1]), base64.b64decode(lines[2]).hex()
            ok = (code == 0 and rr.get("ok") is True
                  and (res.get("statement") or {}).get("signature_verified") is True
                  and rr.get("root") == cp_root and rr.get("tree_size") == cp_size)
            print(f"{'PASS' if ok else 'FAIL'} scitt-cose verifies {name} "
                  f"(entry 1.{rr.get('leaf_index')}, tree size {rr.get('tree_size')}, root = checkpoint root)"
                  + ("" if ok else f": {json.dumps(res)[:400]}"))
            failures += 0 if ok else 1
            # Negative cases: each must be rejected.
            r = cbor2.loads(receipt)
            proof = cbor2.loads(r.value[1][396][-1][0])
            bad_path = list(proof)
            bad_path[2] = [bytes([bad_path[2][0][0] ^ 1]) + bad_path[2][0][1:]] + list(bad_path[2][1:])
            tampered = cbor2.dumps(cbor2.CBORTag(18, [r.value[0], {396: {-1: [cbor2.dumps(bad_path)]}}, None, r.value[3]]))
            ph = cbor2.loads(r.value[0])
            ph[395] = 2
            wrong_vds = cbor2.dumps(cbor2.CBORTag(18, [cbor2.dumps(ph), r.value[1], None, r.value[3]]))
            for label, rec, leaf in [("flipped path byte", tampered, entry),
                                     ("vds changed to 2", wrong_vds, entry),
                                     ("wrong leaf", receipt, hashlib.sha256(b"other").hexdigest())]:
                code, res = run(tmp, registered, key, rec, log_key, leaf)
                rejected = code != 0 or (res.get("receipt") or {}).get("ok") is not True
                print(f"{'PASS' if rejected else 'FAIL'} scitt-cose rejects {name} with {label}")
                failures += 0 if rejected else 1
    if failures:
        raise SystemExit(f"{failures} interop check(s) failed")
    print(f"interop: all {len(stmts)} statements verified by scitt-cose; all negative cases rejected")


if __name__ == "__main__":
    main()

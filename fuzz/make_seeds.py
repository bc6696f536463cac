#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/<target>/ from real goldens.

Usage: fuzz/make_seeds.py DEMO_DIR FETCHED_DIR

DEMO_DIR is what `ashlog-demo --exit --dir DEMO_DIR` wrote (the
statements, policy and roots). FETCHED_DIR holds what its log served once
restarted with `ashlog-server serve --config DEMO_DIR/log/ashlog.toml`:

    checkpoint.note       GET /checkpoint
    receipt.<i>.cose      GET /entries/1.<i>
    tlogproof.<i>.txt     GET /entries/1.<i>/tlog-proof
    ts.<i>.cose           GET /entries/1.<i>/statement
    statements.000.p5     GET /statements/000.p/5
    entries.000.p5        GET /tile/entries/000.p/5
    tile0.p5              GET /tile/0/000.p/5

Other seeds come from the library's own test vectors (statement and receipt
hex in verifier/src, fixtures in verifier/fixtures, checkpoint vectors). The
fuzz targets' fixed keys and anchors (fuzz/data/: DEMO_DIR/roots.pem,
policy.txt, pki/wuxi-bigdata-{chain,key}.pem, and the fetched checkpoint
and level-0 tile) must come from the same demo run, or the deep seeds stop
verifying. Run `cargo fuzz cmin` after.
"""

import base64
import hashlib
import json
import os
import re
import struct
import sys
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


# A minimal CBOR reader: enough to take COSE_Sign1 apart.
def cbor_item(b, i):
    ib = b[i]
    major, info = ib >> 5, ib & 0x1F
    i += 1
    if info < 24:
        arg = info
    elif info <= 27:
        n = 1 << (info - 24)
        arg = int.from_bytes(b[i : i + n], "big")
        i += n
    else:
        raise ValueError("indefinite")
    if major in (0, 1, 7):
        return (major, arg), i
    if major in (2, 3):
        return (major, b[i : i + arg]), i + arg
    if major == 4:
        items = []
        for _ in range(arg):
            v, i = cbor_item(b, i)
            items.append(v)
        return (4, items), i
    if major == 5:
        items = []
        for _ in range(arg):
            k, i = cbor_item(b, i)
            v, i = cbor_item(b, i)
            items.append((k, v))
        return (5, items), i
    v, i = cbor_item(b, i)
    return (6, arg, v), i


def cose_parts(b):
    (_, tag, (_, arr)), _ = cbor_item(b, 0)
    assert tag == 18
    protected, unprotected, payload, sig = arr
    return protected[1], unprotected, payload[1], sig[1]


def cose_unprotected_value(unprotected, label):
    for (k, v) in unprotected[1]:
        key = k[1] if k[0] == 0 else -1 - k[1]
        if key == label:
            return v
    return None


def chain_ders(pem):
    return [
        base64.b64decode("".join(m.split()))
        for m in re.findall(
            r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", pem, re.S
        )
    ]


def frames(parts):
    return b"".join(struct.pack(">H", len(p)) + p for p in parts)


def node(l, r):
    return hashlib.sha256(b"\x01" + l + r).digest()


def mth(leaves):
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node(mth(leaves[:k]), mth(leaves[k:]))


def subproof(m, leaves, complete):
    """RFC 6962 §2.1.2 SUBPROOF."""
    n = len(leaves)
    if m == n:
        return [] if complete else [mth(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return subproof(m, leaves[:k], complete) + [mth(leaves[k:])]
    return subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]


def main():
    demo, fetched = sys.argv[1], sys.argv[2]
    verifier = os.path.join(ROOT, "verifier")
    src = lambda f: open(os.path.join(verifier, "src", f)).read()

    statements = {}
    for f in sorted(os.listdir(os.path.join(demo, "statements"))):
        statements[f] = read(os.path.join(demo, "statements", f))
    for i in range(5):
        statements[f"ts.{i}.cose"] = read(os.path.join(fetched, f"ts.{i}.cose"))
    vec_stmt = bytes.fromhex(
        re.search(r'const VECTOR_STATEMENT: &str = "([0-9a-f]+)"', src("statement.rs"))[1]
    )
    rsrc = src("receipt.rs")
    vec_stmt2 = bytes.fromhex(re.search(r'const STATEMENT: &str = "([0-9a-f]+)"', rsrc)[1])
    vec_receipt = bytes.fromhex(re.search(r'const RECEIPT: &str = "([0-9a-f]+)"', rsrc)[1])
    receipts = {f"receipt.{i}.cose": read(os.path.join(fetched, f"receipt.{i}.cose")) for i in range(5)}
    receipts["vector-receipt.cose"] = vec_receipt

    # COSE statements, whole and as registered; receipts; payloads.
    payloads = {}
    for name, b in list(statements.items()) + [("vector.cose", vec_stmt), ("vector2.cose", vec_stmt2)]:
        put("parse_statement", name, b)
        put("parse_cbor", name, b)
        put("parse_transparent_statement", name, b)
        _, unprot, payload, _ = cose_parts(b)
        payloads[name] = payload
        r = cose_unprotected_value(unprot, 394)
        if r is not None:
            for j, (_, rb) in enumerate(r[1]):
                receipts[f"{name}.r{j}"] = rb
    for name, b in receipts.items():
        put("parse_receipt", name, b)
        put("parse_cbor", name, b)
    for name, p in payloads.items():
        put("parse_schema", name, p)
        put("parse_cbor", name + ".payload", p)
        # Kind byte (index into Kind::ALL), then the payload, for every kind.
        for k in range(5):
            put("parse_signed_payload", f"{name}.k{k}", bytes([k]) + p)

    # Authoring documents, TOML and the same as JSON.
    for f in sorted(os.listdir(os.path.join(verifier, "fixtures"))):
        text = read(os.path.join(verifier, "fixtures", f))
        put("parse_document", f, text)
        doc = tomllib.loads(text.decode())
        put("parse_document", f + ".json", json.dumps(doc, indent=1, default=str))

    # Notes and checkpoints.
    cp = read(os.path.join(fetched, "checkpoint.note"))
    csrc = src("checkpoint.rs")
    vec_notes = [
        n.replace("\\u{2014}", "\u2014").replace("\\n", "\n").encode()
        for n in re.findall(r'let note = "((?:[^"\\]|\\.)*)";', csrc)
    ]
    notes = {"demo-checkpoint.note": cp}
    for j, n in enumerate(vec_notes):
        notes[f"vector-{j}.note"] = n
    for name, n in notes.items():
        put("parse_note", name, n)
        put("parse_checkpoint", name, n)
        text = n.split(b"\n\n")[0] + b"\n"
        put("parse_checkpoint", name + ".body", text)
    put("parse_checkpoint", "extension.body", b"o\n8\n" + cp.split(b"\n")[2] + b"\next\n")

    # Verifier keys.
    keys = re.findall(r"^(?:log|witness \S+) (\S+)", read(os.path.join(demo, "policy.txt")).decode(), re.M)
    keys += re.findall(r'VerifierKey::parse\("([^"]+)"\)', csrc)
    for j, k in enumerate(keys):
        put("parse_vkey", f"vkey-{j}", k)

    # Policies, with and without a note.
    policy = read(os.path.join(demo, "policy.txt"))
    put("parse_policy", "demo-policy", policy)
    put("parse_policy", "demo-policy+checkpoint", policy + b"\x00" + cp)
    put("parse_policy", "quorum-none", b"log " + keys[0].encode() + b"\nquorum none\n\x00" + cp)

    # Tile paths and entry ids.
    for j, p in enumerate(
        [
            "tile/0/x001/x234/067",
            "tile/0/273.p/112",
            "/tile/1/001.p/17",
            "tile/2/000.p/1",
            "tile/0/999",
            "tile/entries/x001/000",
            "tile/entries/000.p/5",
            "statements/000.p/5",
            "/statements/x123/x456/789",
            "tile/63/x018/x446/x744/x073/x709/x551/615",
        ]
    ):
        put("parse_tile_path", f"path-{j}", p)
    for j, e in enumerate(["1.0", "1.4711", "1.18446744073709551615", "4294967295.1"]):
        put("parse_entry_id", f"id-{j}", e)

    # tlog-proofs.
    for i in range(5):
        put("parse_tlog_proof", f"tlogproof.{i}.txt", read(os.path.join(fetched, f"tlogproof.{i}.txt")))
    t1 = read(os.path.join(fetched, "tlogproof.1.txt"))
    put("parse_tlog_proof", "extra.txt", t1.replace(b"\nindex", b"\nextra aGVsbG8=\nindex", 1))

    # Certificate chains (validation time, then framed DER) and PEM.
    t = struct.pack(">q", 1_677_729_600)  # 2023-03-02T04:00:00Z, the demo's iat
    for f in ["wuxi-bigdata-chain.pem", "notary-chain.pem"]:
        pem = read(os.path.join(demo, "pki", f)).decode()
        ders = chain_ders(pem)
        put("parse_cert_chain", f, t + frames(ders))
        put("parse_cert_chain", f + ".leaf", t + frames(ders[:1]))
        put("parse_trust_anchors", f, pem)
    put("parse_cert_chain", "with-root", t + frames(chain_ders(read(os.path.join(demo, "pki", "wuxi-bigdata-chain.pem")).decode()) + chain_ders(read(os.path.join(demo, "roots.pem")).decode())))
    put("parse_trust_anchors", "roots.pem", read(os.path.join(demo, "roots.pem")))

    # Bundles: width (top bit: statements), then the bundle.
    put("parse_bundle", "statements.000.p5", struct.pack(">H", 0x8000 | 5) + read(os.path.join(fetched, "statements.000.p5")))
    put("parse_bundle", "entries.000.p5", struct.pack(">H", 5) + read(os.path.join(fetched, "entries.000.p5")))

    # add-checkpoint bodies: held-state byte (0 none, 1 size 1, 2 size 5).
    leaves = [read(os.path.join(fetched, "tile0.p5"))[32 * i : 32 * i + 32] for i in range(5)]
    assert base64.b64encode(mth(leaves)) == cp.split(b"\n")[2], "tile 0 does not match the checkpoint"
    proof = "".join(base64.b64encode(h).decode() + "\n" for h in subproof(1, leaves, True))
    put("parse_add_checkpoint", "old0-new5", b"\x00old 0\n\n" + cp)
    put("parse_add_checkpoint", "old1-new5", b"\x01old 1\n" + proof.encode() + b"\n" + cp)
    put("parse_add_checkpoint", "old5-new5", b"\x02old 5\n\n" + cp)
    put("parse_add_checkpoint", "stale", b"\x01old 0\n\n" + cp)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Independent implementation of hushlist's sealed mode, for the interop test.

This file was written from the text of FORMAT.md (sections 3, 4, 9, 10 and
11) and the public specifications only -- RFC 9497 (VOPRF, suite
ristretto255-SHA512), RFC 9496 (ristretto255), RFC 9380 (expand_message_xmd),
RFC 8032 (Ed25519, to check the vector's signature), the BLAKE3 specification
and SipHash -- without reading any of the repository's Rust source. Its point
is to show that FORMAT.md suffices and that two implementations agree; the
repository's interop test runs it against the Rust programs.

It is a TEST implementation, not for production: the arithmetic uses Python
integers and is not constant time, secrets stay in ordinary memory, the
service accepts any bearer token and keeps no quota.

Standard library only (Python 3.11). Subcommands:

  sealed_reader.py vectors DIR
      Recompute and check every value of vectors.json's `sealed` object, the
      RFC 9497 ristretto255-SHA512 test vectors (appendix A.1.1 and A.1.2),
      the RFC 9496 and BLAKE3 vectors the primitives rest on, decode
      `sealed-snapshot-vector.hushlist` by every rule of FORMAT.md section 4
      and look the vector numbers up in it. One line per check; exit 0 when
      all pass, 1 otherwise.

  sealed_reader.py client --snapshot FILE --url URL --token-file F [--next] NUMBER...
      Blind each E.164 NUMBER under the snapshot's current (or, with --next,
      next) sealed epoch, ask the evaluation service at URL (http://127.0.0.1
      only) per FORMAT.md section 11, verify the answer, finalize, derive keys
      and items and (current epoch only) look them up. The snapshot's
      signature is NOT verified: the caller has done that. Prints one JSON
      object per number: {"e164", "key", "item", "match"} ("match" omitted
      with --next). Exit 0 on success, 1 on a local error (arguments,
      snapshot, URL), 2 when the service does not answer 200 (status and
      error body on stderr), 3 when an answer is refused (failing step on
      stderr).

  sealed_reader.py serve --oprf-seed HEX --salt HEX [--salt HEX ...] [--port 0] [--max-batch N]
      An evaluation service for the epochs of the given salts, with
      (skS, pkS) = DeriveKeyPair(oprf seed, "hushlist/v3/epoch-key" || salt).
      Accepts any bearer token (the header is required). Prints exactly one
      line "listening on http://127.0.0.1:PORT" once bound, then serves
      POST /evaluate, GET /healthz and GET /metrics until killed.
"""

import argparse
import base64
import hashlib
import hmac
import http.client
import http.server
import json
import re
import secrets
import struct
import sys
import threading
import time
import urllib.parse
from pathlib import Path

# ---------------------------------------------------------------------------
# BLAKE3 (hash, keyed_hash, derive_key; 32-byte output; any input length)
# ---------------------------------------------------------------------------

_M32 = 0xFFFFFFFF
_B3_IV = (0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
          0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19)
_B3_PERM = (2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8)
_CHUNK_START, _CHUNK_END, _PARENT, _ROOT = 1, 2, 4, 8
_KEYED_HASH, _DERIVE_KEY_CONTEXT, _DERIVE_KEY_MATERIAL = 16, 32, 64


def _b3_compress(cv, block, counter, block_len, flags):
    m = list(struct.unpack("<16I", block + bytes(64 - len(block))))
    s = list(cv) + list(_B3_IV[:4]) + [counter & _M32, (counter >> 32) & _M32,
                                       block_len, flags]

    def g(a, b, c, d, x, y):
        s[a] = (s[a] + s[b] + x) & _M32
        t = s[d] ^ s[a]
        s[d] = ((t >> 16) | (t << 16)) & _M32
        s[c] = (s[c] + s[d]) & _M32
        t = s[b] ^ s[c]
        s[b] = ((t >> 12) | (t << 20)) & _M32
        s[a] = (s[a] + s[b] + y) & _M32
        t = s[d] ^ s[a]
        s[d] = ((t >> 8) | (t << 24)) & _M32
        s[c] = (s[c] + s[d]) & _M32
        t = s[b] ^ s[c]
        s[b] = ((t >> 7) | (t << 25)) & _M32

    for _ in range(7):
        g(0, 4, 8, 12, m[0], m[1])
        g(1, 5, 9, 13, m[2], m[3])
        g(2, 6, 10, 14, m[4], m[5])
        g(3, 7, 11, 15, m[6], m[7])
        g(0, 5, 10, 15, m[8], m[9])
        g(1, 6, 11, 12, m[10], m[11])
        g(2, 7, 8, 13, m[12], m[13])
        g(3, 4, 9, 14, m[14], m[15])
        m = [m[i] for i in _B3_PERM]
    return [s[i] ^ s[i + 8] for i in range(8)] + [s[i + 8] ^ cv[i] for i in range(8)]


def _b3_chunk(key, chunk, counter, flags):
    """The last block of a chunk, not yet compressed: (cv, block, counter, len, flags)."""
    blocks = [chunk[i:i + 64] for i in range(0, len(chunk), 64)] or [b""]
    cv = key
    for i, block in enumerate(blocks[:-1]):
        start = _CHUNK_START if i == 0 else 0
        cv = _b3_compress(cv, block, counter, 64, flags | start)[:8]
    start = _CHUNK_START if len(blocks) == 1 else 0
    return (cv, blocks[-1], counter, len(blocks[-1]), flags | start | _CHUNK_END)


def _b3_tree(key, data, counter, flags):
    chunks = max(1, -(-len(data) // 1024))
    if chunks == 1:
        return _b3_chunk(key, data, counter, flags)
    left = 1 << ((chunks - 1).bit_length() - 1)  # largest power of 2 < chunks
    lcv = _b3_compress(*_b3_tree(key, data[:left * 1024], counter, flags))[:8]
    rcv = _b3_compress(*_b3_tree(key, data[left * 1024:], counter + left, flags))[:8]
    return (key, struct.pack("<16I", *(lcv + rcv)), 0, 64, flags | _PARENT)


def _b3(key, data, flags):
    cv, block, _counter, block_len, node_flags = _b3_tree(key, data, 0, flags)
    out = _b3_compress(cv, block, 0, block_len, node_flags | _ROOT)
    return struct.pack("<8I", *out[:8])


def blake3(data):
    return _b3(_B3_IV, bytes(data), 0)


def blake3_keyed(key, data):
    assert len(key) == 32
    return _b3(struct.unpack("<8I", key), bytes(data), _KEYED_HASH)


def blake3_derive_key(context, material):
    ctx_key = _b3(_B3_IV, context.encode(), _DERIVE_KEY_CONTEXT)
    return _b3(struct.unpack("<8I", ctx_key), bytes(material), _DERIVE_KEY_MATERIAL)


# ---------------------------------------------------------------------------
# SipHash-1-3 and the filter's bit positions (FORMAT.md section 4)
# ---------------------------------------------------------------------------

_M64 = (1 << 64) - 1


def siphash13(key, msg):
    k0, k1 = struct.unpack("<QQ", key)
    v0 = k0 ^ 0x736F6D6570736575
    v1 = k1 ^ 0x646F72616E646F6D
    v2 = k0 ^ 0x6C7967656E657261
    v3 = k1 ^ 0x7465646279746573

    def rounds(n, v0, v1, v2, v3):
        for _ in range(n):
            v0 = (v0 + v1) & _M64
            v1 = ((v1 << 13) | (v1 >> 51)) & _M64
            v1 ^= v0
            v0 = ((v0 << 32) | (v0 >> 32)) & _M64
            v2 = (v2 + v3) & _M64
            v3 = ((v3 << 16) | (v3 >> 48)) & _M64
            v3 ^= v2
            v0 = (v0 + v3) & _M64
            v3 = ((v3 << 21) | (v3 >> 43)) & _M64
            v3 ^= v0
            v2 = (v2 + v1) & _M64
            v1 = ((v1 << 17) | (v1 >> 47)) & _M64
            v1 ^= v2
            v2 = ((v2 << 32) | (v2 >> 32)) & _M64
        return v0, v1, v2, v3

    full = len(msg) - len(msg) % 8
    for i in range(0, full, 8):
        (m,) = struct.unpack("<Q", msg[i:i + 8])
        v3 ^= m
        v0, v1, v2, v3 = rounds(1, v0, v1, v2, v3)
        v0 ^= m
    b = ((len(msg) & 0xFF) << 56) | int.from_bytes(msg[full:], "little")
    v3 ^= b
    v0, v1, v2, v3 = rounds(1, v0, v1, v2, v3)
    v0 ^= b
    v2 ^= 0xFF
    v0, v1, v2, v3 = rounds(3, v0, v1, v2, v3)
    return v0 ^ v1 ^ v2 ^ v3


def filter_positions(seed, item, k, m):
    msg = struct.pack("<Q", item)
    h0 = siphash13(seed[:16], msg)
    h1 = siphash13(seed[16:32], msg)
    out = []
    for i in range(k):
        if i == 0:
            g = h0
        elif i == 1:
            g = h1
        else:
            g = ((h0 + i * h1) & _M64) % 0xFFFFFFFFFFFFFFC5
        out.append(g % m)
    return out


# ---------------------------------------------------------------------------
# Curve25519 field, Edwards points, ristretto255 (RFC 9496 section 4)
# ---------------------------------------------------------------------------

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493  # group order
D = 37095705934669439343138083508754565189542113879843219016388785533085940283555
D2 = 2 * D % P
SQRT_M1 = 19681161376707505956807079304988542015446066515923890162744021073123829784752
SQRT_AD_MINUS_ONE = 25063068953384623474111414158702152701244531502492656460079210482610430750235
INVSQRT_A_MINUS_D = 54469307008909316920995813868745141605393597292927456921205312896311721017578
ONE_MINUS_D_SQ = 1159843021668779879193775521855586647937357759715417654439879720876111806838
D_MINUS_ONE_SQ = 40440834346308536858101042469323190826248399146238708352240133220865137265952

IDENTITY = (0, 1, 1, 0)  # extended coordinates (X, Y, Z, T)


def _ct_abs(x):
    x %= P
    return P - x if x & 1 else x


def sqrt_ratio_m1(u, v):
    u %= P
    v %= P
    v3 = v * v % P * v % P
    v7 = v3 * v3 % P * v % P
    r = u * v3 % P * pow(u * v7 % P, (P - 5) // 8, P) % P
    check = v * r % P * r % P
    correct = check == u
    flipped = check == (-u) % P
    flipped_i = check == (-u * SQRT_M1) % P
    if flipped or flipped_i:
        r = r * SQRT_M1 % P
    return (correct or flipped), _ct_abs(r)


def pt_add(p, q):
    x1, y1, z1, t1 = p
    x2, y2, z2, t2 = q
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = t1 * D2 % P * t2 % P
    d = z1 * 2 * z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def pt_double(p):
    x, y, z, _ = p
    a = x * x % P
    b = y * y % P
    c = 2 * z * z % P
    h = a + b
    e = h - (x + y) * (x + y)
    g = a - b
    f = c + g
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def pt_neg(p):
    x, y, z, t = p
    return ((-x) % P, y, z, (-t) % P)


def _table(p):
    table = [IDENTITY, p]
    for _ in range(14):
        table.append(pt_add(table[-1], p))
    return table


def msm(scalars, points):
    """sum(k_i * P_i): Straus' method with 4-bit windows (variable time)."""
    scalars = [k % L for k in scalars]
    tables = [_table(p) for p in points]
    acc = IDENTITY
    top = max((k.bit_length() for k in scalars), default=0)
    for i in range((top + 3) // 4 - 1, -1, -1):
        if acc is not IDENTITY:
            acc = pt_double(pt_double(pt_double(pt_double(acc))))
        for k, table in zip(scalars, tables):
            nibble = (k >> (4 * i)) & 15
            if nibble:
                acc = pt_add(acc, table[nibble])
    return acc


def scalar_mult(k, p):
    return msm([k], [p])


def is_identity(p):
    # RFC 9496 Equals against (0, 1, 1, 0): x1 == 0 or y1 == 0.
    return p[0] % P == 0 or p[1] % P == 0


def r255_decode(b):
    """RFC 9496 4.3.1 Decode: the element, or None if b is not a canonical encoding."""
    if len(b) != 32:
        return None
    s = int.from_bytes(b, "little")
    if s >= P or s & 1:
        return None
    ss = s * s % P
    u1 = (1 - ss) % P
    u2 = (1 + ss) % P
    u2_sqr = u2 * u2 % P
    v = (-(D * u1 % P * u1) - u2_sqr) % P
    was_square, invsqrt = sqrt_ratio_m1(1, v * u2_sqr)
    den_x = invsqrt * u2 % P
    den_y = invsqrt * den_x % P * v % P
    x = _ct_abs(2 * s * den_x)
    y = u1 * den_y % P
    t = x * y % P
    if not was_square or t & 1 or y == 0:
        return None
    return (x, y, 1, t)


def r255_encode(p):
    """RFC 9496 4.3.2 Encode."""
    x0, y0, z0, t0 = p
    u1 = (z0 + y0) * (z0 - y0) % P
    u2 = x0 * y0 % P
    _, invsqrt = sqrt_ratio_m1(1, u1 * u2 % P * u2)
    den1 = invsqrt * u1 % P
    den2 = invsqrt * u2 % P
    z_inv = den1 * den2 % P * t0 % P
    if (t0 * z_inv % P) & 1:  # rotate
        x, y = y0 * SQRT_M1 % P, x0 * SQRT_M1 % P
        den_inv = den1 * INVSQRT_A_MINUS_D % P
    else:
        x, y, den_inv = x0, y0, den2
    if (x * z_inv % P) & 1:
        y = (-y) % P
    s = _ct_abs(den_inv * (z0 - y))
    return s.to_bytes(32, "little")


def _r255_map(b):
    t = (int.from_bytes(b, "little") & ((1 << 255) - 1)) % P
    r = SQRT_M1 * t % P * t % P
    u = (r + 1) * ONE_MINUS_D_SQ % P
    v = (-1 - r * D) * (r + D) % P
    was_square, s = sqrt_ratio_m1(u, v)
    if was_square:
        c = P - 1
    else:
        s = (-_ct_abs(s * t)) % P
        c = r
    n = (c * (r - 1) % P * D_MINUS_ONE_SQ - v) % P
    w0 = 2 * s * v % P
    w1 = n * SQRT_AD_MINUS_ONE % P
    w2 = (1 - s * s) % P
    w3 = (1 + s * s) % P
    return (w0 * w3 % P, w2 * w1 % P, w1 * w3 % P, w0 * w2 % P)


def r255_from_uniform(b):
    """RFC 9496 4.3.4 element derivation from 64 bytes."""
    assert len(b) == 64
    return pt_add(_r255_map(b[:32]), _r255_map(b[32:]))


GENERATOR_ENC = bytes.fromhex("e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76")
GENERATOR = r255_decode(GENERATOR_ENC)


def deserialize_element(b):
    """RFC 9497 DeserializeElement: canonical and not the identity, else None."""
    p = r255_decode(b)
    if p is None or is_identity(p):
        return None
    return p


def deserialize_scalar(b):
    if len(b) != 32:
        return None
    k = int.from_bytes(b, "little")
    return k if k < L else None


def serialize_scalar(k):
    return (k % L).to_bytes(32, "little")


# ---------------------------------------------------------------------------
# RFC 9380 expand_message_xmd (SHA-512) and RFC 9497 (ristretto255-SHA512)
# ---------------------------------------------------------------------------

def expand_message_xmd(msg, dst, length):
    if len(dst) > 255:
        dst = hashlib.sha512(b"H2C-OVERSIZE-DST-" + dst).digest()
    ell = -(-length // 64)
    if ell > 255 or length > 65535:
        raise ValueError("expand_message_xmd: length too large")
    dst_prime = dst + bytes([len(dst)])
    b0 = hashlib.sha512(bytes(128) + msg + length.to_bytes(2, "big") + b"\x00" + dst_prime).digest()
    bi = hashlib.sha512(b0 + b"\x01" + dst_prime).digest()
    out = bi
    for i in range(2, ell + 1):
        bi = hashlib.sha512(bytes(x ^ y for x, y in zip(b0, bi)) + bytes([i]) + dst_prime).digest()
        out += bi
    return out[:length]


def i2osp2(n):
    return n.to_bytes(2, "big")


MODE_OPRF, MODE_VOPRF = 0x00, 0x01


class Oprf:
    """RFC 9497 with suite ristretto255-SHA512 in the given mode."""

    def __init__(self, mode):
        self.context = b"OPRFV1-" + bytes([mode]) + b"-ristretto255-SHA512"

    def hash_to_group(self, msg):
        return r255_from_uniform(expand_message_xmd(msg, b"HashToGroup-" + self.context, 64))

    def hash_to_scalar(self, msg, dst=None):
        dst = dst if dst is not None else b"HashToScalar-" + self.context
        return int.from_bytes(expand_message_xmd(msg, dst, 64), "little") % L

    def derive_key_pair(self, seed, info):
        derive_input = seed + i2osp2(len(info)) + info
        for counter in range(256):
            sk = self.hash_to_scalar(derive_input + bytes([counter]),
                                     b"DeriveKeyPair" + self.context)
            if sk != 0:
                return sk, r255_encode(scalar_mult(sk, GENERATOR))
        raise ValueError("DeriveKeyPairError")

    def blind(self, inp, blind=None):
        """(blind, blindedElement encoding); a fresh random blind unless given."""
        if blind is None:
            blind = 1 + secrets.randbelow(L - 1)
        element = self.hash_to_group(inp)
        if is_identity(element):
            raise ValueError("InvalidInputError")
        return blind, r255_encode(scalar_mult(blind, element))

    @staticmethod
    def _finalize_hash(inp, unblinded_enc):
        return hashlib.sha512(i2osp2(len(inp)) + inp + i2osp2(len(unblinded_enc))
                              + unblinded_enc + b"Finalize").digest()

    def finalize(self, inp, blind, evaluated_point):
        """RFC 9497 Finalize after VerifyProof: H(input, blind^-1 * evaluated)."""
        n = scalar_mult(pow(blind, -1, L), evaluated_point)
        return self._finalize_hash(inp, r255_encode(n))

    def evaluate(self, sk, inp):
        """RFC 9497 Evaluate: what a holder of skS computes without blinding."""
        element = self.hash_to_group(inp)
        if is_identity(element):
            raise ValueError("InvalidInputError")
        return self._finalize_hash(inp, r255_encode(scalar_mult(sk, element)))

    def _composites(self, b_enc, c_encs, d_encs, c_pts, d_pts, k=None):
        seed_dst = b"Seed-" + self.context
        seed = hashlib.sha512(i2osp2(len(b_enc)) + b_enc + i2osp2(len(seed_dst)) + seed_dst).digest()
        ds = []
        for i, (ci, di) in enumerate(zip(c_encs, d_encs)):
            transcript = (i2osp2(len(seed)) + seed + i2osp2(i) + i2osp2(len(ci)) + ci
                          + i2osp2(len(di)) + di + b"Composite")
            ds.append(self.hash_to_scalar(transcript))
        m = msm(ds, c_pts)
        z = scalar_mult(k, m) if k is not None else msm(ds, d_pts)
        return m, z

    def _challenge(self, b_enc, m, z, t2, t3):
        transcript = b""
        for part in (b_enc, r255_encode(m), r255_encode(z), r255_encode(t2), r255_encode(t3)):
            transcript += i2osp2(len(part)) + part
        return self.hash_to_scalar(transcript + b"Challenge")

    def generate_proof(self, k, a_pt, b_enc, c_encs, d_encs, c_pts, r=None):
        """RFC 9497 GenerateProof (with ComputeCompositesFast); returns c || s."""
        m, z = self._composites(b_enc, c_encs, d_encs, c_pts, None, k=k)
        if r is None:
            r = 1 + secrets.randbelow(L - 1)
        t2 = scalar_mult(r, a_pt)
        t3 = scalar_mult(r, m)
        c = self._challenge(b_enc, m, z, t2, t3)
        s = (r - c * k) % L
        return serialize_scalar(c) + serialize_scalar(s)

    def verify_proof(self, a_pt, b_enc, c_encs, d_encs, c_pts, d_pts, proof):
        """RFC 9497 VerifyProof (with ComputeComposites)."""
        if len(proof) != 64:
            return False
        c = deserialize_scalar(proof[:32])
        s = deserialize_scalar(proof[32:])
        if c is None or s is None:
            return False
        b_pt = deserialize_element(b_enc)
        if b_pt is None:
            return False
        m, z = self._composites(b_enc, c_encs, d_encs, c_pts, d_pts)
        t2 = msm([s, c], [a_pt, b_pt])
        t3 = msm([s, c], [m, z])
        return hmac.compare_digest(serialize_scalar(self._challenge(b_enc, m, z, t2, t3)),
                                   serialize_scalar(c))

    def blind_evaluate_batch(self, sk, pk_enc, blinded_encs, r=None):
        """Server side: evaluated encodings and one batched proof."""
        blinded_pts = []
        for enc in blinded_encs:
            p = deserialize_element(enc)
            if p is None:
                raise ValueError("DeserializeError")
            blinded_pts.append(p)
        evaluated = [r255_encode(scalar_mult(sk, p)) for p in blinded_pts]
        proof = self.generate_proof(sk, GENERATOR, pk_enc, blinded_encs, evaluated, blinded_pts, r=r)
        return evaluated, proof


VOPRF = Oprf(MODE_VOPRF)

# ---------------------------------------------------------------------------
# hushlist's sealed keys (FORMAT.md section 3)
# ---------------------------------------------------------------------------

NUMBER_KEY_DOMAIN = b"hushlist/v1/number-key\x00"
SEALED_KEY_DOMAIN = b"hushlist/v3/sealed-key\x00"
EPOCH_KEY_INFO = b"hushlist/v3/epoch-key"
OPRF_SEED_CONTEXT = "hushlist v3 oprf seed"
FILTER_SEED_CONTEXT = "hushlist v2 filter seed"
MAX_BATCH = 4096
MAX_BODY = 278528  # 4096 * 67 + 4096


def number_input(e164):
    return NUMBER_KEY_DOMAIN + e164.encode("ascii")


def epoch_key_pair(oprf_seed, salt):
    return VOPRF.derive_key_pair(oprf_seed, EPOCH_KEY_INFO + salt)


def sealed_key(salt, output):
    return blake3_keyed(salt, SEALED_KEY_DOMAIN + output)


def item_of(key):
    return struct.unpack("<Q", key[:8])[0]


# ---------------------------------------------------------------------------
# Snapshot file (FORMAT.md section 4)
# ---------------------------------------------------------------------------

class SnapshotError(Exception):
    pass


HEADER_LEN = 218
MAX_TIME = 253402300799
CONTACT_MAX = 1708
CONTACT_FIELDS = (("name", 200), ("contact", 200), ("confirm URL", 300), ("confirm text", 1000))
# Unicode White_Space
WHITE_SPACE = set("\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000") | {
    chr(c) for c in range(0x2000, 0x200B)}


def _is_control(ch):
    o = ord(ch)
    return o <= 0x1F or 0x7F <= o <= 0x9F


def _https_url_ok(text):
    if not text.startswith("https://") or len(text) <= len("https://"):
        return False
    return not any(ch in WHITE_SPACE or _is_control(ch) for ch in text)


def _check_kdf(data, off, version, which):
    kdf_id = data[off]
    m, t, p = struct.unpack_from("<III", data, off + 1)
    if kdf_id == 1:
        if m > 1048576 or not 1 <= t <= 64 or not 1 <= p <= 16 or m < 8 * p:
            raise SnapshotError(f"{which} KDF argon2id: parameters out of range (m={m}, t={t}, p={p})")
    elif kdf_id in (2, 3):
        if m or t or p:
            raise SnapshotError(f"{which} KDF {kdf_id}: m, t and p must be 0 (m={m}, t={t}, p={p})")
        if kdf_id == 3 and version == 2:
            raise SnapshotError("format version 2 with a sealed epoch")
    else:
        raise SnapshotError(f"{which} KDF: unknown KDF id {kdf_id}")
    return {"id": kdf_id, "m": m, "t": t, "p": p}


def decode_snapshot(data):
    """Decode and check a snapshot file by every rule of FORMAT.md section 4, in
    the order it gives. Returns a dict; raises SnapshotError naming the rule."""
    n = len(data)
    if n >= 8 and data[:8] != b"HUSHLIST":
        raise SnapshotError("bad magic")
    if n < 8:
        raise SnapshotError("truncated")
    if n >= 10:
        version = struct.unpack_from("<H", data, 8)[0]
        if version == 1:
            raise SnapshotError("format version 1 is no longer accepted; the publisher must rebuild it")
        if version not in (2, 3):
            raise SnapshotError(f"unknown format version {version}")
    if n < HEADER_LEN:
        raise SnapshotError("truncated")
    u16 = lambda o: struct.unpack_from("<H", data, o)[0]  # noqa: E731
    u32 = lambda o: struct.unpack_from("<I", data, o)[0]  # noqa: E731
    u64 = lambda o: struct.unpack_from("<Q", data, o)[0]  # noqa: E731
    i64 = lambda o: struct.unpack_from("<q", data, o)[0]  # noqa: E731
    s = {"version": version, "rules": []}
    rules = s["rules"]

    if u16(10) != 0:
        raise SnapshotError("flags must be 0")
    s["sequence"] = u64(12)
    if s["sequence"] < 1:
        raise SnapshotError("sequence must be at least 1")
    s["created"] = i64(20)
    if s["created"] < 0:
        raise SnapshotError("created is negative")
    s["expires"] = i64(28)
    if not s["created"] < s["expires"] <= MAX_TIME:
        raise SnapshotError("expires must be after created and at most 9999-12-31T23:59:59Z")
    s["previous"] = data[36:68]
    s["entries"] = u64(68)
    if s["entries"] > 2**40:
        raise SnapshotError("entries above 2^40")
    if u16(76) != 2:
        raise SnapshotError(f"unknown normalization scheme {u16(76)}")
    raw = data[78:94]
    text, _, pad = raw.partition(b"\x00")
    if not 1 <= len(text) <= 16 or any(c not in b"0123456789." for c in text) or any(pad):
        raise SnapshotError("bad metadata version field")
    s["metadata_version"] = text.decode("ascii")
    s["salt"] = data[107:139]
    (s["declared_rate"],) = struct.unpack_from("<d", data, 139)
    if not 1e-15 <= s["declared_rate"] <= 0.01:  # also refuses NaN
        raise SnapshotError("declared false-positive rate outside [1e-15, 0.01]")
    section_len = u64(147)
    s["epoch_start"] = i64(155)
    if not 0 <= s["epoch_start"] <= s["created"]:
        raise SnapshotError("epoch start must be between 0 and created")
    s["next_epoch_start"] = i64(163)
    if not s["created"] < s["next_epoch_start"] <= MAX_TIME:
        raise SnapshotError("next epoch start must be after created and at most 9999-12-31T23:59:59Z")
    rules.append("header fields 10..163 (flags, sequence, times, entries, scheme, metadata, rate, epochs)")
    s["kdf"] = _check_kdf(data, 94, version, "current")
    s["next_kdf"] = _check_kdf(data, 171, version, "next")
    rules.append(f"KDFs: current id {s['kdf']['id']}, next id {s['next_kdf']['id']}, parameters by section 3")
    if version == 3 and s["kdf"]["id"] != 3 and s["next_kdf"]["id"] != 3:
        raise SnapshotError("format version 3 with no sealed epoch")
    if version == 3:
        rules.append("version 3 has a sealed epoch")
    s["next_salt"] = data[184:216]
    if s["next_salt"] == s["salt"]:
        raise SnapshotError("next salt equals the salt")
    rules.append("next salt differs from the salt")
    c_len = u16(216)
    if c_len > CONTACT_MAX:
        raise SnapshotError(f"contact length {c_len} above {CONTACT_MAX}")
    if n < HEADER_LEN + c_len:
        raise SnapshotError("truncated: contact cut off")
    sealed_len = 0
    sb = HEADER_LEN + c_len
    if version == 3:
        if n < sb + 66:
            raise SnapshotError("sealed block: fixed fields cut off")
        url_len = u16(sb + 64)
        if url_len > 300:
            raise SnapshotError(f"sealed block: URL length {url_len} above 300")
        if n < sb + 66 + url_len:
            raise SnapshotError("sealed block: URL cut off")
        sealed_len = 66 + url_len
        rules.append(f"sealed block present: S = 66 + {url_len}")
    if section_len != n - HEADER_LEN - c_len - sealed_len:
        raise SnapshotError(f"filter section length {section_len} is not what follows "
                            f"({n - HEADER_LEN - c_len - sealed_len})")
    rules.append(f"section length L = {section_len} = file length - 218 - C - S")

    # contact
    contact = data[HEADER_LEN:HEADER_LEN + c_len]
    pos = 0
    s["contact"] = {}
    for name, limit in CONTACT_FIELDS:
        if pos + 2 > c_len:
            raise SnapshotError(f"contact: {name} cut off")
        flen = struct.unpack_from("<H", contact, pos)[0]
        pos += 2
        if flen > limit:
            raise SnapshotError(f"contact: {name} longer than {limit} bytes")
        if pos + flen > c_len:
            raise SnapshotError(f"contact: {name} cut off")
        try:
            value = contact[pos:pos + flen].decode("utf-8")
        except UnicodeDecodeError:
            raise SnapshotError(f"contact: {name} is not UTF-8") from None
        pos += flen
        if any(_is_control(ch) for ch in value):
            raise SnapshotError(f"contact: {name} holds a control character")
        if value and (value[0] in WHITE_SPACE or value[-1] in WHITE_SPACE):
            raise SnapshotError(f"contact: {name} begins or ends with white space")
        if name == "confirm URL" and value and not _https_url_ok(value):
            raise SnapshotError("contact: confirm URL is not https:// without white space")
        s["contact"][name] = value
    if pos != c_len:
        raise SnapshotError("contact: C is not 8 plus the four lengths")
    rules.append("contact: four fields, lengths, UTF-8, no control character, trimmed, confirm URL")

    # sealed block
    s["public_key"] = s["next_public_key"] = None
    s["evaluation_url"] = None
    if version == 3:
        block = data[sb:sb + sealed_len]
        for field, kdf, off in (("public_key", s["kdf"], 0), ("next_public_key", s["next_kdf"], 32)):
            key = block[off:off + 32]
            label = "current" if off == 0 else "next"
            if kdf["id"] == 3:
                if deserialize_element(key) is None:
                    raise SnapshotError(f"sealed block: {label} public key is not a valid "
                                        "non-identity ristretto255 element")
                s[field] = key
            elif key != bytes(32):
                raise SnapshotError(f"sealed block: {label} public key must be zeros (epoch not sealed)")
        url_len = u16(sb + 64)
        if url_len < 1:
            raise SnapshotError("sealed block: empty evaluation URL")
        try:
            url = block[66:66 + url_len].decode("utf-8")
        except UnicodeDecodeError:
            raise SnapshotError("sealed block: evaluation URL is not UTF-8") from None
        if not _https_url_ok(url):
            raise SnapshotError("sealed block: evaluation URL is not https:// without white space")
        s["evaluation_url"] = url
        s["sealed_block"] = block
        rules.append("sealed block: current key, next key, evaluation URL")

    # filter section
    fo = HEADER_LEN + c_len + sealed_len
    if section_len < 46:
        raise SnapshotError("filter section shorter than 46 bytes")
    if data[fo] != 1:
        raise SnapshotError(f"unknown filter layout version {data[fo]}")
    nbytes = u64(fo + 1)
    if nbytes != section_len - 45 or not 1 <= nbytes <= 2**30:
        raise SnapshotError("filter: B is not L - 45 in 1..2^30")
    k = u32(fo + 9)
    if not 1 <= k <= 64:
        raise SnapshotError("filter: k outside 1..64")
    seed = data[fo + 13:fo + 45]
    if seed[:16] == seed[16:]:
        raise SnapshotError("filter: seed halves are equal")
    s["filter"] = {"k": k, "m": 8 * nbytes, "seed": seed, "bits": data[fo + 45:fo + 45 + nbytes]}
    rules.append(f"filter section: layout 1, B = {nbytes}, k = {k}, seed halves differ")
    if seed != blake3_derive_key(FILTER_SEED_CONTEXT, s["salt"]):
        raise SnapshotError("filter seed is not derived from the salt")
    rules.append("seed rule: seed = BLAKE3-derive-key(\"hushlist v2 filter seed\", salt)")
    s["header"] = data[:HEADER_LEN]
    return s


def overfill_ok(s, num=1, den=10000):
    """Section 4 over-fill check and entry consistency, exact integers."""
    f = s["filter"]
    ones = int.from_bytes(f["bits"], "little").bit_count()
    k, m = f["k"], f["m"]
    fill = ones**k * den <= num * m**k
    consistent = s["entries"] * k <= 2 * ones and ones <= s["entries"] * k
    return fill, consistent, ones


def filter_contains(s, item):
    f = s["filter"]
    bits = f["bits"]
    for pos in filter_positions(f["seed"], item, f["k"], f["m"]):
        if not (bits[pos // 8] >> (pos % 8)) & 1:
            return False
    return True


# ---------------------------------------------------------------------------
# Ed25519 (RFC 8032) and minisign, only to check the vector's signature
# ---------------------------------------------------------------------------

def _ed_decode(b):
    y = int.from_bytes(b, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    if y >= P:
        return None
    ok, x = sqrt_ratio_m1(y * y - 1, D * y * y + 1)
    if not ok or (x == 0 and sign):
        return None
    if x & 1 != sign:
        x = P - x
    return (x, y, 1, x * y % P)


def _ed_encode(p):
    zi = pow(p[2], -1, P)
    x, y = p[0] * zi % P, p[1] * zi % P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


ED_BASE = _ed_decode(bytes.fromhex("5866666666666666666666666666666666666666666666666666666666666666"))


def ed25519_verify(pk, msg, sig):
    a = _ed_decode(pk)
    if a is None or len(sig) != 64:
        return False
    s = int.from_bytes(sig[32:], "little")
    if s >= L:
        return False
    h = int.from_bytes(hashlib.sha512(sig[:32] + pk + msg).digest(), "little") % L
    r = msm([s, h], [ED_BASE, pt_neg(a)])
    return _ed_encode(r) == sig[:32]


def _rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def minisign_check(pub_text, sig_text, data):
    """Returns the trusted comment if both signatures of an `ED` minisig verify."""
    pk_raw = base64.b64decode(pub_text.splitlines()[1], validate=True)
    lines = sig_text.split("\n")
    sig_raw = base64.b64decode(lines[1], validate=True)
    if len(pk_raw) != 42 or pk_raw[:2] != b"Ed" or len(sig_raw) != 74 or sig_raw[:2] != b"ED":
        raise ValueError("not an Ed public key and ED signature")
    if pk_raw[2:10] != sig_raw[2:10]:
        raise ValueError("key id differs")
    prefix = "trusted comment: "
    if not lines[2].startswith(prefix):
        raise ValueError("no trusted comment")
    comment = lines[2][len(prefix):].split("\r")[0]
    global_sig = base64.b64decode(lines[3], validate=True)
    sig = sig_raw[10:]
    if not ed25519_verify(pk_raw[10:], hashlib.blake2b(data, digest_size=64).digest(), sig):
        raise ValueError("signature does not verify")
    if not ed25519_verify(pk_raw[10:], sig + comment.encode(), global_sig):
        raise ValueError("global signature does not verify")
    return comment


# ---------------------------------------------------------------------------
# Reference vectors (RFC 9496 appendix A, RFC 9497 appendix A.1, BLAKE3)
# ---------------------------------------------------------------------------

R255_MULTIPLES = (
    "0000000000000000000000000000000000000000000000000000000000000000",
    "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76",
    "6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919",
    "94741f5d5d52755ece4f23f044ee27d5d1ea1e2bd196b462166b16152a9d0259",
    "da80862773358b466ffadfe0b3293ab3d9fd53c5ea6c955358f568322daf6a57",
    "e882b131016b52c1d3337080187cf768423efccbb517bb495ab812c4160ff44e",
    "f64746d3c92b13050ed8d80236a7f0007c3b3f962f5ba793d19a601ebb1df403",
    "44f53520926ec81fbd5a387845beb7df85a96a24ece18738bdcfa6a7822a176d",
    "903293d8f2287ebe10e2374dc1a53e0bc887e592699f02d077d5263cdd55601c",
    "02622ace8f7303a31cafc63f8fc48fdc16e1c8c8d234b2f0d6685282a9076031",
    "20706fd788b2720a1ed2a5dad4952b01f413bcf0e7564de8cdc816689e2db95f",
    "bce83f8ba5dd2fa572864c24ba1810f9522bc6004afe95877ac73241cafdab42",
    "e4549ee16b9aa03099ca208c67adafcafa4c3f3e4e5303de6026e3ca8ff84460",
    "aa52e000df2e16f55fb1032fc33bc42742dad6bd5a8fc0be0167436c5948501f",
    "46376b80f409b29dc2b5f6f0c52591990896e5716f41477cd30085ab7f10301e",
    "e0c418f7c8d9c4cdd7395b93ea124f3ad99021bb681dfc3302a9d99a2e53e64e",
)
R255_INVALID = (
    "00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "f3ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "ed57ffd8c914fb201471d1c3d245ce3c746fcbe63a3679d51b6a516ebebe0e20",
    "c34c4e1826e5d403b78e246e88aa051c36ccf0aafebffe137d148a2bf9104562",
    "c940e5a4404157cfb1628b108db051a8d439e1a421394ec4ebccb9ec92a8ac78",
    "47cfc5497c53dc8e61c91d17fd626ffb1c49e2bca94eed052281b510b1117a24",
    "f1c6165d33367351b0da8f6e4511010c68174a03b6581212c71c0e1d026c3c72",
    "87260f7a2f12495118360f02c26a470f450dadf34a413d21042b43b9d93e1309",
    "26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371",
    "4eac077a713c57b4f4397629a4145982c661f48044dd3f96427d40b147d9742f",
    "de6a7b00deadc788eb6b6c8d20c0ae96c2f2019078fa604fee5b87d6e989ad7b",
    "bcab477be20861e01e4a0e295284146a510150d9817763caf1a6f4b422d67042",
    "2a292df7e32cababbd9de088d1d1abec9fc0440f637ed2fba145094dc14bea08",
    "f4a9e534fc0d216c44b218fa0c42d99635a0127ee2e53c712f70609649fdff22",
    "8268436f8c4126196cf64b3c7ddbda90746a378625f9813dd9b8457077256731",
    "2810e5cbc2cc4d4eece54f61c6f69758e289aa7ab440b3cbeaa21995c2f4232b",
    "3eb858e78f5a7254d8c9731174a94f76755fd3941c0ac93735c07ba14579630e",
    "a45fdc55c76448c049a1ab33f17023edfb2be3581e9c7aade8a6125215e04220",
    "d483fe813c6ba647ebbfd3ec41adca1c6130c2beeee9d9bf065c8d151c5f396e",
    "8a2e1d30050198c65a54483123960ccc38aef6848e1ec8f5f780e8523769ba32",
    "32888462f8b486c68ad7dd9610be5192bbeaf3b443951ac1a8118419d9fa097b",
    "227142501b9d4355ccba290404bde41575b037693cef1f438c47f8fbf35d1165",
    "5c37cc491da847cfeb9281d407efc41e15144c876e0170b499a96a22ed31e01e",
    "445425117cb8c90edcbc7c1cc0e74f747f2c1efa5630a967c64f287792a48a4b",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
)
R255_FROM_UNIFORM = (
    ("5d1be09e3d0c82fc538112490e35701979d99e06ca3e2b5b54bffe8b4dc772c1"
     "4d98b696a1bbfb5ca32c436cc61c16563790306c79eaca7705668b47dffe5bb6",
     "3066f82a1a747d45120d1740f14358531a8f04bbffe6a819f86dfe50f44a0a46"),
    ("f116b34b8f17ceb56e8732a60d913dd10cce47a6d53bee9204be8b44f6678b27"
     "0102a56902e2488c46120e9276cfe54638286b9e4b3cdb470b542d46c2068d38",
     "f26e5b6f7d362d2d2a94c5d0e7602cb4773c95a2e5c31a64f133189fa76ed61b"),
    ("8422e1bbdaab52938b81fd602effb6f89110e1e57208ad12d9ad767e2e25510c"
     "27140775f9337088b982d83d7fcf0b2fa1edffe51952cbe7365e95c86eaf325c",
     "006ccd2a9e6867e6a2c5cea83d3302cc9de128dd2a9a57dd8ee7b9d7ffe02826"),
    ("ac22415129b61427bf464e17baee8db65940c233b98afce8d17c57beeb7876c2"
     "150d15af1cb1fb824bbd14955f2b57d08d388aab431a391cfc33d5bafb5dbbaf",
     "f8f0c87cf237953c5890aec3998169005dae3eca1fbb04548c635953c817f92a"),
    ("165d697a1ef3d5cf3c38565beefcf88c0f282b8e7dbd28544c483432f1cec767"
     "5debea8ebb4e5fe7d6f6e5db15f15587ac4d4d4a1de7191e0c1ca6664abcc413",
     "ae81e7dedf20a497e10c304a765c1767a42d6e06029758d2d7e8ef7cc4c41179"),
    ("a836e6c9a9ca9f1e8d486273ad56a78c70cf18f0ce10abb1c7172ddd605d7fd2"
     "979854f47ae1ccf204a33102095b4200e5befc0465accc263175485f0e17ea5c",
     "e2705652ff9f5e44d3e841bf1c251cf7dddb77d140870d1ab2ed64f1a9ce8628"),
    ("2cdc11eaeb95daf01189417cdddbf95952993aa9cb9c640eb5058d09702c7462"
     "2c9965a697a3b345ec24ee56335b556e677b30e6f90ac77d781064f866a3c982",
     "80bd07262511cdde4863f8a7434cef696750681cb9510eea557088f76d9e5065"),
)

# RFC 9497 appendix A.1.1 (OPRF) and A.1.2 (VOPRF), ristretto255-SHA512.
RFC9497_SEED = "a3" * 32
RFC9497_KEY_INFO = "74657374206b6579"
RFC9497_OPRF_SKSM = "5ebcea5ee37023ccb9fc2d2019f9d7737be85591ae8652ffa9ef0f4d37063b0e"
RFC9497_OPRF_TESTS = (
    {"Input": "00",
     "Blind": "64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706",
     "BlindedElement": "609a0ae68c15a3cf6903766461307e5c8bb2f95e7e6550e1ffa2dc99e412803c",
     "EvaluationElement": "7ec6578ae5120958eb2db1745758ff379e77cb64fe77b0b2d8cc917ea0869c7e",
     "Output": "527759c3d9366f277d8c6020418d96bb393ba2afb20ff90df23fb7708264e2f3"
               "ab9135e3bd69955851de4b1f9fe8a0973396719b7912ba9ee8aa7d0b5e24bcf6"},
    {"Input": "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a",
     "Blind": "64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706",
     "BlindedElement": "da27ef466870f5f15296299850aa088629945a17d1f5b7f5ff043f76b3c06418",
     "EvaluationElement": "b4cbf5a4f1eeda5a63ce7b77c7d23f461db3fcab0dd28e4e17cecb5c90d02c25",
     "Output": "f4a74c9c592497375e796aa837e907b1a045d34306a749db9f34221f7e750cb4"
               "f2a6413a6bf6fa5e19ba6348eb673934a722a7ede2e7621306d18951e7cf2c73"},
)
RFC9497_VOPRF_SKSM = "e6f73f344b79b379f1a0dd37e07ff62e38d9f71345ce62ae3a9bc60b04ccd909"
RFC9497_VOPRF_PKSM = "c803e2cc6b05fc15064549b5920659ca4a77b2cca6f04f6b357009335476ad4e"
_OUT1 = ("b58cfbe118e0cb94d79b5fd6a6dafb98764dff49c14e1770b566e42402da1a7d"
         "a4d8527693914139caee5bd03903af43a491351d23b430948dd50cde10d32b3c")
_OUT2 = ("8a9a2f3c7f085b65933594309041fc1898d42d0858e59f90814ae90571a6df60"
         "356f4610bf816f27afdd84f47719e480906d27ecd994985890e5f539e7ea74b6")
RFC9497_VOPRF_TESTS = (
    {"Input": "00",
     "Blind": "64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706",
     "BlindedElement": "863f330cc1a1259ed5a5998a23acfd37fb4351a793a5b3c090b642ddc439b945",
     "EvaluationElement": "aa8fa048764d5623868679402ff6108d2521884fa138cd7f9c7669a9a014267e",
     "Proof": "ddef93772692e535d1a53903db24367355cc2cc78de93b3be5a8ffcc6985dd06"
              "6d4346421d17bf5117a2a1ff0fcb2a759f58a539dfbe857a40bce4cf49ec600d",
     "ProofRandomScalar": "222a5e897cf59db8145db8d16e597e8facb80ae7d4e26d9881aa6f61d645fc0e",
     "Output": _OUT1},
    {"Input": "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a",
     "Blind": "64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706",
     "BlindedElement": "cc0b2a350101881d8a4cba4c80241d74fb7dcbfde4a61fde2f91443c2bf9ef0c",
     "EvaluationElement": "60a59a57208d48aca71e9e850d22674b611f752bed48b36f7a91b372bd7ad468",
     "Proof": "401a0da6264f8cf45bb2f5264bc31e109155600babb3cd4e5af7d181a2c9dc0a"
              "67154fabf031fd936051dec80b0b6ae29c9503493dde7393b722eafdf5a50b02",
     "ProofRandomScalar": "222a5e897cf59db8145db8d16e597e8facb80ae7d4e26d9881aa6f61d645fc0e",
     "Output": _OUT2},
    {"Input": "00,5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a",
     "Blind": "64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706,"
              "222a5e897cf59db8145db8d16e597e8facb80ae7d4e26d9881aa6f61d645fc0e",
     "BlindedElement": "863f330cc1a1259ed5a5998a23acfd37fb4351a793a5b3c090b642ddc439b945,"
                       "90a0145ea9da29254c3a56be4fe185465ebb3bf2a1801f7124bbbadac751e654",
     "EvaluationElement": "aa8fa048764d5623868679402ff6108d2521884fa138cd7f9c7669a9a014267e,"
                          "cc5ac221950a49ceaa73c8db41b82c20372a4c8d63e5dded2db920b7eee36a2a",
     "Proof": "cc203910175d786927eeb44ea847328047892ddf8590e723c37205cb74600b0a"
              "5ab5337c8eb4ceae0494c2cf89529dcf94572ed267473d567aeed6ab873dee08",
     "ProofRandomScalar": "419c4f4f5052c53c45f3da494d2b67b220d02118e0857cdbcf037f9ea84bbe0c",
     "Output": _OUT1 + "," + _OUT2},
)

# BLAKE3 official test vectors (test_vectors.json): input byte i is i % 251;
# the first 32 bytes of each output.
BLAKE3_KEY = b"whats the Elvish word for friend"
BLAKE3_CONTEXT = "BLAKE3 2019-12-27 16:29:52 test vectors context"
BLAKE3_VECTORS = (
    (0, "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262",
        "92b2b75604ed3c761f9d6f62392c8a9227ad0ea3f09573e783f1498a4ed60d26",
        "2cc39783c223154fea8dfb7c1b1660f2ac2dcbd1c1de8277b0b0dd39b7e50d7d"),
    (1, "2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213",
        "6d7878dfff2f485635d39013278ae14f1454b8c0a3a2d34bc1ab38228a80c95b",
        "b3e2e340a117a499c6cf2398a19ee0d29cca2bb7404c73063382693bf66cb06c"),
    (1023, "10108970eeda3eb932baac1428c7a2163b0e924c9a9e25b35bba72b28f70bd11",
           "c951ecdf03288d0fcc96ee3413563d8a6d3589547f2c2fb36d9786470f1b9d6e",
           "74a16c1c3d44368a86e1ca6df64be6a2f64cce8f09220787450722d85725dea5"),
    (1024, "42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7",
           "75c46f6f3d9eb4f55ecaaee480db732e6c2105546f1e675003687c31719c7ba4",
           "7356cd7720d5b66b6d0697eb3177d9f8d73a4a5c5e968896eb6a689684302706"),
    (1025, "d00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444",
           "357dc55de0c7e382c900fd6e320acc04146be01db6a8ce7210b7189bd664ea69",
           "effaa245f065fbf82ac186839a249707c3bddf6d3fdda22d1b95a3c970379bcb"),
    (3073, "7124b49501012f81cc7f11ca069ec9226cecb8a2c850cfe644e327d22d3e1cd3",
           "68dede9bef00ba89e43f31a6825f4cf433389fedae75c04ee9f0cf16a427c95a",
           "72613c9ec9ff7e40f8f5c173784c532ad852e827dba2bf85b2ab4b76f7079081"),
    (8193, "bab6c09cb8ce8cf459261398d2e7aef35700bf488116ceb94a36d0f5f1b7bc3b",
           "954a2a75420c8d6547e3ba5b98d963e6fa6491addc8c023189cc519821b4a1f5",
           "af1e0346e389b17c23200270a64aa4e1ead98c61695d917de7d5b00491c9b0f1"),
)


# ---------------------------------------------------------------------------
# `vectors`
# ---------------------------------------------------------------------------

class Checks:
    def __init__(self):
        self.failed = 0
        self.passed = 0

    def check(self, name, ok, detail=""):
        detail = str(detail).replace("\n", " ")
        if ok:
            self.passed += 1
            print(f"PASS {name}" + (f": {detail}" if detail else ""))
        else:
            self.failed += 1
            print(f"FAIL {name}" + (f": {detail}" if detail else ""))
        sys.stdout.flush()
        return ok

    def equal(self, name, got, want):
        if isinstance(got, bytes):
            got = got.hex()
        if isinstance(want, bytes):
            want = want.hex()
        return self.check(name, got == want, f"{got}" if got == want else f"got {got}, want {want}")

    def run(self, name, fn):
        try:
            fn()
        except Exception as e:  # a crash in a group is a failed check, not an abort
            self.check(name, False, f"{type(e).__name__}: {e}")


def _check_primitives(ck):
    def b3():
        ok = True
        for n, h, kh, dk in BLAKE3_VECTORS:
            data = bytes(i % 251 for i in range(n))
            ok &= blake3(data).hex() == h
            ok &= blake3_keyed(BLAKE3_KEY, data).hex() == kh
            ok &= blake3_derive_key(BLAKE3_CONTEXT, data).hex() == dk
        ck.check("BLAKE3 official vectors (hash, keyed_hash, derive_key; lengths 0..8193)", ok)
    ck.run("BLAKE3 official vectors", b3)

    def r255():
        acc = IDENTITY
        ok = True
        for i, enc in enumerate(R255_MULTIPLES):
            ok &= r255_encode(acc).hex() == enc
            ok &= r255_encode(scalar_mult(i, GENERATOR)).hex() == enc
            if i:
                ok &= r255_encode(r255_decode(bytes.fromhex(enc))).hex() == enc
            acc = pt_add(acc, GENERATOR)
        ck.check("RFC 9496 A.1 multiples of the generator (encode, add, scalar mult)", ok)
        bad = [h for h in R255_INVALID if r255_decode(bytes.fromhex(h)) is not None]
        ck.check(f"RFC 9496 A.2 {len(R255_INVALID)} invalid encodings refused", not bad, ",".join(bad))
        ok = all(r255_encode(r255_from_uniform(bytes.fromhex(i))).hex() == o for i, o in R255_FROM_UNIFORM)
        ck.check("RFC 9496 A.3 element derivation", ok)
        ck.check("ristretto255 identity (00 x 32) refused by DeserializeElement",
                 deserialize_element(bytes(32)) is None and r255_decode(bytes(32)) is not None)
    ck.run("RFC 9496 vectors", r255)


def _check_rfc9497(ck):
    seed = bytes.fromhex(RFC9497_SEED)
    info = bytes.fromhex(RFC9497_KEY_INFO)
    oprf = Oprf(MODE_OPRF)
    sk, _ = oprf.derive_key_pair(seed, info)
    ck.equal("RFC 9497 A.1.1 OPRF DeriveKeyPair skSm", serialize_scalar(sk), RFC9497_OPRF_SKSM)
    for n, tv in enumerate(RFC9497_OPRF_TESTS, 1):
        inp = bytes.fromhex(tv["Input"])
        blind = int.from_bytes(bytes.fromhex(tv["Blind"]), "little")
        _, blinded = oprf.blind(inp, blind)
        evaluated = r255_encode(scalar_mult(sk, r255_decode(blinded)))
        out = oprf.finalize(inp, blind, r255_decode(evaluated))
        ok = (blinded.hex() == tv["BlindedElement"] and evaluated.hex() == tv["EvaluationElement"]
              and out.hex() == tv["Output"] and oprf.evaluate(sk, inp).hex() == tv["Output"])
        ck.check(f"RFC 9497 A.1.1 OPRF test vector {n} (Blind, BlindEvaluate, Finalize, Evaluate)", ok)

    sk, pk = VOPRF.derive_key_pair(seed, info)
    ck.equal("RFC 9497 A.1.2 VOPRF DeriveKeyPair skSm", serialize_scalar(sk), RFC9497_VOPRF_SKSM)
    ck.equal("RFC 9497 A.1.2 VOPRF DeriveKeyPair pkSm", pk, RFC9497_VOPRF_PKSM)
    for n, tv in enumerate(RFC9497_VOPRF_TESTS, 1):
        inputs = [bytes.fromhex(x) for x in tv["Input"].split(",")]
        blinds = [int.from_bytes(bytes.fromhex(x), "little") for x in tv["Blind"].split(",")]
        blinded = [VOPRF.blind(i, b)[1] for i, b in zip(inputs, blinds)]
        r = int.from_bytes(bytes.fromhex(tv["ProofRandomScalar"]), "little")
        evaluated, proof = VOPRF.blind_evaluate_batch(sk, pk, blinded, r=r)
        ck.check(f"RFC 9497 A.1.2 VOPRF test vector {n}: BlindedElement",
                 ",".join(b.hex() for b in blinded) == tv["BlindedElement"])
        ck.check(f"RFC 9497 A.1.2 VOPRF test vector {n}: EvaluationElement",
                 ",".join(e.hex() for e in evaluated) == tv["EvaluationElement"])
        ck.equal(f"RFC 9497 A.1.2 VOPRF test vector {n}: Proof (GenerateProof, fixed r)",
                 proof, tv["Proof"])
        ev_pts = [r255_decode(e) for e in evaluated]
        ok = VOPRF.verify_proof(GENERATOR, pk, blinded, evaluated,
                                [r255_decode(b) for b in blinded], ev_pts, bytes.fromhex(tv["Proof"]))
        ck.check(f"RFC 9497 A.1.2 VOPRF test vector {n}: VerifyProof", ok)
        outs = [VOPRF.finalize(i, b, e) for i, b, e in zip(inputs, blinds, ev_pts)]
        ck.check(f"RFC 9497 A.1.2 VOPRF test vector {n}: Finalize output",
                 ",".join(o.hex() for o in outs) == tv["Output"])
        ck.check(f"RFC 9497 A.1.2 VOPRF test vector {n}: Evaluate output",
                 ",".join(VOPRF.evaluate(sk, i).hex() for i in inputs) == tv["Output"])


def _check_sealed(ck, vdir, vec):
    sv = vec["sealed"]
    ck.equal("sealed.suite", sv["suite"], "ristretto255-SHA512")
    ck.check("sealed.mode is VOPRF (0x01)", sv["mode"].startswith("VOPRF") and "0x01" in sv["mode"], sv["mode"])
    key_seed = bytes.fromhex(sv["oprf_key_file_ed25519_seed"])
    ck.equal("sealed.oprf_key_file_ed25519_seed is 0x44 x 32", key_seed, bytes([0x44]) * 32)
    oprf_seed = blake3_derive_key(OPRF_SEED_CONTEXT, key_seed)
    ck.equal("sealed.oprf_seed = BLAKE3-derive-key(\"hushlist v3 oprf seed\", key seed)",
             oprf_seed, sv["oprf_seed"])
    salt = bytes.fromhex(sv["salt"])
    next_salt = bytes.fromhex(sv["next_salt"])
    ck.equal("sealed.salt is 00..1f", salt, bytes(range(32)))
    ck.equal("sealed.next_salt is 20..3f", next_salt, bytes(range(32, 64)))
    ck.equal("sealed.derive_key_pair_info = \"hushlist/v3/epoch-key\" || salt",
             EPOCH_KEY_INFO + salt, sv["derive_key_pair_info"])
    sk, pk = epoch_key_pair(oprf_seed, salt)
    nsk, npk = epoch_key_pair(oprf_seed, next_salt)
    ck.equal("sealed.public_key = DeriveKeyPair(oprf seed, info(salt)).pkS", pk, sv["public_key"])
    ck.equal("sealed.next_public_key = DeriveKeyPair(oprf seed, info(next salt)).pkS",
             npk, sv["next_public_key"])

    inputs, blinds, blinded, evaluated = [], [], [], []
    keys = {}
    for nv in sv["numbers"]:
        e = nv["e164"]
        inp = number_input(e)
        ck.equal(f"{e}: input", inp, nv["input"])
        blind = deserialize_scalar(bytes.fromhex(nv["blind"]))
        ck.check(f"{e}: blind is a canonical scalar", blind is not None and blind != 0)
        _, b = VOPRF.blind(inp, blind)
        ck.equal(f"{e}: blinded element = blind * HashToGroup(input)", b, nv["blinded"])
        ev = r255_encode(scalar_mult(sk, r255_decode(b)))
        ck.equal(f"{e}: evaluated element = skS * blinded (recomputed as the server)", ev, nv["evaluated"])
        out = VOPRF.finalize(inp, blind, r255_decode(bytes.fromhex(nv["evaluated"])))
        ck.equal(f"{e}: VOPRF output (Finalize)", out, nv["output"])
        ck.equal(f"{e}: Evaluate(skS, input) = output", VOPRF.evaluate(sk, inp), nv["output"])
        key = sealed_key(salt, out)
        ck.equal(f"{e}: key = BLAKE3-keyed(salt, \"hushlist/v3/sealed-key\" || 0x00 || output)",
                 key, nv["key"])
        ck.equal(f"{e}: filter item", str(item_of(key)), nv["filter_item"])
        inputs.append(inp)
        blinds.append(blind)
        blinded.append(bytes.fromhex(nv["blinded"]))
        evaluated.append(bytes.fromhex(nv["evaluated"]))
        keys[e] = key
    b_pts = [deserialize_element(b) for b in blinded]
    e_pts = [deserialize_element(x) for x in evaluated]
    proof = bytes.fromhex(sv["proof"])
    ck.check("sealed.proof: VerifyProof(G, pkS, blinded, evaluated, proof) over the 3 pairs in order",
             VOPRF.verify_proof(GENERATOR, pk, blinded, evaluated, b_pts, e_pts, proof))
    ck.check("sealed.proof refused with the pairs in another order",
             not VOPRF.verify_proof(GENERATOR, pk, blinded[::-1], evaluated[::-1],
                                    b_pts[::-1], e_pts[::-1], proof))
    ck.check("sealed.proof refused under the next epoch's key",
             not VOPRF.verify_proof(GENERATOR, npk, blinded, evaluated, b_pts, e_pts, proof))
    bad = bytearray(proof)
    bad[40] ^= 1
    ck.check("sealed.proof refused with one bit of s flipped",
             not VOPRF.verify_proof(GENERATOR, pk, blinded, evaluated, b_pts, e_pts, bytes(bad)))
    fresh = VOPRF.generate_proof(sk, GENERATOR, pk, blinded, evaluated, b_pts)
    ck.check("fresh GenerateProof (random r) over the 3 pairs verifies",
             VOPRF.verify_proof(GENERATOR, pk, blinded, evaluated, b_pts, e_pts, fresh))
    return sk, pk, npk, keys


def _check_snapshot(ck, vdir, vec, sk, pk, npk, keys):
    sv = vec["sealed"]["snapshot"]
    path = vdir / sv["file"]
    data = path.read_bytes()
    ck.equal("sealed.snapshot.size", len(data), sv["size"])
    ck.equal("sealed.snapshot.blake3 = BLAKE3(file)", blake3(data), sv["blake3"])
    ck.equal("sealed.snapshot.header_hex = file[0:218]", data[:HEADER_LEN], sv["header_hex"])
    ck.check("sealed.snapshot.minisig = the .minisig file",
             (vdir / (sv["file"] + ".minisig")).read_text() == sv["minisig"])

    def sig():
        comment = minisign_check((vdir / "test-vector-key.pub").read_text(), sv["minisig"], data)
        ck.check("snapshot signature (ED, BLAKE2b-512 prehash) and global signature verify "
                 "with the TEST key", True)
        return comment
    comment = None
    try:
        comment = sig()
    except Exception as e:
        ck.check("snapshot signature verifies with the TEST key", False, str(e))

    try:
        s = decode_snapshot(data)
    except SnapshotError as e:
        ck.check("decode sealed-snapshot-vector.hushlist (FORMAT.md section 4)", False, str(e))
        return
    for rule in s["rules"]:
        ck.check(f"section 4 rule: {rule}", True)
    c_len = struct.unpack_from("<H", data, 216)[0]
    ck.equal("sealed_block_hex = file[218+C : 218+C+S]", s["sealed_block"], sv["sealed_block_hex"])
    if comment is not None:
        want = (f"hushlist-snapshot v1 seq={s['sequence']} created={_rfc3339(s['created'])} "
                f"expires={_rfc3339(s['expires'])} blake3={blake3(data).hex()}")
        ck.equal("trusted comment = canonical comment of the header and file digest", comment, want)
    ck.equal("format version", s["version"], 3)
    ck.check("both KDF ids are 3 (voprf) with m = t = p = 0",
             s["kdf"] == {"id": 3, "m": 0, "t": 0, "p": 0} and s["next_kdf"] == {"id": 3, "m": 0, "t": 0, "p": 0})
    ck.equal("salt in header", s["salt"], vec["sealed"]["salt"])
    ck.equal("next salt in header", s["next_salt"], vec["sealed"]["next_salt"])
    ck.equal("sealed block: current public key = pkS(salt)", s["public_key"], pk)
    ck.equal("sealed block: next public key = pkS(next salt)", s["next_public_key"], npk)
    ck.equal("sealed block: evaluation URL", s["evaluation_url"], "https://example.org/evaluate")
    ck.check("contact fields", s["contact"]["name"] == "Example Helpline (TEST VECTOR)"
             and s["contact"]["contact"] == "confirm@example.org", json.dumps(s["contact"]))
    ck.equal("section length: C", c_len, 156)
    ck.check("filter: k and m", True, f"k = {s['filter']['k']}, m = {s['filter']['m']}")
    fill, consistent, ones = overfill_ok(s)
    ck.check("over-fill check at 1/10000 (exact integers)", fill, f"{ones} bits set")
    ck.check("entries consistent with the bits set", consistent,
             f"entries {s['entries']}, k {s['filter']['k']}, ones {ones}")

    for e, key in keys.items():
        ck.check(f"lookup {e} with the computed key: possible match", filter_contains(s, item_of(key)))
    e = "+13135550102"
    key = sealed_key(s["salt"], VOPRF.evaluate(sk, number_input(e)))
    ck.check(f"lookup {e} (key by Evaluate as the server): not on the list",
             not filter_contains(s, item_of(key)), f"key {key.hex()}")

    # Every rule refuses: mutations of the vector must fail at the intended rule.
    fo = HEADER_LEN + c_len + len(s["sealed_block"])
    sb = HEADER_LEN + c_len

    def mutate(name, edits, expect, cut=None):
        d = bytearray(data)
        for off, val in edits:
            d[off:off + len(val)] = val
        if cut is not None:
            d = d[:cut]
        try:
            decode_snapshot(bytes(d))
            ck.check(f"refused: {name}", False, "accepted")
        except SnapshotError as err:
            ck.check(f"refused: {name}", expect in str(err), str(err))

    mutate("version 1", [(8, b"\x01\x00")], "format version 1 is no longer accepted")
    mutate("version 4", [(8, b"\x04\x00")], "unknown format version")
    mutate("version 2 with a sealed epoch", [(8, b"\x02\x00")], "format version 2 with a sealed epoch")
    mutate("KDF 3 with m = 1", [(95, b"\x01")], "m, t and p must be 0")
    mutate("next KDF 3 with p = 1", [(180, b"\x01")], "m, t and p must be 0")
    mutate("version 3 with no sealed epoch", [(94, b"\x02"), (171, b"\x02")], "format version 3 with no sealed epoch")
    mutate("header cut", [], "truncated", cut=200)
    mutate("sealed block cut", [], "sealed block", cut=sb + 40)
    d2 = data + b"\x00"
    try:
        decode_snapshot(d2)
        ck.check("refused: trailing byte", False, "accepted")
    except SnapshotError as err:
        ck.check("refused: trailing byte", "filter section length" in str(err), str(err))
    mutate("URL length 301", [(sb + 64, struct.pack("<H", 301))], "URL length 301 above 300")
    mutate("identity as current public key", [(sb, bytes(32))], "current public key")
    mutate("non-canonical next public key", [(sb + 32, bytes.fromhex(R255_INVALID[3]))], "next public key")
    mutate("http:// evaluation URL", [(sb + 66, b"http:/")], "evaluation URL")
    mutate("space in evaluation URL", [(sb + 66 + 10, b" ")], "evaluation URL")
    mutate("control character in contact name", [(220, b"\x07")], "control character")
    mutate("filter layout 2", [(fo, b"\x02")], "layout")
    mutate("k = 0", [(fo + 9, b"\x00")], "k outside")
    mutate("seed not derived", [(fo + 13, bytes([data[fo + 13] ^ 1]))], "not derived from the salt")
    mutate("next salt = salt", [(184, data[107:139])], "next salt equals")

    # the version 2 vector still decodes, as does its BLAKE3 lookup
    v2 = decode_snapshot((vdir / "snapshot-vector.hushlist").read_bytes())
    key = blake3_keyed(v2["salt"], number_input("+13135550101"))
    ck.check("version 2 vector decodes; +13135550101 (BLAKE3 key) is a possible match",
             v2["version"] == 2 and filter_contains(v2, item_of(key)))
    try:
        decode_snapshot((vdir / "v1" / "snapshot-vector.hushlist").read_bytes())
        ck.check("version 1 vector refused", False, "accepted")
    except SnapshotError as err:
        ck.check("version 1 vector refused", "format version 1" in str(err), str(err))


def _check_filter_vectors(ck, vec):
    ck.equal("seed_derivation", blake3_derive_key(vec["seed_derivation"]["domain"],
                                                 bytes.fromhex(vec["seed_derivation"]["salt"])),
             vec["seed_derivation"]["seed"])
    f = vec["filter"]
    seed = bytes.fromhex(f["seed"])
    ok = all(filter_positions(seed, int(it["item"]), f["hashes"], f["bits"]) == it["positions"]
             for it in f["items"])
    ck.check("filter.items positions (SipHash-1-3 double hashing)", ok)


def cmd_vectors(args):
    vdir = Path(args.dir)
    vec = json.loads((vdir / "vectors.json").read_text())
    ck = Checks()
    t0 = time.monotonic()
    _check_primitives(ck)
    ck.run("filter vectors", lambda: _check_filter_vectors(ck, vec))
    ck.run("RFC 9497 vectors", lambda: _check_rfc9497(ck))
    result = []
    ck.run("sealed vectors", lambda: result.append(_check_sealed(ck, vdir, vec)))
    if result:
        ck.run("sealed snapshot", lambda: _check_snapshot(ck, vdir, vec, *result[0]))
    else:
        ck.check("sealed snapshot", False, "skipped: the sealed vectors did not complete")
    print(f"{ck.passed} passed, {ck.failed} failed ({time.monotonic() - t0:.1f} s)")
    return 0 if ck.failed == 0 else 1


# ---------------------------------------------------------------------------
# `client`
# ---------------------------------------------------------------------------

class Refused(Exception):
    """An answer refused at a named step (exit 3)."""


class HttpFailure(Exception):
    """No 200 answer (exit 2)."""


E164 = re.compile(r"\+[1-9][0-9]{1,14}")
# FORMAT.md section 11 writes lower-case hex; both ends here also read upper case
# (its error table refuses only what is "not 32 bytes of hex"). Used with fullmatch.
HEX64 = re.compile(r"[0-9a-fA-F]{64}")
HEX128 = re.compile(r"[0-9a-fA-F]{128}")


def _post(url, token, body, timeout=60.0):
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    deadline = time.monotonic() + timeout
    try:
        conn.request("POST", path, body=body, headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        })
        resp = conn.getresponse()
        declared = resp.getheader("Content-Length")
        chunks = []
        size = 0
        while size <= MAX_BODY:
            if time.monotonic() > deadline:
                raise Refused("answer: not read within the timeout")
            try:
                chunk = resp.read(min(65536, MAX_BODY + 1 - size))
            except http.client.IncompleteRead as e:
                chunks.append(e.partial)
                size += len(e.partial)
                break
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        payload = b"".join(chunks)
        status = resp.status
    except (OSError, http.client.HTTPException) as e:
        raise HttpFailure(f"request to {url} failed: {e}") from None
    finally:
        conn.close()
    if len(payload) > MAX_BODY:
        raise Refused(f"answer: body over {MAX_BODY} bytes")
    if declared is not None:
        try:
            if len(payload) < int(declared):
                raise Refused(f"answer: body of {len(payload)} bytes is shorter than its "
                              f"Content-Length {declared}")
        except ValueError:
            raise Refused("answer: bad Content-Length") from None
    return status, payload


def evaluate_remote(url, token, pk, inputs):
    """FORMAT.md section 3 "A client's steps" 2 to 5 for one batch: outputs."""
    blinds, blinded = [], []
    for inp in inputs:
        b, enc = VOPRF.blind(inp)
        blinds.append(b)
        blinded.append(enc)
    body = json.dumps({"public_key": pk.hex(), "blinded": [b.hex() for b in blinded]}).encode()
    status, payload = _post(url, token, body)
    if status != 200:
        try:
            shown = json.dumps(json.loads(payload.decode("utf-8")))
        except (UnicodeDecodeError, ValueError):
            shown = f"(no JSON body: {payload[:200]!r})"
        if 300 <= status < 400:
            shown += " (redirects are not followed)"
        raise HttpFailure(f"HTTP {status}: {shown}")
    try:
        answer = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Refused("answer: body is not JSON") from None
    if not isinstance(answer, dict) or set(answer) != {"evaluated", "proof"}:
        raise Refused("answer: not an object with exactly the fields evaluated and proof")
    evaluated = answer["evaluated"]
    if not isinstance(evaluated, list) or len(evaluated) != len(inputs):
        n = len(evaluated) if isinstance(evaluated, list) else "no list of"
        raise Refused(f"answer: {n} evaluated elements for {len(inputs)} blinded ones")
    e_encs, e_pts = [], []
    for i, h in enumerate(evaluated):
        if not isinstance(h, str) or not HEX64.fullmatch(h):
            raise Refused(f"answer: evaluated[{i}] is not 64 hex digits")
        enc = bytes.fromhex(h)
        p = deserialize_element(enc)
        if p is None:
            raise Refused(f"answer: evaluated[{i}] is not a canonical non-identity ristretto255 element")
        e_encs.append(enc)
        e_pts.append(p)
    proof_hex = answer["proof"]
    if not isinstance(proof_hex, str) or not HEX128.fullmatch(proof_hex):
        raise Refused("answer: proof is not 128 hex digits")
    proof = bytes.fromhex(proof_hex)
    if deserialize_scalar(proof[:32]) is None or deserialize_scalar(proof[32:]) is None:
        raise Refused("answer: proof scalars are not canonical")
    b_pts = [r255_decode(b) for b in blinded]
    if not VOPRF.verify_proof(GENERATOR, pk, blinded, e_encs, b_pts, e_pts, proof):
        raise Refused("answer: VerifyProof failed: the batch is refused whole")
    return [VOPRF.finalize(i, b, e) for i, b, e in zip(inputs, blinds, e_pts)]


def _local_error(msg):
    print(f"sealed_reader: {msg}", file=sys.stderr)
    return 1


def cmd_client(args):
    parts = urllib.parse.urlsplit(args.url)
    if parts.scheme != "http" or parts.hostname != "127.0.0.1" or parts.username or parts.password:
        return _local_error(f"refusing {args.url!r}: only http://127.0.0.1[:port]/... is allowed "
                            "(this is a test client)")
    try:
        parts.port
    except ValueError:
        return _local_error(f"bad port in {args.url!r}")
    for n in args.numbers:
        if not E164.fullmatch(n):
            return _local_error(f"{n!r} is not an E.164 number (+ then 2 to 15 digits)")
    try:
        token = Path(args.token_file).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as e:
        return _local_error(f"cannot read the token file: {e}")
    if not token or any(c in token for c in "\r\n") or not token.isprintable():
        return _local_error("the token file does not hold one printable token")
    try:
        s = decode_snapshot(Path(args.snapshot).read_bytes())
    except OSError as e:
        return _local_error(f"cannot read the snapshot: {e}")
    except SnapshotError as e:
        return _local_error(f"snapshot refused: {e}")
    kdf, pk, salt = ((s["next_kdf"], s["next_public_key"], s["next_salt"]) if args.next
                     else (s["kdf"], s["public_key"], s["salt"]))
    if kdf["id"] != 3:
        return _local_error(f"the snapshot's {'next' if args.next else 'current'} epoch is not sealed "
                            f"(KDF id {kdf['id']})")
    numbers = list(dict.fromkeys(args.numbers))
    results = {}
    try:
        for start in range(0, len(numbers), MAX_BATCH):
            batch = numbers[start:start + MAX_BATCH]
            outputs = evaluate_remote(args.url, token, pk, [number_input(n) for n in batch])
            for n, out in zip(batch, outputs):
                results[n] = sealed_key(salt, out)
    except HttpFailure as e:
        print(str(e), file=sys.stderr)
        return 2
    except Refused as e:
        print(f"refused: {e}", file=sys.stderr)
        return 3
    for n in args.numbers:
        key = results[n]
        obj = {"e164": n, "key": key.hex(), "item": str(item_of(key))}
        if not args.next:
            obj["match"] = filter_contains(s, item_of(key))
        print(json.dumps(obj))
    return 0


# ---------------------------------------------------------------------------
# `serve`
# ---------------------------------------------------------------------------

class Service:
    def __init__(self, oprf_seed, salts, max_batch):
        self.keys = {}
        for salt in salts:
            sk, pk = epoch_key_pair(oprf_seed, salt)
            self.keys[pk] = sk
        self.max_batch = max_batch
        self.lock = threading.Lock()
        self.requests = {}
        self.elements = 0

    def count(self, outcome, elements=0):
        with self.lock:
            self.requests[outcome] = self.requests.get(outcome, 0) + 1
            self.elements += elements


def _no_duplicates(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise ValueError(f"duplicate key {k!r}")
        obj[k] = v
    return obj


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "sealed_reader-test"
    service = None  # set in cmd_serve

    def log_message(self, fmt, *a):  # never logs a token or an element
        pass

    def _send(self, status, body, content_type="application/json", extra=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _error(self, status, code, message, elements=0):
        self.service.count(code)
        sys.stderr.write(f"serve: {self.command} {self.path.split('?')[0]} -> {status} {code} "
                         f"({elements} elements)\n")
        self._send(status, {"error": code, "message": message})

    def _path(self):
        return urllib.parse.urlsplit(self.path).path

    def _dispatch(self):
        path = self._path()
        # Routes: POST /evaluate, GET /healthz, GET /metrics. Another method on
        # the evaluation path is 405; anything else is 404 (as the Rust service).
        if path == "/evaluate":
            if self.command != "POST":
                return self._error(405, "method_not_allowed", "use POST")
            return self._evaluate()
        if path == "/healthz" and self.command == "GET":
            return self._send(200, b"ok\n", "text/plain; charset=utf-8")
        if path == "/metrics" and self.command == "GET":
            return self._send(200, self._metrics().encode(), "text/plain; version=0.0.4")
        return self._error(404, "not_found", f"no such endpoint: {self.command} {path}")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _dispatch

    def _metrics(self):
        svc = self.service
        lines = ["# TYPE sealed_reader_requests_total counter"]
        with svc.lock:
            for outcome, n in sorted(svc.requests.items()):
                lines.append(f'sealed_reader_requests_total{{outcome="{outcome}"}} {n}')
            lines.append("# TYPE sealed_reader_elements_evaluated_total counter")
            lines.append(f"sealed_reader_elements_evaluated_total {svc.elements}")
        lines.append("# TYPE sealed_reader_epochs_served gauge")
        lines.append(f"sealed_reader_epochs_served {len(svc.keys)}")
        return "\n".join(lines) + "\n"

    def _discard_body(self, length):
        # read what the client sends so that closing the socket does not reset it
        remaining = min(length, 8 * MAX_BODY)
        while remaining > 0:
            chunk = self.rfile.read(min(65536, remaining))
            if not chunk:
                break
            remaining -= len(chunk)

    def _evaluate(self):
        svc = self.service
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or not auth[len("Bearer "):].strip():
            return self._error(401, "unauthorized", "an Authorization: Bearer header is required")
        if self.headers.get("Transfer-Encoding"):
            return self._error(400, "bad_request", "a Content-Length body is required")
        try:
            length = int(self.headers.get("Content-Length", ""))
            if length < 0:
                raise ValueError
        except ValueError:
            return self._error(400, "bad_request", "a Content-Length body is required")
        if length > MAX_BODY:
            self._discard_body(length)
            return self._error(413, "too_large", f"body over {MAX_BODY} bytes")
        raw = self.rfile.read(length)
        if len(raw) != length:
            return self._error(400, "bad_request", "body shorter than its Content-Length")
        try:
            req = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
        except (UnicodeDecodeError, ValueError) as e:
            return self._error(400, "bad_request", f"malformed JSON: {e}")
        if not isinstance(req, dict) or set(req) != {"public_key", "blinded"}:
            return self._error(400, "bad_request", "exactly the fields public_key and blinded are required")
        # Order (FORMAT.md gives none): the request's syntax (400), the element
        # count (413), the epoch (404), then each element's decoding (400).
        pk_hex, blinded = req["public_key"], req["blinded"]
        if not isinstance(pk_hex, str) or not HEX64.fullmatch(pk_hex):
            return self._error(400, "bad_request", "public_key is not 64 hex digits")
        if not isinstance(blinded, list) or not blinded:
            return self._error(400, "bad_request", "blinded must be a list of 1 or more elements")
        for i, h in enumerate(blinded):
            if not isinstance(h, str) or not HEX64.fullmatch(h):
                return self._error(400, "bad_request", f"blinded[{i}] is not 64 hex digits")
        if len(blinded) > svc.max_batch:
            return self._error(413, "too_large", f"more than {svc.max_batch} elements", len(blinded))
        pk = bytes.fromhex(pk_hex)
        sk = svc.keys.get(pk)
        if sk is None:
            return self._error(404, "unknown_key", "public_key is not an epoch this service serves "
                               "(an old snapshot: update first)")
        encs = [bytes.fromhex(h) for h in blinded]
        try:
            evaluated, proof = VOPRF.blind_evaluate_batch(sk, pk, encs)
        except ValueError:
            return self._error(400, "bad_request",
                               "an element is not a canonical non-identity ristretto255 encoding")
        svc.count("ok", len(encs))
        sys.stderr.write(f"serve: POST /evaluate -> 200 ok ({len(encs)} elements)\n")
        self._send(200, {"evaluated": [e.hex() for e in evaluated], "proof": proof.hex()})


def cmd_serve(args):
    try:
        oprf_seed = bytes.fromhex(args.oprf_seed)
        salts = [bytes.fromhex(s) for s in args.salt]
    except ValueError:
        return _local_error("--oprf-seed and --salt take hex")
    if len(oprf_seed) != 32 or any(len(s) != 32 for s in salts):
        return _local_error("--oprf-seed and each --salt must be 32 bytes (64 hex digits)")
    if not 1 <= args.max_batch <= MAX_BATCH:
        return _local_error(f"--max-batch must be 1..{MAX_BATCH}")
    Handler.service = Service(oprf_seed, salts, args.max_batch)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    for pk in Handler.service.keys:
        sys.stderr.write(f"serve: epoch public key {pk.hex()}\n")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


# ---------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors exit 1 (2 and 3 mean HTTP / refused answer)
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(1)


def main(argv=None):
    parser = _Parser(prog="sealed_reader.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True, parser_class=_Parser)
    p = sub.add_parser("vectors", help="check fixtures/vectors (vectors.json's sealed object, RFC 9497 vectors)")
    p.add_argument("dir")
    p = sub.add_parser("client", help="evaluate numbers with a service and look them up")
    p.add_argument("--snapshot", required=True)
    p.add_argument("--url", required=True)
    p.add_argument("--token-file", required=True)
    p.add_argument("--next", action="store_true", help="the next epoch (no lookup)")
    p.add_argument("numbers", nargs="+", metavar="NUMBER")
    p = sub.add_parser("serve", help="a test evaluation service on 127.0.0.1")
    p.add_argument("--oprf-seed", required=True)
    p.add_argument("--salt", action="append", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--max-batch", type=int, default=MAX_BATCH)
    args = parser.parse_args(argv)
    return {"vectors": cmd_vectors, "client": cmd_client, "serve": cmd_serve}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())

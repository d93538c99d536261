#!/usr/bin/env python3
"""Writes crates/core/tests/fixtures/legacy_hashes.json: password hashes made by the original
implementations (Django's own hashers, passlib, the bcrypt package, argon2-cffi), plus the
ASP.NET Identity v2/v3 and ServiceStack SaltedHash layouts built byte by byte from their
documented formats (no .NET runtime here), for passgate's legacy verifiers and import tests.

Iteration counts are small (fast tests) but every string has its original, real format.
Run with the virtualenv of .ci/run (passlib, bcrypt, Django, argon2-cffi):
    .venv/bin/python scripts/make-legacy-vectors.py [OUTPUT]
(OUTPUT defaults to the fixture; the end-to-end tests write fresh vectors to a scratch file
and import those too, so every CI run checks passgate against the current originals.)
"""

import base64
import hashlib
import json
import os
import struct
import sys

import bcrypt
import django
from django.conf import settings
from passlib.hash import pbkdf2_sha1, pbkdf2_sha256, pbkdf2_sha512, sha256_crypt, sha512_crypt

settings.configure(PASSWORD_HASHERS=[])
django.setup()
from django.contrib.auth import hashers as dj  # noqa: E402

OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "crates", "core", "tests", "fixtures",
    "legacy_hashes.json",
)

PASSWORDS = ["correct horse battery staple", "Pässwörd-ÆØÅ-2025", "x"]


def aspnet_v2(password: str) -> str:
    # ASP.NET Identity v2 (Crypto.HashPassword): 0x00 | salt(16) | PBKDF2-HMAC-SHA1(1000, 32).
    salt = os.urandom(16)
    sub = hashlib.pbkdf2_hmac("sha1", password.encode("utf-8"), salt, 1000, 32)
    return base64.b64encode(b"\x00" + salt + sub).decode()


def aspnet_v3(password: str, prf: int, iterations: int) -> str:
    # ASP.NET Core Identity v3 (PasswordHasher<T>, also ServiceStack's default IPasswordHasher):
    # 0x01 | prf u32 BE (0 SHA1, 1 SHA256, 2 SHA512) | iterations u32 BE | salt length u32 BE |
    # salt | subkey (32 bytes).
    name = {0: "sha1", 1: "sha256", 2: "sha512"}[prf]
    salt = os.urandom(16)
    sub = hashlib.pbkdf2_hmac(name, password.encode("utf-8"), salt, iterations, 32)
    return base64.b64encode(
        b"\x01" + struct.pack(">III", prf, iterations, len(salt)) + salt + sub
    ).decode()


def servicestack_salted(password: str) -> tuple[str, str]:
    # ServiceStack.Auth.SaltedHash (SHA-256, 4-byte salt): Hash = base64(SHA256(UTF-8(password)
    # || salt)), Salt = base64(salt), kept in two columns (PasswordHash, Salt).
    salt = os.urandom(4)
    digest = hashlib.sha256(password.encode("utf-8") + salt).digest()
    return base64.b64encode(digest).decode(), base64.b64encode(salt).decode()


class FastPBKDF2(dj.PBKDF2PasswordHasher):
    iterations = 1200


class FastPBKDF2SHA1(dj.PBKDF2SHA1PasswordHasher):
    iterations = 1200


class FastArgon2(dj.Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 256
    parallelism = 2


class FastBcryptSHA256(dj.BCryptSHA256PasswordHasher):
    rounds = 4


class FastBcrypt(dj.BCryptPasswordHasher):
    rounds = 4


def vectors():
    out = []

    def add(source, password, hash_, hash_format=None, salt=None):
        v = {"source": source, "password": password, "passwordHash": hash_}
        if hash_format:
            v["hashFormat"] = hash_format
        if salt is not None:
            v["salt"] = salt
        out.append(v)

    for pw in PASSWORDS:
        add("aspnet-identity-v2 (layout)", pw, aspnet_v2(pw), "aspnet-identity-v2")
        add("aspnet-identity-v3 HMACSHA256 (layout)", pw, aspnet_v3(pw, 1, 1000),
            "aspnet-identity-v3")
        add("aspnet-identity-v3 HMACSHA512 (layout)", pw, aspnet_v3(pw, 2, 1000),
            "aspnet-identity-v3")
        add("aspnet-identity-v3 HMACSHA1 (layout)", pw, aspnet_v3(pw, 0, 1000),
            "aspnet-identity-v3")
        h, s = servicestack_salted(pw)
        add("servicestack SaltedHash (layout)", pw, h, "servicestack-saltedhash", s)
        add("django PBKDF2PasswordHasher", pw, FastPBKDF2().encode(pw, FastPBKDF2().salt()))
        add("django PBKDF2SHA1PasswordHasher", pw,
            FastPBKDF2SHA1().encode(pw, FastPBKDF2SHA1().salt()))
        add("django Argon2PasswordHasher", pw, FastArgon2().encode(pw, FastArgon2().salt()))
        add("django BCryptSHA256PasswordHasher", pw,
            FastBcryptSHA256().encode(pw, FastBcryptSHA256().salt()))
        add("django BCryptPasswordHasher", pw, FastBcrypt().encode(pw, FastBcrypt().salt()))
        for prefix in (b"2a", b"2b"):
            add(f"bcrypt {prefix.decode()}", pw,
                bcrypt.hashpw(pw.encode("utf-8"), bcrypt.gensalt(4, prefix)).decode())
        # $2y$ is PHP's name for $2b$ (crypt_blowfish); same computation.
        add("bcrypt 2y (PHP name)", pw,
            "$2y$" + bcrypt.hashpw(pw.encode("utf-8"), bcrypt.gensalt(4)).decode()[4:])
        add("passlib sha256_crypt", pw, sha256_crypt.using(rounds=5000).hash(pw))
        add("passlib sha512_crypt", pw, sha512_crypt.using(rounds=5000).hash(pw))
        add("passlib sha512_crypt rounds=1000", pw, sha512_crypt.using(rounds=1000).hash(pw))
        add("passlib pbkdf2_sha256", pw, pbkdf2_sha256.using(rounds=1000).hash(pw))
        add("passlib pbkdf2_sha512", pw, pbkdf2_sha512.using(rounds=1000).hash(pw))
        add("passlib pbkdf2_sha1", pw, pbkdf2_sha1.using(rounds=1000).hash(pw))
        from argon2 import PasswordHasher, Type
        add("argon2-cffi argon2id other params", pw,
            PasswordHasher(time_cost=1, memory_cost=128, parallelism=2, type=Type.ID).hash(pw))
        add("argon2-cffi argon2i", pw,
            PasswordHasher(time_cost=2, memory_cost=64, parallelism=1, type=Type.I).hash(pw))
    # A 100-byte password: bcrypt uses its first 72 bytes (Django's bcrypt_sha256 exists for
    # this reason); both must behave as the originals do.
    long_pw = "L" * 100
    add("bcrypt 2b long password", long_pw,
        bcrypt.hashpw(long_pw.encode()[:72], bcrypt.gensalt(4)).decode())
    add("django BCryptSHA256PasswordHasher long password", long_pw,
        FastBcryptSHA256().encode(long_pw, FastBcryptSHA256().salt()))
    return out


def main():
    data = {
        "generator": "scripts/make-legacy-vectors.py",
        "versions": {
            "django": django.get_version(),
            "bcrypt": bcrypt.__version__,
            "python": sys.version.split()[0],
        },
        "vectors": vectors(),
    }
    out = sys.argv[1] if len(sys.argv) > 1 else OUT
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {len(data['vectors'])} vectors to {os.path.relpath(out)}")


if __name__ == "__main__":
    main()

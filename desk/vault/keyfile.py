"""The key file: Argon2id parameters and the data key wrapped by the password-derived key.

Layout (JSON, replaced atomically)::

    {"format": "mayhem-desk-keys", "v": 1, "vault_id": uuid, "created_ms": int,
     "kdf": {"alg": "argon2id", "m": KiB, "t": passes, "p": lanes, "salt": b64},
     "wrapped_dek": {"alg": "A256GCM", "nonce": b64, "ct": b64},
     "check": sha256 hex of everything above}

The wrap's associated data is the header without ``wrapped_dek``, so tampering with the parameters
is indistinguishable from a wrong password only if ``check`` is also forged; an honest bit flip is
reported as damage, never as a wrong password.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from desk.core.clock import now_ms
from desk.core.errors import KeyFileError, ValidationError, WrongPasswordError
from desk.vault.files import atomic_write

FORMAT = "mayhem-desk-keys"
VERSION = 1
DEK_BYTES = 32
SALT_BYTES = 16
MIN_MEMORY_KIB = 8 * 1024
RECOMMENDED_MEMORY_KIB = 64 * 1024


@dataclass(frozen=True, slots=True)
class KdfParams:
    """Argon2id cost parameters.

    Attributes:
        memory_kib: Memory cost in KiB (default 256 MiB).
        time_cost: Number of passes.
        parallelism: Lanes.
    """

    memory_kib: int = 256 * 1024
    time_cost: int = 3
    parallelism: int = 4

    def check(self) -> None:
        """Raise ValidationError unless the parameters are usable for a new or re-wrapped key."""
        if self.memory_kib < MIN_MEMORY_KIB:
            raise ValidationError(f"Argon2 memory must be at least {MIN_MEMORY_KIB // 1024} MiB.")
        if not 1 <= self.time_cost <= 64 or not 1 <= self.parallelism <= 64:
            raise ValidationError("Argon2 passes and lanes must each be between 1 and 64.")

    @property
    def weaker_than_recommended(self) -> bool:
        """Whether these are below RFC 9106's second recommendation (64 MiB, t=3)."""
        return self.memory_kib < RECOMMENDED_MEMORY_KIB or self.time_cost < 3

    @classmethod
    def from_env(cls) -> KdfParams:
        """Return the defaults, with ``DESK_KDF_MEMORY_MIB`` overriding memory for low-RAM machines."""
        raw = os.environ.get("DESK_KDF_MEMORY_MIB")
        if not raw:
            return cls()
        try:
            mib = int(raw)
        except ValueError as e:
            raise ValidationError("DESK_KDF_MEMORY_MIB must be a whole number of MiB.") from e
        params = cls(memory_kib=mib * 1024)
        params.check()
        return params


@dataclass(frozen=True, slots=True)
class KeyFile:
    """The parsed key file.

    Attributes:
        vault_id: Identifies this vault (and names its backups).
        created_ms: When the vault was created.
        kdf: Argon2id parameters.
        salt: Argon2id salt.
        nonce: AES-GCM nonce of the wrapped data key.
        wrapped_dek: The data key encrypted under the password-derived key.
    """

    vault_id: str
    created_ms: int
    kdf: KdfParams
    salt: bytes
    nonce: bytes
    wrapped_dek: bytes

    def header(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "v": VERSION,
            "vault_id": self.vault_id,
            "created_ms": self.created_ms,
            "kdf": {
                "alg": "argon2id",
                "m": self.kdf.memory_kib,
                "t": self.kdf.time_cost,
                "p": self.kdf.parallelism,
                "salt": _b64(self.salt),
            },
        }

    def to_json(self) -> bytes:
        """Serialize with the integrity checksum."""
        doc = self.header()
        doc["wrapped_dek"] = {"alg": "A256GCM", "nonce": _b64(self.nonce), "ct": _b64(self.wrapped_dek)}
        doc["check"] = _checksum(doc)
        return json.dumps(doc, indent=2, sort_keys=True).encode() + b"\n"

    @classmethod
    def from_json(cls, data: bytes) -> KeyFile:
        """Parse a key file, raising KeyFileError on any damage."""
        try:
            doc = json.loads(data)
            if not isinstance(doc, dict) or doc.get("format") != FORMAT:
                raise KeyFileError("The key file is not a Mayhem Desk key file.")
            if doc.get("v") != VERSION:
                raise KeyFileError(f"The key file has version {doc.get('v')!r}; this desk reads {VERSION}.")
            check = doc.pop("check")
            if check != _checksum(doc):
                raise KeyFileError("The key file is damaged (its checksum does not match).")
            kdf = doc["kdf"]
            if kdf["alg"] != "argon2id" or doc["wrapped_dek"]["alg"] != "A256GCM":
                raise KeyFileError("The key file names an unknown algorithm.")
            parsed = cls(
                vault_id=str(doc["vault_id"]),
                created_ms=int(doc["created_ms"]),
                kdf=KdfParams(int(kdf["m"]), int(kdf["t"]), int(kdf["p"])),
                salt=_unb64(kdf["salt"]),
                nonce=_unb64(doc["wrapped_dek"]["nonce"]),
                wrapped_dek=_unb64(doc["wrapped_dek"]["ct"]),
            )
        except KeyFileError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as e:
            raise KeyFileError("The key file is damaged and cannot be read.") from e
        if len(parsed.salt) < SALT_BYTES or len(parsed.nonce) != 12:
            raise KeyFileError("The key file is damaged (salt or nonce has the wrong length).")
        return parsed


def derive_kek(password: str, salt: bytes, kdf: KdfParams) -> bytes:
    """Derive the 256-bit key-encryption key from the password (slow by design: run off the UI thread)."""
    return hash_secret_raw(
        secret=password.encode("utf-8"),
        salt=salt,
        time_cost=kdf.time_cost,
        memory_cost=kdf.memory_kib,
        parallelism=kdf.parallelism,
        hash_len=32,
        type=Type.ID,
    )


def wrap(dek: bytes | bytearray, password: str, kdf: KdfParams, *, vault_id: str | None = None,
         created_ms: int | None = None) -> KeyFile:
    """Return a new key file holding ``dek`` under ``password`` with a fresh salt."""
    kdf.check()
    skeleton = KeyFile(
        vault_id=vault_id or str(uuid.uuid4()),
        created_ms=created_ms if created_ms is not None else now_ms(),
        kdf=kdf,
        salt=secrets.token_bytes(SALT_BYTES),
        nonce=secrets.token_bytes(12),
        wrapped_dek=b"",
    )
    kek = derive_kek(password, skeleton.salt, kdf)
    ct = AESGCM(kek).encrypt(skeleton.nonce, bytes(dek), _aad(skeleton))
    return replace(skeleton, wrapped_dek=ct)


def unwrap(keyfile: KeyFile, password: str) -> bytearray:
    """Return the data key, raising WrongPasswordError if the password does not open it."""
    kek = derive_kek(password, keyfile.salt, keyfile.kdf)
    try:
        dek = AESGCM(kek).decrypt(keyfile.nonce, keyfile.wrapped_dek, _aad(keyfile))
    except InvalidTag as e:
        raise WrongPasswordError("Wrong password.") from e
    if len(dek) != DEK_BYTES:
        raise KeyFileError("The key file holds a data key of the wrong size.")
    return bytearray(dek)


def new_dek() -> bytearray:
    """Return a fresh random 256-bit data key."""
    return bytearray(secrets.token_bytes(DEK_BYTES))


def read(path: Path) -> KeyFile:
    """Read and parse the key file at ``path``."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as e:
        raise KeyFileError(
            "The key file (vault.keys.json) is missing; without it the vault cannot be opened. "
            "Put it back or restore a backup."
        ) from e
    except OSError as e:
        raise KeyFileError(f"The key file cannot be read: {e.strerror}.") from e
    return KeyFile.from_json(data)


def write(path: Path, keyfile: KeyFile) -> None:
    """Write the key file atomically (temp file, fsync, replace)."""
    atomic_write(path, keyfile.to_json())


def _aad(keyfile: KeyFile) -> bytes:
    return json.dumps(keyfile.header(), sort_keys=True, separators=(",", ":")).encode()


def _checksum(doc: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)

"""Domain exceptions: each names a failure the user can understand and act on."""


class DeskError(Exception):
    """Base of every failure the desk reports to the user in plain words.

    The message is the text shown to the user; it never contains a secret.
    """


class VaultError(DeskError):
    """Something about the vault files prevents the requested operation."""


class VaultNotFoundError(VaultError):
    """No vault exists in the data directory."""


class VaultExistsError(VaultError):
    """A vault already exists where a new one was to be created."""


class WrongPasswordError(VaultError):
    """The password does not open the vault's key file."""


class KeyFileError(VaultError):
    """The key file is missing, unreadable or damaged."""


class DatabaseDamagedError(VaultError):
    """The encrypted database failed its integrity check or cannot be read."""


class NewerSchemaError(VaultError):
    """The database was written by a newer desk than this one."""


class NotSQLCipherError(VaultError):
    """The sqlite module in use does not encrypt; refusing to write plaintext."""


class VaultLockedError(VaultError):
    """The operation needs an unlocked vault."""


class BackupError(VaultError):
    """A backup file is malformed, damaged, or does not match its password."""


class FieldDecryptionError(VaultError):
    """An encrypted field failed authentication (tampered or moved to another row)."""


class ValidationError(DeskError):
    """User input was rejected; nothing was changed."""


class NotFoundError(DeskError):
    """A named object (wallet, group, ...) does not exist."""


class VenueError(DeskError):
    """A venue (PumpPortal, Jupiter, ...) was unreachable, refused, or answered something unusable."""

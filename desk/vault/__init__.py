"""The encrypted store: key file, SQLCipher database, repositories, backup and the activity log."""

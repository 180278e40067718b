"""Dialogs for the vault: create, unlock, change password, back up and restore."""

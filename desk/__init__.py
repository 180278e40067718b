"""Mayhem Desk: a local-first desktop trading desk for Solana / pump.fun traders."""

__version__ = "0.1.0"

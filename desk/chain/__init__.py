"""Solana: the JSON-RPC client, transaction builders, the signer with its policy, and balances."""

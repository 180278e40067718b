"""Use cases: wallets, balances, consolidation and distribution, and later trading and launches."""

"""pump.fun: on-chain facts of the bonding-curve program (events decoded from logs, curve accounts)."""

"""Numbered schema migrations. Each runs in one transaction with its ``user_version`` bump."""

from __future__ import annotations

MIGRATIONS: dict[int, str] = {
    1: """
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    syncable INTEGER NOT NULL DEFAULT 0,
    updated_ms INTEGER NOT NULL
);
CREATE TABLE wallets (
    id TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('generated', 'imported', 'watch_only', 'pumpportal')),
    pubkey TEXT NOT NULL UNIQUE,
    enc_privkey BLOB,
    enc_api_key BLOB,
    active INTEGER NOT NULL DEFAULT 1,
    note TEXT NOT NULL DEFAULT '',
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    archived_ms INTEGER
);
CREATE UNIQUE INDEX wallets_label_live ON wallets(label) WHERE archived_ms IS NULL;
CREATE TABLE wallet_balances (
    wallet_id TEXT NOT NULL REFERENCES wallets(id),
    network TEXT NOT NULL,
    mint TEXT NOT NULL,
    amount INTEGER NOT NULL,
    decimals INTEGER NOT NULL,
    token_program TEXT,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (wallet_id, network, mint)
);
CREATE TABLE wallet_groups (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL DEFAULT 'idle' CHECK (status IN ('idle', 'running', 'error')),
    last_consolidated_ms INTEGER,
    rules TEXT NOT NULL DEFAULT '{}',
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES wallet_groups(id) ON DELETE CASCADE,
    wallet_id TEXT NOT NULL REFERENCES wallets(id),
    role TEXT NOT NULL CHECK (role IN ('source', 'receiver')),
    PRIMARY KEY (group_id, wallet_id, role)
);
CREATE TABLE tokens (
    network TEXT NOT NULL,
    mint TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    symbol TEXT NOT NULL DEFAULT '',
    decimals INTEGER NOT NULL DEFAULT 6,
    token_program TEXT,
    creator TEXT,
    pool TEXT,
    uri TEXT,
    watched INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER,
    first_seen_ms INTEGER NOT NULL,
    PRIMARY KEY (network, mint)
);
CREATE TABLE market_trades (
    network TEXT NOT NULL,
    signature TEXT NOT NULL,
    mint TEXT NOT NULL,
    trader TEXT NOT NULL,
    side TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
    sol_lamports INTEGER NOT NULL,
    token_amount INTEGER NOT NULL,
    ts_ms INTEGER NOT NULL,
    PRIMARY KEY (network, signature, mint, trader, side)
);
CREATE INDEX market_trades_by_mint ON market_trades(network, mint, ts_ms);
CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    network TEXT NOT NULL,
    side TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
    mint TEXT NOT NULL,
    venue TEXT NOT NULL,
    params TEXT NOT NULL,
    status TEXT NOT NULL,
    signal_id TEXT,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE TABLE order_legs (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders(id),
    wallet_id TEXT NOT NULL REFERENCES wallets(id),
    attempt INTEGER NOT NULL DEFAULT 1,
    signature TEXT,
    last_valid_block_height INTEGER,
    state TEXT NOT NULL,
    reason TEXT,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE INDEX order_legs_by_order ON order_legs(order_id);
CREATE TABLE fills (
    network TEXT NOT NULL,
    signature TEXT NOT NULL,
    leg_index INTEGER NOT NULL,
    wallet_id TEXT NOT NULL,
    mint TEXT NOT NULL,
    side TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
    token_delta INTEGER NOT NULL,
    sol_delta INTEGER NOT NULL,
    network_fee INTEGER NOT NULL,
    priority_fee INTEGER NOT NULL,
    tip INTEGER NOT NULL,
    slot INTEGER,
    ts_ms INTEGER NOT NULL,
    order_id TEXT,
    source TEXT NOT NULL DEFAULT 'trade',
    PRIMARY KEY (network, signature, leg_index)
);
CREATE INDEX fills_by_wallet_mint ON fills(network, wallet_id, mint, ts_ms);
CREATE TABLE instruments (
    symbol TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    point_value_cents INTEGER NOT NULL CHECK (point_value_cents > 0),
    tick_size TEXT NOT NULL DEFAULT '0.25'
);
CREATE TABLE external_accounts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    broker TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    created_ms INTEGER NOT NULL
);
CREATE TABLE signals (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('buy', 'sell', 'close')),
    mint TEXT,
    symbol TEXT,
    size TEXT NOT NULL,
    target TEXT NOT NULL,
    status TEXT NOT NULL,
    payload TEXT NOT NULL,
    received_ms INTEGER NOT NULL
);
CREATE TABLE signal_executions (
    signal_id TEXT NOT NULL REFERENCES signals(id),
    account_ref TEXT NOT NULL,
    status TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (signal_id, account_ref)
);
CREATE TABLE launches (
    id TEXT PRIMARY KEY,
    network TEXT NOT NULL,
    mint TEXT NOT NULL,
    signature TEXT,
    metadata_uri TEXT,
    image_sha256 TEXT,
    creator_wallet_id TEXT,
    dev_buy_lamports INTEGER NOT NULL DEFAULT 0,
    bundle TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE TABLE activity (
    seq INTEGER PRIMARY KEY,
    ts_ms INTEGER NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TRIGGER activity_no_update BEFORE UPDATE ON activity
    BEGIN SELECT RAISE(ABORT, 'the activity log is append-only'); END;
CREATE TRIGGER activity_no_delete BEFORE DELETE ON activity
    BEGIN SELECT RAISE(ABORT, 'the activity log is append-only'); END;
CREATE TABLE sync_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
""",
    2: """
CREATE TABLE chain_txs (
    signature TEXT PRIMARY KEY,
    network TEXT NOT NULL,
    purpose TEXT NOT NULL,
    ref TEXT NOT NULL DEFAULT '',
    wallets TEXT NOT NULL,
    last_valid_block_height INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('sent', 'confirmed', 'failed', 'expired')),
    err TEXT,
    fee_lamports INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE INDEX chain_txs_by_ref ON chain_txs(network, purpose, ref, state);
""",
    3: """
ALTER TABLE fills RENAME COLUMN token_delta TO tokens;
ALTER TABLE fills RENAME COLUMN sol_delta TO sol_lamports;
CREATE INDEX fills_by_order ON fills(order_id);
CREATE INDEX orders_by_time ON orders(network, created_ms);
""",
    4: """
ALTER TABLE signals ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE signals ADD COLUMN updated_ms INTEGER NOT NULL DEFAULT 0;
CREATE INDEX signals_by_time ON signals(received_ms);
CREATE INDEX signals_by_source ON signals(source, received_ms);
CREATE TABLE external_trades (
    id TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES external_accounts(id),
    symbol TEXT NOT NULL REFERENCES instruments(symbol),
    side TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
    qty INTEGER NOT NULL CHECK (qty > 0),
    price TEXT NOT NULL,
    fee_cents INTEGER NOT NULL DEFAULT 0 CHECK (fee_cents >= 0),
    ts_ms INTEGER NOT NULL,
    signal_id TEXT,
    recorded_ms INTEGER NOT NULL,
    PRIMARY KEY (account_id, id)
);
CREATE INDEX external_trades_by_account ON external_trades(account_id, symbol, ts_ms);
CREATE INDEX external_trades_by_symbol ON external_trades(symbol, ts_ms);
CREATE INDEX external_trades_by_signal ON external_trades(signal_id);
INSERT OR IGNORE INTO instruments(symbol, name, point_value_cents, tick_size) VALUES
    ('NQ', 'E-mini Nasdaq-100', 2000, '0.25'),
    ('MNQ', 'Micro E-mini Nasdaq-100', 200, '0.25'),
    ('ES', 'E-mini S&P 500', 5000, '0.25'),
    ('MES', 'Micro E-mini S&P 500', 500, '0.25');
""",
}

LATEST_VERSION = max(MIGRATIONS)

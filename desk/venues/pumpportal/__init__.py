"""PumpPortal: data websocket, trade-local, Lightning and create-wallet."""

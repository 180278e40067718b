"""``desk token`` output: the JSON document and the text, from details assembled over scripted sources."""

from __future__ import annotations

import argparse

import orjson

from desk.commands import token_cmd
from tests.unit.engine.test_token_info import MINT, FakeRpc, dex_answer, service


async def test_json_document_is_serializable_and_complete() -> None:
    details = await service(FakeRpc(), dex_answer).details(MINT)
    doc = orjson.loads(orjson.dumps(token_cmd.details_doc(details)))
    assert doc["mint"] == MINT and doc["name"] == "Spirit of Liberty" and doc["level"] == "ok"
    assert doc["mint_account"]["supply"] == str(10**15) and doc["mint_account"]["token_2022"] is False
    assert doc["holders"]["top10_bps"] == 1550 and len(doc["holders"]["top"]) == 10
    assert doc["market"]["sol_usd"] == "150.1" and doc["market"]["pair"]["txns"]["h24"] == {"buys": 2067,
                                                                                           "sells": 1701}
    assert doc["market"]["pair"]["price_native"] == "0.0000001004"
    assert doc["curve"]["price_sol"] == "0.00000003219"


async def test_text_shows_price_pair_and_badges() -> None:
    details = await service(FakeRpc(), dex_answer).details(MINT)
    text = token_cmd.describe(details)
    assert text.startswith(f"SOL (Spirit of Liberty)  {MINT}")
    assert "SPL Token, supply 1000000000 (6 decimals)" in text
    assert "SOL $150.10 (dexscreener-sol-pair)" in text
    assert "pumpfun pair" in text and "liquidity — (curve)" in text and "2067 buys / 1701 sells" in text
    assert "✓ Mint authority revoked" in text


def test_register_adds_the_token_command() -> None:
    parser = argparse.ArgumentParser()
    token_cmd.register(parser.add_subparsers(dest="command"), argparse.ArgumentParser(add_help=False))
    args = parser.parse_args(["token", MINT, "--no-market"])
    assert args.mint == MINT and args.no_market and args.handler is token_cmd.run

"""Trade-local style trades: prepared and vault-signed by the market, signed and sent by the trader."""

from __future__ import annotations

import pytest
from solders.keypair import Keypair
from solders.message import MessageV0, to_bytes_versioned
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from desk.chain.policy import Intent
from desk.chain.signer import sign
from desk.core import curve
from desk.core.market import Side
from desk.simnet.chain import SimChain
from desk.simnet.events import SimEvent, SimTrade
from desk.simnet.external import PreparedTrade
from desk.simnet.market import SimMarket
from desk.simnet.settlement import MarketError
from desk.simnet.tokens import token_balance

SOL = 1_000_000_000


@pytest.fixture
def market(chain: SimChain) -> SimMarket:
    return SimMarket(chain, seed=11)


def funded(chain: SimChain, sol: int = 50) -> Keypair:
    kp = Keypair()
    chain.airdrop(kp.pubkey(), sol * SOL)
    return kp


def signed(prepared: PreparedTrade, trader: Keypair) -> VersionedTransaction:
    tx = prepared.transaction
    payload = to_bytes_versioned(tx.message)
    signatures = [trader.sign_message(payload) if key == trader.pubkey() else sig
                  for key, sig in zip(tx.message.account_keys, tx.signatures, strict=False)]
    return VersionedTransaction.populate(tx.message, signatures)


def test_prepared_buy_is_reserved_then_published_when_it_lands(chain: SimChain, market: SimMarket) -> None:
    created = market.create_token(funded(chain), name="A", symbol="A")
    events: list[SimEvent] = []
    market.subscribe(events.append)
    trader = funded(chain)
    prepared = market.prepare_external(trader.pubkey(), created.mint, Side.BUY, 2 * SOL)
    assert prepared.transaction.signatures[0] == Signature.default()
    assert prepared.fill == curve.buy(created.state, 2 * SOL)
    assert market.curve(created.mint) == prepared.fill.state  # reserved at once
    assert market.poll() == 0 and events == []
    result = chain.send_transaction(signed(prepared, trader))
    assert result.err is None
    assert market.poll() == 1
    [trade] = events
    assert isinstance(trade, SimTrade) and trade.signature == str(result.signature)
    assert trade.trader == trader.pubkey() and trade.tokens == prepared.fill.tokens
    assert token_balance(chain, trader.pubkey(), created.mint) == prepared.fill.tokens
    vault = created.token.accounts.vault
    assert chain.get_balance(vault) == chain.minimum_balance_for_rent_exemption(0) + prepared.fill.state.real_sol


def test_trades_after_a_reservation_price_after_it_and_expiry_releases_it(chain: SimChain, market: SimMarket) -> None:
    created = market.create_token(funded(chain), name="A", symbol="A")
    prepared = market.prepare_external(funded(chain).pubkey(), created.mint, Side.BUY, 3 * SOL)
    bob = funded(chain)
    trade = market.buy(bob, created.mint, SOL)
    assert trade.tokens == curve.buy(prepared.fill.state, SOL).tokens
    chain.expire_all_blockhashes()
    assert market.poll() == 0
    state = market.curve(created.mint)
    assert state is not None and state.real_sol == trade.sol and state.real_token == \
        curve.INITIAL_REAL_TOKEN_RESERVES - trade.tokens
    assert chain.get_balance(created.token.accounts.vault) == chain.minimum_balance_for_rent_exemption(0) + trade.sol


def test_prepared_sell_lands_and_pays_the_seller(chain: SimChain, market: SimMarket) -> None:
    seller = funded(chain)
    created = market.create_token(seller, name="A", symbol="A", dev_buy=5 * SOL)
    assert created.dev_buy is not None
    tokens = created.dev_buy.tokens // 3
    prepared = market.prepare_external(seller.pubkey(), created.mint, Side.SELL, tokens, priority_fee=50_000)
    before = chain.get_balance(seller.pubkey())
    result = chain.send_transaction(signed(prepared, seller))
    assert result.err is None and result.record is not None
    assert market.poll() == 1
    fee = result.record.fee
    assert chain.get_balance(seller.pubkey()) == before + prepared.fill.seller_receives - fee
    assert fee == 10_000 + 50_000
    assert token_balance(chain, seller.pubkey(), created.mint) == created.dev_buy.tokens - tokens


def test_a_landed_but_failed_trade_releases_the_reservation(chain: SimChain, market: SimMarket) -> None:
    created = market.create_token(funded(chain), name="A", symbol="A")
    broke = funded(chain, 1)
    prepared = market.prepare_external(broke.pubkey(), created.mint, Side.BUY, 5 * SOL)
    result = chain.send_transaction(signed(prepared, broke))
    assert result.err is not None and result.record is not None  # executed, failed, fee charged
    market.poll()
    assert market.curve(created.mint) == created.state


def test_desk_signer_adds_only_its_signature_to_a_prepared_buy(chain: SimChain, market: SimMarket) -> None:
    created = market.create_token(funded(chain), name="A", symbol="A")
    trader = funded(chain)
    prepared = market.prepare_external(trader.pubkey(), created.mint, Side.BUY, SOL)
    me = str(trader.pubkey())
    intent = Intent(our_wallets=frozenset({me}), destinations=frozenset(str(d) for d in prepared.destinations),
                    max_sol_out={me: prepared.fill.buyer_pays})
    message = prepared.transaction.message
    assert isinstance(message, MessageV0)
    tx = sign(message, {me: trader}, intent, existing=list(prepared.transaction.signatures))
    assert chain.send_transaction(tx).err is None
    assert market.poll() == 1


def test_buys_cannot_take_the_tokens_of_a_reserved_sell(chain: SimChain, market: SimMarket) -> None:
    seller = funded(chain, 200)
    created = market.create_token(seller, name="A", symbol="A", dev_buy=80 * SOL)
    assert created.dev_buy is not None
    market.prepare_external(seller.pubkey(), created.mint, Side.SELL, created.dev_buy.tokens)
    with pytest.raises(MarketError, match="reserved"):
        market.buy(funded(chain, 200), created.mint, 100 * SOL)  # would need the reserved sell's tokens
    chain.expire_all_blockhashes()
    market.poll()
    assert market.curve(created.mint) == created.state


def test_a_reserved_completing_buy_that_never_lands_reopens_the_curve(chain: SimChain, market: SimMarket) -> None:
    created = market.create_token(funded(chain), name="A", symbol="A")
    prepared = market.prepare_external(funded(chain).pubkey(), created.mint, Side.BUY, 100 * SOL)
    assert prepared.fill.state.complete
    with pytest.raises(MarketError, match="complete"):
        market.quote_buy(created.mint, SOL)
    market.poll()
    token = market.token(created.mint)
    assert token is not None and token.migration is None  # waits for the reservation
    chain.expire_all_blockhashes()
    market.poll()
    assert market.curve(created.mint) == created.state
    assert market.buy(funded(chain), created.mint, SOL).tokens > 0


def test_a_landed_completing_buy_migrates_on_poll(chain: SimChain, market: SimMarket) -> None:
    created = market.create_token(funded(chain), name="A", symbol="A")
    trader = funded(chain, 200)
    prepared = market.prepare_external(trader.pubkey(), created.mint, Side.BUY, 100 * SOL)
    assert chain.send_transaction(signed(prepared, trader)).err is None
    assert market.poll() == 1
    token = market.token(created.mint)
    assert token is not None and token.migration is not None
    assert chain.get_balance(created.token.accounts.vault) == chain.minimum_balance_for_rent_exemption(0)

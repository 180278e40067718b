"""The simulated market: curve trades settle on chain with the exact curve amounts, events, migration."""

from __future__ import annotations

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from desk.core import curve
from desk.core.curve import CurveState
from desk.core.market import TOKEN_TOTAL_SUPPLY, EventSource, Side, TokenCreated, Trade
from desk.simnet import pumpwire
from desk.simnet.chain import SimChain
from desk.simnet.events import SimCreate, SimEvent, SimMigration, SimTrade, to_core
from desk.simnet.market import MIGRATION_FEE, SimMarket
from desk.simnet.settlement import MarketError
from desk.simnet.tokens import TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID, token_balance

SOL = 1_000_000_000
RESERVED = TOKEN_TOTAL_SUPPLY - curve.INITIAL_REAL_TOKEN_RESERVES  # tokens kept for the AMM pool


@pytest.fixture
def market(chain: SimChain) -> SimMarket:
    return SimMarket(chain, seed=7)


@pytest.fixture
def events(market: SimMarket) -> list[SimEvent]:
    seen: list[SimEvent] = []
    market.subscribe(seen.append)
    return seen


def funded(chain: SimChain, sol: int = 200) -> Keypair:
    kp = Keypair()
    chain.airdrop(kp.pubkey(), sol * SOL)
    return kp


def assert_settled(chain: SimChain, market: SimMarket, mint: Pubkey) -> None:
    """The curve's vault holds rent + real SOL and its token account real tokens + the pool's reserve."""
    token = market.token(mint)
    assert token is not None
    accounts, state = token.token.accounts, token.state
    reserve = 0 if token.migration else RESERVED
    assert chain.get_balance(accounts.vault) == chain.minimum_balance_for_rent_exemption(0) + state.real_sol
    assert token_balance(chain, accounts.vault, mint) == state.real_token + reserve


@pytest.mark.parametrize("program", [TOKEN_PROGRAM_ID, TOKEN_2022_PROGRAM_ID])
def test_create_with_dev_buy_mints_the_supply_to_the_curve_and_pays_the_dev(
        chain: SimChain, market: SimMarket, events: list[SimEvent], program: Pubkey) -> None:
    creator = funded(chain)
    before = chain.get_balance(creator.pubkey())
    created = market.create_token(creator, name="Moon Cat", symbol="MCAT", dev_buy=2 * SOL, token_program=program)
    expected = curve.buy(CurveState(), 2 * SOL)
    assert created.dev_buy is not None and created.dev_buy.tokens == expected.tokens
    assert created.state == expected.state
    assert events == [created]
    mint_account = chain.get_account(created.mint)
    assert mint_account is not None and mint_account.owner == program
    assert token_balance(chain, creator.pubkey(), created.mint) == expected.tokens
    assert_settled(chain, market, created.mint)
    assert chain.get_balance(creator.pubkey()) < before - expected.buyer_pays  # plus rents and the fee
    assert created.token.accounts.bonding_curve == pumpwire.bonding_curve_address(created.mint)


def test_buys_and_sells_move_exactly_the_curve_amounts(chain: SimChain, market: SimMarket,
                                                       events: list[SimEvent]) -> None:
    created = market.create_token(funded(chain), name="A", symbol="A")
    alice = funded(chain)
    state = created.state
    sol_before = chain.get_balance(alice.pubkey())
    bought = market.buy(alice, created.mint, 3 * SOL)
    fill = curve.buy(state, 3 * SOL)
    assert (bought.tokens, bought.sol, bought.fee, bought.creator_fee) == (fill.tokens, fill.sol, fill.fee,
                                                                          fill.creator_fee)
    assert bought.state == fill.state and bought.new_token_balance == fill.tokens
    sold = market.sell(alice, created.mint, fill.tokens // 2)
    fill2 = curve.sell(fill.state, fill.tokens // 2)
    assert (sold.sol, sold.state, sold.new_token_balance) == (fill2.sol, fill2.state, fill.tokens - fill.tokens // 2)
    ata_rent = chain.minimum_balance_for_rent_exemption(165)
    spent = fill.buyer_pays - fill2.seller_receives + 2 * 10_000 + ata_rent  # two 2-signature transactions
    assert chain.get_balance(alice.pubkey()) == sol_before - spent
    assert_settled(chain, market, created.mint)
    assert [type(e) for e in events] == [SimCreate, SimTrade, SimTrade]
    fees = chain.get_balance(market.fee_recipient) - chain.minimum_balance_for_rent_exemption(0)
    assert fees == fill.fee + fill2.fee


def test_refusals_leave_the_curve_alone(chain: SimChain, market: SimMarket) -> None:
    created = market.create_token(funded(chain), name="A", symbol="A")
    poor = funded(chain, 1)
    with pytest.raises(MarketError, match="failed"):
        market.buy(poor, created.mint, 5 * SOL)
    with pytest.raises(MarketError, match="Slippage"):
        market.buy(funded(chain), created.mint, SOL, min_tokens=10**15)
    with pytest.raises(MarketError, match="does not know"):
        market.buy(poor, Pubkey.new_unique(), SOL)
    with pytest.raises(MarketError, match="does not know"):
        market.quote_buy("not-a-mint", SOL)
    with pytest.raises(MarketError, match="integer"):
        market.quote_buy(created.mint, 1.5)  # type: ignore[arg-type]
    with pytest.raises(MarketError, match="failed"):
        market.sell(poor, created.mint, 1000)  # holds none
    with pytest.raises(MarketError, match="name"):
        market.create_token(poor, name="", symbol="X")
    assert market.curve(created.mint) == CurveState()
    assert market.token("garbage") is None
    assert_settled(chain, market, created.mint)


def test_completing_the_curve_migrates_it_and_stops_curve_trading(chain: SimChain, market: SimMarket,
                                                                  events: list[SimEvent]) -> None:
    created = market.create_token(funded(chain), name="A", symbol="A")
    whale = funded(chain, 500)
    final = market.buy(whale, created.mint, 200 * SOL)
    assert final.state.complete and final.tokens == curve.INITIAL_REAL_TOKEN_RESERVES
    migration = events[-1]
    assert isinstance(migration, SimMigration) and migration.mint == created.mint
    assert migration.pool_sol == final.state.real_sol - MIGRATION_FEE
    assert token_balance(chain, migration.pool, created.mint) == RESERVED
    token = market.token(created.mint)
    assert token is not None and token.migration == migration
    assert_settled(chain, market, created.mint)  # the vault is back to rent, its token account empty
    with pytest.raises(MarketError, match="complete"):
        market.buy(whale, created.mint, SOL)


def test_subscribers_can_leave_and_a_failing_one_does_not_stop_the_market(
        chain: SimChain, market: SimMarket, caplog: pytest.LogCaptureFixture) -> None:
    seen: list[SimEvent] = []
    stop = market.subscribe(seen.append)

    def broken(event: SimEvent) -> None:
        raise RuntimeError("boom")

    market.subscribe(broken)
    created = market.create_token(funded(chain), name="A", symbol="A")
    stop()
    market.buy(funded(chain), created.mint, SOL)
    assert seen == [created]
    assert "subscriber failed" in caplog.text
    caplog.clear()


def test_same_seed_same_keys(chain: SimChain) -> None:
    a, b = SimMarket(chain, seed=3), SimMarket(SimChain(), seed=3)
    assert a.fee_recipient == b.fee_recipient
    assert a.new_keypair().pubkey() == b.new_keypair().pubkey()
    assert SimMarket(SimChain(), seed=4).fee_recipient != a.fee_recipient


def test_curve_accounts_are_written_to_the_bonding_curve_pda(chain: SimChain, market: SimMarket) -> None:
    created = market.create_token(funded(chain), name="A", symbol="A", dev_buy=SOL)
    market.buy(funded(chain), created.mint, SOL)
    market.poll(force_mirror=True)
    account = chain.get_account(created.token.accounts.bonding_curve)
    assert account is not None and account.owner == pumpwire.PUMP_PROGRAM_ID
    state, creator = pumpwire.decode_bonding_curve(bytes(account.data))
    assert state == market.curve(created.mint) and creator == created.token.accounts.creator


def test_core_events_carry_integer_amounts(chain: SimChain, market: SimMarket) -> None:
    created = market.create_token(funded(chain), name="A", symbol="A", dev_buy=SOL)
    core = to_core(created, 123)
    assert isinstance(core, TokenCreated) and created.dev_buy is not None
    assert core.initial_buy == created.dev_buy.tokens
    assert core.sol_amount == SOL and core.source is EventSource.SIMNET and core.received_ms == 123
    trade = to_core(market.buy(funded(chain), created.mint, SOL), 5)
    assert isinstance(trade, Trade) and trade.side is Side.BUY and trade.sol_amount == SOL
    assert trade.v_sol == market.curve(created.mint).virtual_sol  # type: ignore[union-attr]


def test_recent_trades_and_holders(chain: SimChain, market: SimMarket) -> None:
    created = market.create_token(funded(chain), name="A", symbol="A", dev_buy=SOL)
    bob = funded(chain)
    trade = market.buy(bob, created.mint, SOL)
    assert market.recent_trades(created.mint) == [created.dev_buy, trade]
    assert market.recent_trades(created.mint, limit=1) == [trade]
    assert market.recent_trades(created.mint, since_ms=trade.time_ms + 1) == []
    assert market.holders(created.mint)[bob.pubkey()] == trade.tokens
    market.sell(bob, created.mint, trade.tokens)
    assert bob.pubkey() not in market.holders(created.mint)
    assert [t.token.mint for t in market.tokens()] == [created.mint]

"""Token details: on-chain facts, bonding-curve state, holders, market data and safety badges in one object.

On-chain facts come from the configured RPC (the mint and the curve in one ``getMultipleAccounts``, then
the largest accounts, their owners and the creator's accounts); market data from DexScreener and, when
a key is set, Jupiter. Each source degrades on its own: a failure becomes a line in
:attr:`TokenDetails.notes` and unknown fields stay None, so the UI always gets an object.

The model lives in :mod:`desk.engine.token_details` and is re-exported here. Units: amounts are integers
(lamports, token atomic units); prices, market caps and the SOL/USD rate are :class:`~decimal.Decimal`
display values derived from venue figures or reserves, never amounts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from solders.pubkey import Pubkey

from desk.chain.mints import MintFacts, decode_mint, decode_token_account, parse_largest_accounts
from desk.chain.rpc import RpcClient
from desk.chain.rpctypes import RpcError, context_value, parse_token_accounts
from desk.core.clock import now_ms
from desk.core.errors import DeskError, ValidationError
from desk.core.safety import DEFAULT_THRESHOLDS, SafetyFacts, Thresholds, assess
from desk.engine.token_details import CreatorFacts, CurveFacts, Holder, HolderStats, MarketFacts, TokenDetails
from desk.venues.dexscreener.client import DexScreenerClient
from desk.venues.dexscreener.parse import Pair, best_pair
from desk.venues.jupiter.price import WSOL_MINT, JupiterPrice, JupiterPriceClient, PriceStatus
from desk.venues.pumpfun.curve_account import (
    PUMP_AMM_PROGRAM_ID,
    PUMP_PROGRAM_ID,
    BondingCurveAccount,
    associated_bonding_curve,
    bonding_curve_address,
    decode_bonding_curve,
)

log = logging.getLogger(__name__)

__all__ = [
    "CreatorFacts", "CurveFacts", "Holder", "HolderStats", "MarketFacts", "TokenDetails", "TokenInfoService",
    "curve_facts", "share_bps", "sol_usd_from_pairs", "sol_usd_from_ratio",
]

OVERLOADED_CODE = -32603
TOP_N = 10
USDC_MINT = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
USDT_MINT = "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB"
USD_STABLES = frozenset({USDC_MINT, USDT_MINT})
POOL_PROGRAMS = frozenset({str(PUMP_PROGRAM_ID), str(PUMP_AMM_PROGRAM_ID)})
SOL_DECIMALS = 9


def share_bps(amount: int, supply: int | None) -> int | None:
    """Return ``amount`` as basis points of ``supply`` (None for an unknown or zero supply)."""
    return amount * 10_000 // supply if supply else None


def curve_facts(address: Pubkey, token_account: Pubkey, account: BondingCurveAccount, decimals: int) -> CurveFacts:
    """Derive progress, market cap and price from a decoded curve."""
    state = account.to_curve_state()
    priced = account.sol_quoted and account.virtual_token_reserves > 0
    price = (Decimal(account.virtual_quote_reserves) / Decimal(account.virtual_token_reserves)
             * Decimal(10) ** (decimals - SOL_DECIMALS)) if priced else None
    return CurveFacts(str(address), str(token_account), account, account.progress_bps, account.complete,
                      state.market_cap if priced else None, price)


def sol_usd_from_pairs(pairs: list[Pair]) -> Decimal | None:
    """Return SOL's USD price from the most liquid SOL/stablecoin pair, or None."""
    candidates = [p for p in pairs if p.base.address == WSOL_MINT and p.quote.address in USD_STABLES
                  and p.price_usd is not None and p.liquidity and p.liquidity.usd]
    best = max(candidates, key=lambda p: p.liquidity.usd if p.liquidity and p.liquidity.usd else 0, default=None)
    return best.price_usd if best else None


def sol_usd_from_ratio(pair: Pair | None) -> Decimal | None:
    """Return priceUsd / priceNative of a SOL-quoted pair, or None."""
    if pair is None or pair.quote.address != WSOL_MINT or not pair.price_native or pair.price_usd is None:
        return None
    return pair.price_usd / pair.price_native


class TokenInfoService:
    """Assemble :class:`TokenDetails` from the chain and the venues.

    Args:
        rpc: Chain client.
        dexscreener: DexScreener client, or None to skip it.
        jupiter: Jupiter price client, or None to skip it (a client without a key makes no request).
        largest_attempts: Tries of ``getTokenLargestAccounts`` while the node reports -32603 (overloaded).
        retry_delay: First wait between those tries, doubling.
        thresholds: Safety thresholds.
        clock: Milliseconds now.
    """

    def __init__(self, rpc: RpcClient, dexscreener: DexScreenerClient | None = None,
                 jupiter: JupiterPriceClient | None = None, *, largest_attempts: int = 3, retry_delay: float = 1.0,
                 thresholds: Thresholds = DEFAULT_THRESHOLDS, clock: Callable[[], int] = now_ms) -> None:
        self._rpc, self._dex, self._jup = rpc, dexscreener, jupiter
        self._attempts, self._delay = max(1, largest_attempts), retry_delay
        self._thresholds, self._clock = thresholds, clock

    async def details(self, mint: str) -> TokenDetails:
        """Return the details of ``mint``; only a malformed address raises.

        Raises:
            ValidationError: ``mint`` is not a Solana address.
        """
        try:
            key = Pubkey.from_string(mint.strip())
        except ValueError as e:
            raise ValidationError(f"{mint[:60]!r} is not a Solana address.") from e
        notes: list[str] = []
        (facts, curve, holders, creator), market = await asyncio.gather(
            self._chain(key, notes), self._market(str(key), notes))
        if curve and market.pair and market.pair.on_pump_curve and market.pair.pair_address != curve.address:
            notes.append("DexScreener names a different bonding-curve address than the one derived from the mint.")
        price_sol, price_usd, mcap = _prices(facts, curve, market)
        safety = SafetyFacts(
            mint_read=facts is not None, mint_authority=facts.mint_authority if facts else None,
            freeze_authority=facts.freeze_authority if facts else None,
            extensions=facts.extension_names if facts else (),
            transfer_fee_bps=facts.transfer_fee.max_bps if facts and facts.transfer_fee else None,
            transfer_fee_authority=facts.transfer_fee.authority if facts and facts.transfer_fee else None,
            permanent_delegate=facts.permanent_delegate if facts else None,
            transfer_hook_program=facts.transfer_hook_program if facts else None,
            default_frozen=bool(facts and facts.default_frozen),
            non_transferable=bool(facts and facts.non_transferable),
            confidential_transfers=bool(facts and facts.confidential_transfers),
            pausable=bool(facts and facts.pausable_authority), paused=bool(facts and facts.paused),
            top10_bps=holders.top10_bps, top10_unknown_reason=holders.reason,
            creator_bps=creator.bps if creator else None,
            curve_progress_bps=curve.progress_bps if curve else None, graduated=curve.graduated if curve else None,
            mayhem=bool(curve and curve.account.is_mayhem_mode),
        )
        return TokenDetails(str(key), self._clock(), facts, curve, holders, creator, market, price_sol, price_usd,
                            mcap, assess(safety, self._thresholds), tuple(notes))

    # --- chain -------------------------------------------------------------------------------------

    async def _chain(self, mint: Pubkey, notes: list[str]
                     ) -> tuple[MintFacts | None, CurveFacts | None, HolderStats, CreatorFacts | None]:
        curve_key = bonding_curve_address(mint)
        try:
            accounts = await self._rpc.get_multiple_accounts([str(mint), str(curve_key)])
        except DeskError as e:
            notes.append(f"The mint could not be read: {e}")
            return None, None, HolderStats(reason="The node could not be reached."), None
        mint_account, curve_account = accounts.get(str(mint)), accounts.get(str(curve_key))
        if mint_account is None:
            notes.append("No mint account exists at this address on this network.")
            return None, None, HolderStats(reason="The mint does not exist."), None
        try:
            facts = decode_mint(mint_account.owner, mint_account.data)
        except DeskError as e:
            notes.append(str(e))
            return None, None, HolderStats(reason="The address is not a token mint."), None
        curve_token = associated_bonding_curve(curve_key, mint, Pubkey.from_string(facts.program))
        curve = None
        if curve_account is not None:
            if curve_account.owner != str(PUMP_PROGRAM_ID):
                notes.append("The bonding-curve address holds an account not owned by the pump.fun program.")
            else:
                try:
                    decoded = decode_bonding_curve(curve_account.data)
                    curve = curve_facts(curve_key, curve_token, decoded, facts.decimals)
                except DeskError as e:
                    notes.append(str(e))
        creator_addr = curve.account.creator if curve else None
        holders, creator = await asyncio.gather(
            self._holders(mint, facts, curve_key, curve_token, notes),
            self._creator(mint, creator_addr, facts.supply, notes))
        return facts, curve, holders, creator

    async def _largest(self, mint: Pubkey) -> Any:
        for attempt in range(self._attempts):
            try:
                return await self._rpc.call("getTokenLargestAccounts", [str(mint), {"commitment": "confirmed"}])
            except RpcError as e:
                if e.code != OVERLOADED_CODE or attempt + 1 == self._attempts:
                    raise
                log.info("getTokenLargestAccounts overloaded (try %d of %d)", attempt + 1, self._attempts)
                await asyncio.sleep(self._delay * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _holders(self, mint: Pubkey, facts: MintFacts, curve: Pubkey, curve_token: Pubkey,
                       notes: list[str]) -> HolderStats:
        if facts.supply == 0:
            return HolderStats(reason="The token has no supply yet.")
        try:
            rows = parse_largest_accounts(await self._largest(mint))
            accounts = await self._rpc.get_multiple_accounts([a for a, _ in rows])
            owners = {a: (t.owner if acct and (t := decode_token_account(acct.owner, acct.data)) else None)
                      for a, acct in accounts.items()}
            distinct = sorted({o for o in owners.values() if o})
            owner_accounts = await self._rpc.get_multiple_accounts(distinct, data=False) if distinct else {}
        except RpcError as e:
            reason = ("The node's account index is overloaded; top holders unknown." if e.code == OVERLOADED_CODE
                      else f"Top holders could not be read: {e}")
            notes.append(reason)
            return HolderStats(reason=reason)
        except DeskError as e:
            notes.append(f"Top holders could not be read: {e}")
            return HolderStats(reason="The node could not serve the largest holders.")
        pool_owned = {o for o, acct in owner_accounts.items() if acct and acct.owner in POOL_PROGRAMS}
        counted: list[Holder] = []
        excluded: list[Holder] = []
        for address, amount in sorted(rows, key=lambda r: -r[1]):
            owner = owners.get(address)
            holder = Holder(address, owner, amount, share_bps(amount, facts.supply) or 0)
            is_pool = address == str(curve_token) or owner == str(curve) or owner in pool_owned
            (excluded if is_pool else counted).append(holder)
        top = tuple(counted[:TOP_N])
        total = sum(h.amount for h in top)
        return HolderStats(top, total, share_bps(total, facts.supply), tuple(excluded))

    async def _creator(self, mint: Pubkey, creator: str | None, supply: int, notes: list[str]) -> CreatorFacts | None:
        if creator is None:
            return None
        try:
            result = await self._rpc.call("getTokenAccountsByOwner", [
                creator, {"mint": str(mint)}, {"encoding": "jsonParsed", "commitment": "confirmed"}])
            balances = parse_token_accounts(context_value(result, "token account list"), creator)
        except DeskError as e:
            notes.append(f"The creator's holdings could not be read: {e}")
            return None
        amount = sum(b.amount for b in balances if b.mint == str(mint))
        return CreatorFacts(creator, amount, share_bps(amount, supply))

    # --- venues ------------------------------------------------------------------------------------

    async def _market(self, mint: str, notes: list[str]) -> MarketFacts:
        pairs, (jupiter, status, jup_sol) = await asyncio.gather(self._pairs(mint, notes), self._jupiter(mint, notes))
        mine = [p for p in pairs if p.base.address == mint]
        pair = best_pair(mine, mint)
        sol_usd, source = jup_sol, "jupiter" if jup_sol is not None else ""
        if sol_usd is None and (sol_usd := sol_usd_from_pairs(pairs)) is not None:
            source = "dexscreener-sol-pair"
        if sol_usd is None and (sol_usd := sol_usd_from_ratio(pair)) is not None:
            source = "dexscreener-ratio"
        return MarketFacts(pair, len(mine), jupiter, status, sol_usd, source)

    async def _pairs(self, mint: str, notes: list[str]) -> list[Pair]:
        if self._dex is None:
            return []
        try:
            return await self._dex.token_pairs([mint, WSOL_MINT])
        except DeskError as e:
            notes.append(str(e))
            return []

    async def _jupiter(self, mint: str, notes: list[str]) -> tuple[JupiterPrice | None, str, Decimal | None]:
        if self._jup is None:
            return None, "off", None
        result = await self._jup.prices([mint, WSOL_MINT])
        if result.status not in (PriceStatus.OK, PriceStatus.NO_KEY):
            notes.append(result.message)
        return result.prices.get(mint), str(result.status), result.usd(WSOL_MINT)


def _prices(facts: MintFacts | None, curve: CurveFacts | None, market: MarketFacts
            ) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    """Pick price in SOL, price in USD and USD market cap: live curve first, then Jupiter, then DexScreener."""
    pair = market.pair
    live_curve = curve is not None and not curve.graduated and curve.price_sol is not None
    price_sol = curve.price_sol if live_curve and curve else None
    if price_sol is None and pair and pair.quote.address == WSOL_MINT:
        price_sol = pair.price_native
    price_usd: Decimal | None = None
    if live_curve and price_sol is not None and market.sol_usd is not None:
        price_usd = price_sol * market.sol_usd
    elif market.jupiter is not None:
        price_usd = market.jupiter.usd_price
    elif pair and pair.price_usd is not None:
        price_usd = pair.price_usd
    elif price_sol is not None and market.sol_usd is not None:
        price_usd = price_sol * market.sol_usd
    if price_usd is not None and facts is not None:
        mcap: Decimal | None = price_usd * Decimal(facts.supply) / Decimal(10) ** facts.decimals
    else:
        mcap = pair.market_cap_usd if pair else None
    return price_sol, price_usd, mcap

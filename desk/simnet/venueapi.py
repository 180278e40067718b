"""PumpPortal's trading endpoints for the simulated market: trade-local, Lightning and create-wallet.

The request logic behind ``venues.VenueServer``, separate from HTTP (``handle`` takes the method,
target, media type, body and client address and returns a ``Reply``):

* ``POST /api/trade-local``: one request → the raw bytes of a ``VersionedTransaction`` whose fee payer
  and first signer is ``publicKey`` with an empty (default) signature, already signed by the curve
  vault. A JSON array of 1-5 requests (a Jito bundle) → a JSON array of base58 transactions; the first
  request's ``priorityFee`` becomes a Jito tip (a System transfer to ``JITO_TIP_ACCOUNT``) and every
  other priority fee is ignored, as PumpPortal documents.
* ``POST /api/trade?api-key=KEY`` (Lightning): the same trade, signed with the custodial wallet of KEY
  and sent to the chain at once → ``{"signature": ..., "errors": []}`` or ``{"errors": [...]}``.
* ``GET /api/create-wallet`` → ``{"apiKey", "walletPublicKey", "privateKey"}``; the venue keeps the key
  pair (the same trust model as PumpPortal's custodial wallets).

Every trade is reserved on the curve when it is built (``SimMarket.prepare_external``): the fill is
exact curve arithmetic, and the slippage is applied as the minimum the reservation must get (tokens
for buys, lamports after curve fees for sells), so a build that races another trade is refused rather
than mispriced. A transaction the desk never sends is released once its blockhash expires. The venue's
own fee is a System transfer from the trader to ``PUMPPORTAL_FEE_ACCOUNT``, after the trade:
``LOCAL_FEE_BPS`` (0.5%) of the curve SOL (before pump.fun's fees; for a sell, of the gross proceeds) for
trade-local, ``LIGHTNING_FEE_BPS`` (1%) for Lightning. Each request first settles or releases finished
reservations (``SimMarket.poll``), so a sell rebuilt after its unsent transaction expired sees its tokens.

Transaction layout (signers: the trader, slot 0 and fee payer; the curve vault, slot 1, signed):

* buy: [compute-unit limit and price], create the trader's token account (idempotent), System transfers
  trader → curve vault (curve SOL), → fee recipient (0.95%), → creator vault (0.30%), token
  ``transfer_checked`` curve → trader (authority: the vault), trader → ``PUMPPORTAL_FEE_ACCOUNT``.
* sell: [compute-unit limit and price], token ``transfer_checked`` trader → curve (authority: the trader),
  System transfers vault → trader (proceeds after curve fees), vault → fee recipient, vault → creator
  vault, then trader → ``PUMPPORTAL_FEE_ACCOUNT``. The only SOL leaving the trader is the venue fee.
* a bundle's first transaction adds trader → ``JITO_TIP_ACCOUNT``; bundled transactions set no
  compute-unit price.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from solders.keypair import Keypair
from solders.message import to_bytes_versioned
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from desk.core.market import Side
from desk.simnet.external import PreparedTrade
from desk.simnet.market import SimMarket
from desk.simnet.records import SimnetError, b58encode, err_to_json
from desk.simnet.settlement import MarketError, pay
from desk.simnet.tokens import token_balance
from desk.simnet.tradeform import (
    FULL_BPS,
    AmountKind,
    Reply,
    TradeForm,
    VenueRequestError,
    parse_body,
    parse_trade,
)

log = logging.getLogger(__name__)

# Where the simnet's PumpPortal fee goes. Off the ed25519 curve, so nobody holds its key; funded with
# the rent-exempt minimum at start so that any fee transfer to it succeeds.
PUMPPORTAL_FEE_ACCOUNT = Pubkey.from_string("SimnetPumpPortaLFee111111111111111111111111")
# The first of Jito's published tip accounts; a bundle's tip goes here.
JITO_TIP_ACCOUNT = Pubkey.from_string("96gYZGLnJYVFmbjzopPSU6QiEV5fGqZNyN9nmNhvrZU5")
LOCAL_FEE_BPS = 50
LIGHTNING_FEE_BPS = 100
MAX_BUNDLE = 5
PUMPPORTAL_RATE_LIMIT = 25  # requests per second per IP, as PumpPortal publishes
MAX_WALLETS = 100_000
COMPUTE_UNIT_LIMIT = 100_000


class RateLimiter:
    """A sliding one-second window of requests per client address.

    Args:
        per_second: Requests each address may make in any one second.
        clock: Monotonic seconds.
    """

    def __init__(self, per_second: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_second, self._clock = per_second, clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        """Count one request from ``client``; return False if it is over the limit (not counted then)."""
        now = self._clock()
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen = {k: v for k, v in self._seen.items() if v and v[-1] > now - 1}
            window = self._seen.setdefault(client, deque())
            while window and window[0] <= now - 1:
                window.popleft()
            if len(window) >= self.per_second:
                return False
            window.append(now)
            return True


class PumpPortalVenue:
    """The PumpPortal trading API over a ``SimMarket``.

    Args:
        market: The market trades settle on.
        rate_limit: Requests per second per client address (``PUMPPORTAL_RATE_LIMIT`` is PumpPortal's);
            None = unlimited.
        clock: Monotonic seconds, for the rate limit.
    """

    def __init__(self, market: SimMarket, *, rate_limit: int | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.market = market
        self._limiter = RateLimiter(rate_limit, clock=clock) if rate_limit else None
        self._wallets: dict[str, Keypair] = {}
        self._lock = threading.Lock()
        chain = market.chain
        rent = chain.minimum_balance_for_rent_exemption(0)
        for account in (PUMPPORTAL_FEE_ACCOUNT, JITO_TIP_ACCOUNT):
            if chain.get_balance(account) < rent:
                chain.airdrop(account, rent)

    # --- routing ----------------------------------------------------------------------------------------

    def handle(self, method: str, target: str, content_type: str, body: bytes, client: str = "") -> Reply:
        """Answer one HTTP request (never raises for anything a client sends)."""
        if self._limiter is not None and not self._limiter.allow(client):
            return Reply.text(f"Too many requests: at most {self._limiter.per_second} per second.", 429)
        parts = urlsplit(target)
        route = {("POST", "/api/trade-local"): lambda: self.trade_local(content_type, body),
                 ("POST", "/api/trade"): lambda: self.lightning(parts.query, content_type, body),
                 ("GET", "/api/create-wallet"): self.create_wallet}
        path = parts.path.rstrip("/")
        action = route.get((method, path))
        if action is None:
            known = any(p == path for _, p in route)
            return Reply.text("Method not allowed" if known else "Not found", 405 if known else 404)
        try:
            return action()
        except VenueRequestError as e:
            return e.reply
        except Exception:
            log.exception("simnet PumpPortal %s %s failed", method, path)
            return Reply.text("Internal server error", 500)

    # --- trade-local ------------------------------------------------------------------------------------

    def trade_local(self, content_type: str, body: bytes) -> Reply:
        """Build one transaction (raw bytes) or a bundle (a JSON array of base58 transactions).

        Raises:
            VenueRequestError: The request was refused.
        """
        payload = parse_body(content_type, body)
        self.market.poll()  # release expired reservations first: a rebuilt sell must see its tokens again
        if not isinstance(payload, list):
            form = parse_trade(payload)
            prepared = self.prepare(form, _trader(form), fee_bps=LOCAL_FEE_BPS)
            return Reply(200, "application/octet-stream", bytes(prepared.transaction))
        if not 1 <= len(payload) <= MAX_BUNDLE:
            raise VenueRequestError(f"A bundle holds 1 to {MAX_BUNDLE} transactions, not {len(payload)}.")
        forms = [parse_trade(item) for item in payload]
        built: list[PreparedTrade] = []
        try:
            for index, form in enumerate(forms):
                built.append(self.prepare(form, _trader(form), fee_bps=LOCAL_FEE_BPS, priority=False,
                                          tip=form.priority_fee if index == 0 else 0))
        except BaseException:
            for prepared in built:  # never handed out: give the curve back at once
                self.market.cancel_external(prepared)
            raise
        return Reply.json([b58encode(bytes(p.transaction)) for p in built])

    def prepare(self, form: TradeForm, trader: Pubkey, *, fee_bps: int, priority: bool = True,
                tip: int = 0) -> PreparedTrade:
        """Reserve ``form``'s trade for ``trader`` and return its vault-signed transaction.

        Args:
            form: The checked request.
            trader: The wallet that trades and pays.
            fee_bps: The venue's fee on the curve SOL, paid to ``PUMPPORTAL_FEE_ACCOUNT``.
            priority: Set the compute-unit price from ``form.priority_fee`` (bundles: no).
            tip: Lamports of Jito tip to ``JITO_TIP_ACCOUNT`` (0 = none).

        Raises:
            VenueRequestError: Unknown or graduated mint, nothing to sell, too little in the curve or the
                wallet, or the slippage bound (JSON answers).
        """
        market = self.market
        token = market.token(form.mint)
        if token is None:
            raise VenueRequestError(f"Unknown mint {form.mint}: no such token on the simnet market.", as_json=True)
        if token.state.complete or token.migration is not None:
            raise VenueRequestError(f"The bonding curve of {form.mint} is complete; pump-amm pools are not on "
                                    "simnet.", as_json=True)
        try:
            amount, expected, fee_base = self._size(form, trader)
            minimum = expected * max(0, FULL_BPS - form.slippage_bps) // FULL_BPS
            extra = []
            if fee := fee_base * fee_bps // FULL_BPS:
                extra.append(pay(trader, PUMPPORTAL_FEE_ACCOUNT, fee))
            if tip:
                extra.append(pay(trader, JITO_TIP_ACCOUNT, tip))
            return market.prepare_external(trader, form.mint, form.side, amount,
                                           priority_fee=form.priority_fee if priority else 0,
                                           compute_unit_limit=COMPUTE_UNIT_LIMIT, minimum=minimum,
                                           extra_instructions=extra)
        except MarketError as e:
            raise VenueRequestError(str(e), as_json=True) from None

    def _size(self, form: TradeForm, trader: Pubkey) -> tuple[int, int, int]:
        """Return (curve amount: lamports in or tokens out, expected output, SOL the fee is charged on)."""
        market = self.market
        if form.side is Side.BUY:
            lamports = form.amount if form.kind is AmountKind.SOL else self._cost_of(form)
            quote = market.quote_buy(form.mint, lamports)
            expected = quote.tokens if form.kind is AmountKind.SOL else form.amount
            return lamports, expected, quote.sol
        held = token_balance(market.chain, trader, form.mint) + market.reserved_tokens(trader, form.mint)
        if held <= 0:
            raise VenueRequestError(f"The wallet {trader} holds no tokens of {form.mint}.", as_json=True)
        if form.kind is AmountKind.PERCENT:
            tokens = held * form.amount // FULL_BPS
        elif form.kind is AmountKind.TOKENS:
            tokens = form.amount
        else:
            tokens = self._tokens_for(form)
        if tokens <= 0:
            raise VenueRequestError("That sell comes to less than one token unit.", as_json=True)
        if tokens > held:
            raise VenueRequestError(f"The wallet {trader} holds {held} token units of {form.mint}, fewer than "
                                    f"the {tokens} to sell.", as_json=True)
        quote = market.quote_sell(form.mint, tokens)
        return tokens, quote.seller_receives, quote.sol

    def _cost_of(self, form: TradeForm) -> int:
        """Lamports (before fees) that buy at least ``form.amount`` tokens now, capped at what is left."""
        state = self.market.curve(form.mint)
        if state is None:
            raise MarketError(f"The market does not know the mint {form.mint}.")
        tokens = min(form.amount, state.real_token)
        if tokens <= 0:
            raise MarketError("The bonding curve has no tokens left.")
        return -(-tokens * state.virtual_sol // (state.virtual_token - tokens))

    def _tokens_for(self, form: TradeForm) -> int:
        """Tokens whose sale yields at least ``form.amount`` lamports from the curve (before its fees)."""
        state = self.market.curve(form.mint)
        if state is None:
            raise MarketError(f"The market does not know the mint {form.mint}.")
        if form.amount > state.real_sol:
            raise MarketError("The curve holds too little SOL for that sell.")
        return -(-form.amount * state.virtual_token // (state.virtual_sol - form.amount))

    # --- Lightning --------------------------------------------------------------------------------------

    def lightning(self, query: str, content_type: str, body: bytes) -> Reply:
        """Trade from the wallet of the query's ``api-key``: build, sign and send at once."""
        key = (parse_qs(query).get("api-key") or [""])[-1]
        with self._lock:
            wallet = self._wallets.get(key)
        if wallet is None:
            return Reply.json({"errors": ["Invalid API key"]}, 401)
        try:
            payload = parse_body(content_type, body)
            if isinstance(payload, list):
                raise VenueRequestError("Lightning takes one trade per request.")
            form = parse_trade(payload, need_public_key=False)
            self.market.poll()
            prepared = self.prepare(form, wallet.pubkey(), fee_bps=LIGHTNING_FEE_BPS)
        except VenueRequestError as e:
            return Reply.json({"errors": [e.message]}, e.status)
        tx = prepared.transaction
        payload_bytes = to_bytes_versioned(tx.message)
        signatures = [wallet.sign_message(payload_bytes) if i == 0 else sig for i, sig in enumerate(tx.signatures)]
        signed = VersionedTransaction.populate(tx.message, signatures)
        try:
            result = self.market.chain.send_transaction(signed, preflight=not form.skip_preflight)
        except SimnetError as e:
            self.market.cancel_external(prepared)
            return Reply.json({"errors": [f"Transaction rejected: {e}"]}, 400)
        if result.record is None:
            self.market.cancel_external(prepared)
            return Reply.json({"errors": [f"Transaction failed: {json.dumps(err_to_json(result.err))}"]}, 400)
        self.market.poll()  # publish (or release) the trade now rather than on the traders' next tick
        signature = str(result.signature)
        if result.err is not None:
            return Reply.json({"signature": signature,
                               "errors": [f"Transaction failed on chain: {json.dumps(err_to_json(result.err))}"]})
        return Reply.json({"signature": signature, "errors": []})

    # --- wallets ----------------------------------------------------------------------------------------

    def create_wallet(self) -> Reply:
        """Create a custodial wallet and its API key; answer all three, as PumpPortal does."""
        keypair = Keypair()
        api_key = secrets.token_urlsafe(32)
        with self._lock:
            if len(self._wallets) >= MAX_WALLETS:
                return Reply.text("Too many wallets on this simnet.", 503)
            self._wallets[api_key] = keypair
        return Reply.json({"apiKey": api_key, "walletPublicKey": str(keypair.pubkey()), "privateKey": str(keypair)})

    def wallet(self, api_key: str) -> Keypair | None:
        """Return the custodial wallet of ``api_key``, or None."""
        with self._lock:
            return self._wallets.get(api_key)


def _trader(form: TradeForm) -> Pubkey:
    if form.public_key is None:
        raise VenueRequestError("publicKey is required.")
    return form.public_key

"""Simulated traders: simnet-held wallets that launch tokens and trade them on the simulated market.

They use only ``SimMarket``'s public API, with keys funded from the faucet. Activity is random but
reproducible: every choice comes from one ``random.Random(seed)``. Drive it by hand with
``step(creates=, trades=)`` (exact counts, no sleeping: for tests) or ``tick(seconds)`` (Poisson
arrivals at the configured rates), or ``start()`` a thread that ticks in real time and also runs
``market.poll()``.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from dataclasses import dataclass

from solders.keypair import Keypair
from solders.pubkey import Pubkey

from desk.simnet.events import SimCreate, SimTrade
from desk.simnet.market import SOL, SimMarket
from desk.simnet.settlement import MarketError, pubkey_of
from desk.simnet.tokens import TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID

log = logging.getLogger(__name__)

_ADJECTIVES = ("Based", "Moon", "Tiny", "Giga", "Sad", "Happy", "Turbo", "Frog", "Cyber", "Lazy", "Golden", "Wild",
               "Sleepy", "Angry", "Retro", "Cosmic")
_NOUNS = ("Cat", "Dog", "Pepe", "Hat", "Whale", "Ape", "Duck", "Toad", "Coin", "Bean", "Rocket", "Goblin", "Panda",
          "Shrimp", "Llama", "Wizard")
_SELL_FRACTIONS = (0.25, 0.5, 1.0)
_RUNNER_SELL_FRACTIONS = (0.1, 0.2)
_COOLING = 0.99  # every launch cools the other tokens: interest moves on, hot tokens last longer
_BUY_HEATING, _SELL_COOLING = 1.01, 0.99  # buying draws a crowd, selling thins it


@dataclass(frozen=True, slots=True)
class Activity:
    """How busy the simulated market is.

    Attributes:
        seed: Seeds every random choice and trader key. None = different every run.
        traders: Simulated wallets.
        creates_per_minute: Mean token launches per minute (Poisson).
        trades_per_second: Mean curve trades per second (Poisson).
        max_active_tokens: Tokens still being traded; beyond it the coldest goes quiet.
        max_tokens: Tokens the market keeps in memory.
        dev_buy_probability: Share of launches with a dev buy.
        runner_share: Share of launches that draw steady buying and usually complete their curve.
        token_2022_share: Share of launches on Token-2022 (the rest on SPL Token).
        trader_lamports: Each trader's starting SOL, and its refill when short.
        tick_interval: Seconds between ticks of the background thread.
    """

    seed: int | None = None
    traders: int = 24
    creates_per_minute: float = 12.0
    trades_per_second: float = 4.0
    max_active_tokens: int = 24
    max_tokens: int = 2000
    dev_buy_probability: float = 0.7
    runner_share: float = 0.15
    token_2022_share: float = 0.5
    trader_lamports: int = 100 * SOL
    tick_interval: float = 0.1


@dataclass
class _Mood:
    bias: float  # probability that a trade is a buy
    heat: float  # how often the token is picked
    size: float  # median buy in SOL
    runner: bool = False  # holders take small profits instead of dumping


class SimTraders:
    """The simulated crowd trading on a ``SimMarket``.

    Args:
        market: The market to trade on.
        activity: Rates and sizes.
    """

    def __init__(self, market: SimMarket, activity: Activity | None = None) -> None:
        self.market = market
        self.activity = activity or Activity()
        # Reproducible behaviour and keys; simnet keys only ever hold simnet SOL.
        seed = self.activity.seed
        self._rng = random.Random(f"simnet-traders/{seed}" if seed is not None else None)  # noqa: S311
        self._wallets = [Keypair.from_seed(self._rng.randbytes(32)) for _ in range(self.activity.traders)]
        for wallet in self._wallets:
            market.chain.airdrop(wallet.pubkey(), self.activity.trader_lamports)
        self._keys = {w.pubkey(): w for w in self._wallets}
        self._active: dict[Pubkey, _Mood] = {}
        self._lock = threading.Lock()
        self._time = 0.0
        self._next_create = self._after(self.activity.creates_per_minute / 60)
        self._next_trade = self._after(self.activity.trades_per_second)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    @property
    def wallets(self) -> list[Pubkey]:
        """The simulated traders' public keys."""
        return list(self._keys)

    # --- driving --------------------------------------------------------------------------------------

    def step(self, *, creates: int = 0, trades: int = 0) -> list[SimCreate | SimTrade]:
        """Launch exactly ``creates`` tokens and make exactly ``trades`` trades (a launch first if none is active).

        Returns:
            The creates and trades, in order (migrations they caused are published to subscribers).

        Raises:
            MarketError: Activity failed repeatedly (e.g. the chain refuses every transaction).
        """
        with self._lock:
            done: list[SimCreate | SimTrade] = []
            failures = 0
            while creates or trades:
                event = self._create() if creates else self._trade()
                if event is None:
                    failures += 1
                    if failures > 20 + len(done):
                        raise MarketError("The simulated traders could not trade (every attempt failed).")
                    continue
                done.append(event)
                if creates:
                    creates -= 1
                elif isinstance(event, SimTrade):
                    trades -= 1
            return done

    def tick(self, seconds: float) -> int:
        """Advance simulated time by ``seconds`` and act on every launch and trade due; return how many."""
        with self._lock:
            self._time += seconds
            count = 0
            for _ in range(100_000):
                due_create = self._next_create <= self._time
                due_trade = self._next_trade <= self._time
                if not (due_create or due_trade):
                    break
                if due_create and (not due_trade or self._next_create <= self._next_trade):
                    self._next_create += self._after(self.activity.creates_per_minute / 60)
                    count += self._create() is not None
                else:
                    self._next_trade += self._after(self.activity.trades_per_second)
                    count += self._trade() is not None
            else:  # far behind (a stalled thread): skip the backlog rather than burst
                self._next_create = self._time + self._after(self.activity.creates_per_minute / 60)
                self._next_trade = self._time + self._after(self.activity.trades_per_second)
            return count

    def start(self) -> SimTraders:
        """Tick in real time (and poll the market) from a daemon thread; returns self."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="simnet-traders", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the background thread."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join(timeout=10)

    def _run(self) -> None:
        last = time.monotonic()
        while not self._stop.wait(self.activity.tick_interval):
            now = time.monotonic()
            try:
                self.tick(now - last)
                self.market.poll()
                if self.market.token_count() > self.activity.max_tokens:
                    self.market.forget(self.activity.max_tokens)
            except Exception:
                log.exception("simnet traders tick failed")
            last = now

    def _after(self, rate: float) -> float:
        return self._rng.expovariate(rate) if rate > 0 else math.inf

    # --- behaviour ------------------------------------------------------------------------------------

    def _create(self) -> SimCreate | None:
        rng = self._rng
        creator = rng.choice(self._wallets)
        adjective, noun = rng.choice(_ADJECTIVES), rng.choice(_NOUNS)
        symbol = (adjective[:2] + noun[:3]).upper()
        dev_buy = 0
        if rng.random() < self.activity.dev_buy_probability:
            dev_buy = int(min(4.0, max(0.05, rng.lognormvariate(math.log(0.5), 0.8))) * SOL)
        program = TOKEN_2022_PROGRAM_ID if rng.random() < self.activity.token_2022_share else TOKEN_PROGRAM_ID
        if rng.random() < self.activity.runner_share:  # a runner: bought hard until it migrates
            mood = _Mood(bias=rng.uniform(0.75, 0.85), heat=rng.lognormvariate(1, 0.5), size=1.0, runner=True)
        else:
            mood = _Mood(bias=rng.uniform(0.35, 0.65), heat=rng.lognormvariate(0, 1), size=0.25)
        self._refill(creator, dev_buy)
        try:
            event = self.market.create_token(creator, name=f"{adjective} {noun}", symbol=symbol, dev_buy=dev_buy,
                                             token_program=program)
        except MarketError as e:
            log.debug("simulated create failed: %s", e)
            return None
        for other in self._active.values():
            other.heat *= _COOLING
        self._active[event.mint] = mood
        while len(self._active) > self.activity.max_active_tokens:  # the coldest token goes quiet
            del self._active[min(self._active, key=lambda mint: self._active[mint].heat)]
        return event

    def _trade(self) -> SimTrade | SimCreate | None:
        rng = self._rng
        live = [(mint, mood) for mint, mood in list(self._active.items()) if self._tradable(mint)]
        if not live:
            return self._create()
        mint, mood = rng.choices(live, weights=[mood.heat for _, mood in live])[0]
        holders = [(key, amount) for key, amount in self.market.holders(mint).items() if key in self._keys]
        try:
            if holders and rng.random() >= mood.bias:
                key, balance = rng.choice(holders)
                fraction = rng.choice(_RUNNER_SELL_FRACTIONS if mood.runner else _SELL_FRACTIONS)
                tokens = max(1, int(balance * fraction))
                mood.heat = max(0.01, mood.heat * _SELL_COOLING)
                return self.market.sell(self._keys[key], mint, tokens)
            trader = rng.choice(self._wallets)
            lamports = int(min(5.0, max(0.01, rng.lognormvariate(math.log(mood.size), 1.0))) * SOL)
            self._refill(trader, lamports)
            mood.heat = min(50.0, mood.heat * _BUY_HEATING)
            return self.market.buy(trader, mint, lamports)
        except MarketError as e:
            log.debug("simulated trade on %s failed: %s", mint, e)
            return None

    def _tradable(self, mint: Pubkey) -> bool:
        state = self.market.curve(mint)
        if state is None or state.complete:
            self._active.pop(mint, None)
            return False
        return True

    def _refill(self, wallet: Keypair, spend: int) -> None:
        need = spend * 2 + SOL // 10
        key = pubkey_of(wallet)
        if self.market.chain.get_balance(key) < need:
            self.market.chain.airdrop(key, max(self.activity.trader_lamports, need))

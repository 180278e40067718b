"""FIFO positions equal a brute-force reference and ignore repeated fills."""

from __future__ import annotations

from collections import deque
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from desk.core.market import Side
from desk.core.positions import Position, TradeFill


def fill(i: int, side: Side, tokens: int, sol: int, fee: int = 5000) -> TradeFill:
    return TradeFill("simnet", f"sig{i}", 0, "w", "mint", side, tokens, sol, network_fee=fee)


def reference(fills: list[TradeFill]) -> tuple[Fraction, int]:
    """Brute force: one queue entry per token unit, each carrying its exact (fractional) cost."""
    units: deque[Fraction] = deque()
    realized = Fraction(0)
    for f in fills:
        if f.side is Side.BUY:
            units.extend([Fraction(f.sol + f.fees, f.tokens)] * f.tokens)
        else:
            cost = sum((units.popleft() for _ in range(min(f.tokens, len(units)))), Fraction(0))
            realized += f.sol - f.fees - cost
    return realized, len(units)


trades = st.lists(st.tuples(st.booleans(), st.integers(1, 400), st.integers(0, 10**10)), max_size=40)


@given(trades)
def test_fifo_matches_reference(ops: list[tuple[bool, int, int]]) -> None:
    fills, held = [], 0
    for i, (is_buy, tokens, sol) in enumerate(ops):
        if not is_buy:
            if held == 0:
                continue
            tokens = min(tokens, held)
        held += tokens if is_buy else -tokens
        fills.append(fill(i, Side.BUY if is_buy else Side.SELL, tokens, sol))
    position = Position("mint")
    for f in fills:
        position.apply(f)
    realized, held_tokens = reference(fills)
    sells = sum(f.side is Side.SELL for f in fills)
    assert position.tokens == held_tokens == held
    # integer lots round each partial take down by < 1 lamport; a flat position has no rounding left
    assert abs(position.realized - realized) <= sells
    if held == 0:
        assert position.realized == realized


@given(trades)
def test_applying_every_fill_twice_changes_nothing(ops: list[tuple[bool, int, int]]) -> None:
    fills = [fill(i, Side.BUY if b else Side.SELL, t, s) for i, (b, t, s) in enumerate(ops)]
    once, twice = Position("mint"), Position("mint")
    for f in fills:
        once.apply(f)
    for f in fills + fills:
        twice.apply(f)
    assert (once.realized, once.tokens, once.fees) == (twice.realized, twice.tokens, twice.fees)


@given(st.lists(st.tuples(st.integers(1, 10**9), st.integers(0, 10**10)), min_size=1, max_size=20),
       st.lists(st.integers(0, 10**10), min_size=1, max_size=5))
def test_full_round_trip_realizes_sol_out_minus_sol_in(buys: list[tuple[int, int]], sells: list[int]) -> None:
    position, i, total = Position("mint"), 0, 0
    for tokens, sol in buys:
        position.apply(fill(i := i + 1, Side.BUY, tokens, sol))
        total += tokens
    for n, sol in enumerate(sells):
        part = total if n == len(sells) - 1 else total // len(sells)
        if part == 0:
            continue
        position.apply(fill(i := i + 1, Side.SELL, part, sol))
        total -= part
    assert position.tokens == 0
    assert position.realized == position.sol_out - position.sol_in

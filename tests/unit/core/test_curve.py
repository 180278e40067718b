"""pump.fun curve arithmetic matches recorded chain data and conserves the invariant."""

from hypothesis import given
from hypothesis import strategies as st

from desk.core.curve import INITIAL_REAL_TOKEN_RESERVES, CurveState, buy, sell


def test_dev_buy_of_recorded_create_matches_the_message() -> None:
    # samples/pumpportal_ws/04_create_pump_full.json: solAmount 4.938271603 -> initialBuy 151660777.334045
    fill = buy(CurveState(), 4_938_271_603)
    assert fill.tokens == 151_660_777_334_045
    assert fill.state.market_cap == 37_921_181_193  # marketCapSol 37.921181193...


def test_initial_market_cap_is_about_28_sol() -> None:
    assert CurveState().market_cap == 27_958_993_476


def test_buying_everything_completes_the_curve() -> None:
    fill = buy(CurveState(), 10**15)
    assert fill.tokens == INITIAL_REAL_TOKEN_RESERVES and fill.state.complete
    assert 84_000_000_000 < fill.sol < 86_000_000_000  # about 85.005 SOL real


@given(st.lists(st.tuples(st.booleans(), st.integers(1, 5 * 10**9)), max_size=40))
def test_round_trips_never_create_sol(trades: list[tuple[bool, int]]) -> None:
    state, held = CurveState(), 0
    for is_buy, amount in trades:
        if state.complete:
            break
        if is_buy:
            fill = buy(state, amount)
            held += fill.tokens
        elif held:
            fill = sell(state, min(held, amount * 1000))
            held -= fill.tokens
        else:
            continue
        state = fill.state
        assert state.virtual_sol * state.virtual_token >= 30_000_000_000 * 1_073_000_000_000_000 - state.virtual_token
    if held and not state.complete:
        state = sell(state, held).state
    assert state.real_sol >= 0

"""Pure domain of the desk: frozen dataclasses and arithmetic, stdlib only."""

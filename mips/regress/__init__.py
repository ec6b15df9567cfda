"""Regression: exact rules fitted on discrete states (affine maps, rules by enumeration,
symbolic and Boolean formulas, a state machine rewritten on integer coordinates)."""

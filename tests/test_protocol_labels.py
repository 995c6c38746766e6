"""Attempt labels and the "is this object mine" filter: one rule for both sides."""

from __future__ import annotations

from kurtosis_tui import protocol


def test_attempt_labels_carry_run_test_attempt_role_and_owner() -> None:
    labels = protocol.attempt_labels("r1", "T", 2, "service", "h:1:2", **{"x": "y"})
    assert labels == {
        protocol.LABEL_RUN: "r1",
        protocol.LABEL_TEST: "T",
        protocol.LABEL_ATTEMPT: "2",
        protocol.LABEL_ROLE: "service",
        protocol.LABEL_OWNER: "h:1:2",
        "x": "y",
    }
    assert protocol.LABEL_OWNER not in protocol.attempt_labels("r1", "T", 2, "volume")


def test_of_attempt_tells_this_attempt_from_others() -> None:
    labels = protocol.attempt_labels("r1", "T", 2, "service")
    assert protocol.of_attempt(labels, "r1", "T", 2)
    assert protocol.of_attempt(labels, "r1", "T", 2, role="service")
    assert not protocol.of_attempt(labels, "r1", "T", 2, role="controller")
    assert not protocol.of_attempt(labels, "r1", "T", 1)
    assert not protocol.of_attempt(labels, "r1", "U", 2)
    assert not protocol.of_attempt(labels, "r2", "T", 2)
    assert not protocol.of_attempt({}, "r1", "T", 2)

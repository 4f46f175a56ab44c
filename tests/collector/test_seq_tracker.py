"""The seq bookkeeping on its own: high-water mark, gaps, late fills, declared drops."""

from __future__ import annotations

from collector.storage.seq_tracker import SeqState, apply


def test_in_order_advances_the_high_water_mark() -> None:
    state = SeqState()
    change = apply(state, [1, 2, 3])
    assert (state.acked_seq, state.gaps, change.opened) == (3, [], [])


def test_a_gap_stops_the_ack_below_it_and_a_late_event_fills_it() -> None:
    state = SeqState()
    change = apply(state, [1, 2, 5, 6])
    assert change.opened == [(3, 4)]
    assert state.acked_seq == 2
    assert state.missing == 2
    apply(state, [4])
    assert state.gaps == [(3, 3)]
    assert state.acked_seq == 2
    apply(state, [3])
    assert state.gaps == []
    assert state.acked_seq == 6


def test_a_late_event_in_the_middle_splits_the_gap() -> None:
    state = SeqState()
    apply(state, [1, 10])
    apply(state, [5])
    assert state.gaps == [(2, 4), (6, 9)]
    assert state.acked_seq == 1


def test_duplicates_change_nothing() -> None:
    state = SeqState()
    apply(state, [1, 2, 3])
    apply(state, [2, 3, 3, 1])
    assert (state.max_seq, state.gaps, state.acked_seq) == (3, [], 3)


def test_outbox_dropped_closes_a_gap_as_lost() -> None:
    state = SeqState()
    apply(state, [1, 2, 7])
    change = apply(state, [8], dropped=[(3, 6)])
    assert change.lost == [(3, 6)]
    assert state.gaps == []
    assert state.acked_seq == 8


def test_outbox_dropped_ahead_of_what_arrived_moves_past_it() -> None:
    state = SeqState()
    apply(state, [1, 2])
    change = apply(state, [10], dropped=[(5, 9)])
    # 3..4 are still missing (not declared), 5..9 are lost.
    assert change.lost == [(5, 9)]
    assert state.gaps == [(3, 4)]
    assert state.acked_seq == 2


def test_acked_seq_never_decreases_over_any_sequence() -> None:
    state = SeqState()
    seen = 0
    for batch in ([3], [1], [2, 9], [5, 6], [4], [7], [8], [9, 1]):
        apply(state, batch)
        assert state.acked_seq >= seen
        seen = state.acked_seq
    assert seen == 9


def test_a_jump_past_the_cap_is_refused_and_changes_nothing() -> None:
    state = SeqState()
    change = apply(state, [1, 2, 2**62, 50], max_jump=100)
    assert change.refused == {2**62: "seq_jump"}
    assert (state.max_seq, state.gaps, state.acked_seq) == (50, [(3, 49)], 2)
    # The cap moves with the high-water mark: 150 is within 100 of 50.
    assert apply(state, [150], max_jump=100).refused == {}


def test_open_gaps_are_capped_and_an_honest_resend_fills_them() -> None:
    state = SeqState()
    change = apply(state, range(1, 2000, 2), max_gaps=3)
    assert len(state.gaps) == 3
    assert set(change.refused.values()) == {"seq_gaps_full"}
    assert state.acked_seq == 1
    for _ in range(3):  # the device resends everything above acked_seq
        apply(state, range(state.acked_seq + 1, 2000), max_gaps=3)
    assert (state.gaps, state.acked_seq) == ([], 1999)


def test_a_dropped_range_past_the_cap_is_refused() -> None:
    state = SeqState()
    change = apply(state, [1], [(2, 2**62)], max_jump=1000)
    assert change.refused_ranges == [(2, 2**62)]
    assert change.lost == []
    assert state.max_seq == 1

"""PyFlink DataStream programs (``programs/``) run unmodified on the embedded runtime; each prints exactly
the expected lines (compared as multisets: the order across keys and subtasks is not defined).

The expected outputs are worked out by hand from Flink's semantics (window assignment, session merging,
trigger and lateness rules, timer order) for the programs' bounded inputs, not recorded from a run.
Programs whose name is in ``EMBEDDED_ONLY`` use what PyFlink does not offer in Python (a custom punctuated
watermark generator, ``apply_to_keyed_state``); the others are written against PyFlink's API only.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.runtime.pyflink.harness import PROGRAMS, run_program

EMBEDDED_ONLY = {"p11_late_data_side_output", "p12_allowed_lateness", "p28_apply_to_keyed_state"}

EXPECTED: dict[str, list[str]] = {
    "p01_tumbling_reduce": [
        "a sum=8 last=4000",
        "a sum=6 last=5500",
        "a sum=8 last=12000",
        "a sum=10 last=16000",
        "b sum=2 last=1500",
        "b sum=21 last=9000",
    ],
    "p02_tumbling_aggregate": ["avg=3.50", "avg=9.00", "avg=5.75"],
    "p03_process_window": [
        "a [0,5000) n=3 values=[1, 3, 4]",
        "a [5000,10000) n=1 values=[6]",
        "a [10000,15000) n=1 values=[8]",
        "a [15000,20000) n=1 values=[10]",
        "b [0,5000) n=1 values=[2]",
        "b [5000,10000) n=3 values=[5, 7, 9]",
    ],
    "p04_sliding_window": [
        "a -5000..5000 sum=8",
        "a 0..10000 sum=14",
        "a 5000..15000 sum=14",
        "a 10000..20000 sum=18",
        "a 15000..25000 sum=10",
        "b -5000..5000 sum=2",
        "b 0..10000 sum=23",
        "b 5000..15000 sum=21",
    ],
    "p05_session_reduce": [
        "a session-sum=14 first=1000",
        "a session-sum=8 first=12000",
        "a session-sum=10 first=16000",
        "b session-sum=2 first=1500",
        "b session-sum=21 first=5800",
    ],
    "p06_session_process": [
        "a session [1000,7500) count=4",
        "a session [12000,14000) count=1",
        "a session [16000,18000) count=1",
        "b session [1500,3500) count=1",
        "b session [5800,8000) count=2",
        "b session [9000,11000) count=1",
    ],
    "p07_window_apply": [
        "a end=8000 max=6",
        "a end=16000 max=8",
        "a end=24000 max=10",
        "b end=8000 max=9",
        "b end=16000 max=7",
    ],
    "p08_count_window": ["x full-window=3", "x full-window=3", "y full-window=3"],
    "p09_global_window_count_trigger": ["k running=3", "k running=10", "j running=30"],
    "p10_window_all": [
        "[0] keys=['a', 'b'] total=10",
        "[5000] keys=['a', 'b'] total=27",
        "[10000] keys=['a'] total=8",
        "[15000] keys=['a'] total=10",
    ],
    "p11_late_data_side_output": [
        "on-time sum=3",
        "on-time sum=3",
        "on-time sum=6",
        "late value=4 ts=2000",
        "late value=5 ts=4500",
        "late value=7 ts=9000",
    ],
    "p12_allowed_lateness": ["fire sum=1", "fire sum=4", "fire sum=6", "fire sum=6"],
    "p13_event_time_timers": ["a quiet at 19000 after 6 records", "b quiet at 12000 after 4 records"],
    "p14_state_ttl": ["u1", "u2", "u3"],
    "p15_side_outputs": [
        *[f"even {v}" for v in (2, 4, 6, 8, 10)],
        *[f"odd {v}" for v in (1, 3, 5, 7, 9)],
        "big:8",
        "big:9",
        "big:10",
    ],
    "p16_union": ["value 2", "value 4", "value 6", "value 20", "value 200"],
    "p17_connect_comap": ["number 1", "number 2", "number 3", "word X", "word Y"],
    "p18_connect_coflatmap": [
        "n1-0",
        "n2-0",
        "n2-1",
        "n3-0",
        "n3-1",
        "n3-2",
        "w-hello",
        "w-big",
        "w-world",
        "w-bye",
    ],
    "p19_keyed_co_process": ["order 1 book paid 30", "order 1 lamp paid 30", "order 2 pen paid 5"],
    "p20_broadcast_state": ["temp alert 35", "temp alert 31", "hum alert 85"],
    "p28_apply_to_keyed_state": ["temp alert 35", "temp alert 31", "hum alert 85"],
    "p21_broadcast_non_keyed": ["config v1 at subtask"] * 3 + ["element a", "element b"],
    "p22_partition_custom": [f"{v} on subtask {v % 2}" for v in range(6)],
    "p23_rebalance_shuffle_forward": [f"r{2 * v + 1}" for v in range(1, 10)]
    + [f"g{v}" for v in range(1, 10)],
    "p24_keyed_state_kinds": [
        "ann items=['cake', 'tea'] counts=[('cake', 1), ('tea', 2)] total=12 mean=4",
        "bob items=['jam', 'pie'] counts=[('jam', 1), ('pie', 2)] total=18 mean=6",
    ],
    "p25_running_aggregations": [
        "sum x 3",
        "sum x 8",
        "sum x 10",
        "sum y 1",
        "sum y 5",
        "max x 3",
        "max x 5",
        "max x 5",
        "max y 1",
        "max y 4",
        "product x 3",
        "product x 15",
        "product x 30",
        "product y 1",
        "product y 4",
    ],
    "p26_number_sequence_source": [f"running {v}" for v in (3, 12, 27, 48, 75, 6, 18, 36, 60, 90)],
    # min_by/max_by keep the whole record (the earlier one on ties), min/max/sum only the field (the other
    # fields are the key's first record's); project picks fields in the given order
    "p29_aggregations_and_project": [
        *["min_by ibm 5 t1", "min_by ibm 3 t3", "min_by ibm 3 t3", "min_by ibm 3 t3"],
        *["min_by aapl 9 t2"] * 3,
        *["max_by ibm 5 t1"] * 3,
        "max_by ibm 7 t6",
        *["max_by aapl 9 t2", "max_by aapl 12 t5", "max_by aapl 12 t5"],
        *["min ibm 5 t1", "min ibm 3 t1", "min ibm 3 t1", "min ibm 3 t1"],
        *["min aapl 9 t2"] * 3,
        *["max ibm 5", "max ibm 5", "max ibm 5", "max ibm 7", "max aapl 9", "max aapl 12", "max aapl 12"],
        *["project t1 5", "project t2 9", "project t3 3", "project t4 3", "project t5 12", "project t6 7"],
        "project t7 12",
        *["row sum x 4 a", "row sum x 10 a", "row sum x 11 a", "row sum y 2 b", "row sum y 4 b"],
        *["row max_by x 4 a", "row max_by x 6 c", "row max_by x 6 c", "row max_by y 2 b", "row max_by y 2 b"],
    ],
    # the forced operator runs as 1 subtask of a parallelism-2 job; the cached stream passes through
    "p30_force_non_parallel_and_cache": [
        *[f"forced {v} of 1" for v in (1, 2, 3, 4)],
        *[f"default {v} of 2" for v in (1, 2, 3, 4)],
        *[f"cached {v} of 2" for v in (10, 20, 30, 40)],
    ],
    # weight 2 (the reduce runs at parallelism 2): a 1, 1+2*2, 5+3*2; b 5, 5+1*2
    "p31_reduce_function_open": ["a 1", "a 5", "a 11", "b 5", "b 7"],
    "p32_job_parameters_and_context_types": [
        *["w a [0,5000) n=2", "w a [5000,10000) n=1", "w b [0,5000) n=1"],
        *["default a at 1000", "default b at 2000", "default a at 3000", "default a at 6000"],
    ],
    "p33_row_types": [
        *["named x 4 4", "named y 2 2", "named x 6 6"],
        *["sum x 4", "sum y 2", "sum x 10"],
        *["plain p 1 p", "plain q 2 q"],
    ],
    "p27_parallel_watermarks": [
        "key 0 sum 220 at 5000",
        "key 1 sum 190 at 5000",
        "key 2 sum 200 at 5000",
        "key 3 sum 210 at 5000",
    ],
}


def test_every_program_has_an_expected_output() -> None:
    programs = {p.stem for p in PROGRAMS.glob("p*.py")}
    assert programs == set(EXPECTED)
    assert len(programs) >= 25


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_program_output(name: str, tmp_path: Path) -> None:
    lines = run_program(name, tmp_path)
    assert Counter(lines) == Counter(EXPECTED[name])

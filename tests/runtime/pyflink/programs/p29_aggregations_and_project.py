from pyflink.common import Row, Types
from pyflink.datastream import StreamExecutionEnvironment

env = StreamExecutionEnvironment.get_execution_environment()
env.set_parallelism(2)
trades = env.from_collection(
    [
        ("ibm", 5, "t1"),
        ("aapl", 9, "t2"),
        ("ibm", 3, "t3"),
        ("ibm", 3, "t4"),
        ("aapl", 12, "t5"),
        ("ibm", 7, "t6"),
        ("aapl", 12, "t7"),
    ],
    type_info=Types.TUPLE([Types.STRING(), Types.INT(), Types.STRING()]),
)
by_symbol = trades.key_by(lambda t: t[0])
by_symbol.min_by(1).map(lambda t: f"min_by {t[0]} {t[1]} {t[2]}", output_type=Types.STRING()).print()
by_symbol.max_by(1).map(lambda t: f"max_by {t[0]} {t[1]} {t[2]}", output_type=Types.STRING()).print()
by_symbol.min(1).map(lambda t: f"min {t[0]} {t[1]} {t[2]}", output_type=Types.STRING()).print()
by_symbol.max(1).project(0, 1).map(lambda t: f"max {t[0]} {t[1]}", output_type=Types.STRING()).print()
trades.project(2, 1).map(lambda t: f"project {t[0]} {t[1]}", output_type=Types.STRING()).print()

scores = env.from_collection(
    [
        Row(name="x", score=4, at="a"),
        Row(name="y", score=2, at="b"),
        Row(name="x", score=6, at="c"),
        Row(name="x", score=1, at="d"),
        Row(name="y", score=2, at="e"),
    ],
    type_info=Types.ROW_NAMED(["name", "score", "at"], [Types.STRING(), Types.INT(), Types.STRING()]),
)
by_name = scores.key_by(lambda r: r[0])
by_name.sum("score").map(
    lambda r: f"row sum {r.name} {r['score']} {r.at}", output_type=Types.STRING()
).print()
by_name.max_by("score").map(
    lambda r: f"row max_by {r.name} {r['score']} {r.at}", output_type=Types.STRING()
).print()
env.execute("p29")

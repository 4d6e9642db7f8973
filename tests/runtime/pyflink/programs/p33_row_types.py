"""A source's tuples declared as ROW types reach the next functions as Rows: by name for ROW_NAMED, as f0, f1,
… for ROW; field-name aggregations work on them."""

from pyflink.common import Types
from pyflink.datastream import StreamExecutionEnvironment

env = StreamExecutionEnvironment.get_execution_environment()
scores = env.from_collection(
    [("x", 4), ("y", 2), ("x", 6)],
    type_info=Types.ROW_NAMED(["name", "score"], [Types.STRING(), Types.INT()]),
)
scores.map(lambda r: f"named {r.name} {r['score']} {r[1]}", output_type=Types.STRING()).print()
scores.key_by(lambda r: r.name).sum("score").map(
    lambda r: f"sum {r.name} {r.score}", output_type=Types.STRING()
).print()
pairs = env.from_collection([("p", 1), ("q", 2)], type_info=Types.ROW([Types.STRING(), Types.INT()]))
pairs.map(lambda r: f"plain {r.f0} {r.f1} {r[0]}", output_type=Types.STRING()).print()
env.execute("p33")

from pyflink.common import Types
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.functions import AggregateFunction, KeyedProcessFunction
from pyflink.datastream.state import (
    AggregatingStateDescriptor,
    ListStateDescriptor,
    MapStateDescriptor,
    ReducingStateDescriptor,
    ValueStateDescriptor,
)


class Mean(AggregateFunction):
    def create_accumulator(self):
        return (0, 0)

    def add(self, value, accumulator):
        return (accumulator[0] + value, accumulator[1] + 1)

    def get_result(self, accumulator):
        return accumulator[0] // accumulator[1]

    def merge(self, a, b):
        return (a[0] + b[0], a[1] + b[1])


class Profile(KeyedProcessFunction):
    def open(self, ctx):
        self.count = ctx.get_state(ValueStateDescriptor("count", Types.INT()))
        self.items = ctx.get_list_state(ListStateDescriptor("items", Types.STRING()))
        self.per_item = ctx.get_map_state(MapStateDescriptor("per-item", Types.STRING(), Types.INT()))
        self.total = ctx.get_reducing_state(ReducingStateDescriptor("total", lambda a, b: a + b, Types.INT()))
        self.mean = ctx.get_aggregating_state(
            AggregatingStateDescriptor("mean", Mean(), Types.TUPLE([Types.INT(), Types.INT()]))
        )

    def process_element(self, value, ctx):
        user, item, price = value
        self.count.update((self.count.value() or 0) + 1)
        if item not in list(self.items.get()):
            self.items.add(item)
        self.per_item.put(item, (self.per_item.get(item) or 0) + 1)
        self.total.add(price)
        self.mean.add(price)
        if self.count.value() == 3:
            counts = sorted(self.per_item.items())
            items = sorted(self.items.get())
            yield f"{user} items={items} counts={counts} total={self.total.get()} mean={self.mean.get()}"


env = StreamExecutionEnvironment.get_execution_environment()
env.set_parallelism(2)
purchases = [
    ("ann", "tea", 3),
    ("bob", "pie", 5),
    ("ann", "cake", 7),
    ("bob", "pie", 5),
    ("ann", "tea", 2),
    ("bob", "jam", 8),
]
env.from_collection(purchases).key_by(lambda p: p[0]).process(Profile(), output_type=Types.STRING()).print()
env.execute("p24")

from pyflink.common import Types
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.functions import KeyedCoProcessFunction
from pyflink.datastream.state import ListStateDescriptor, ValueStateDescriptor


class Join(KeyedCoProcessFunction):
    """Orders (id, item) joined with payments (id, amount) in either arrival order."""

    def open(self, runtime_context):
        self.orders = runtime_context.get_list_state(ListStateDescriptor("orders", Types.STRING()))
        self.paid = runtime_context.get_state(ValueStateDescriptor("paid", Types.INT()))

    def process_element1(self, value, ctx):
        if self.paid.value() is not None:
            yield f"order {value[0]} {value[1]} paid {self.paid.value()}"
        else:
            self.orders.add(value[1])

    def process_element2(self, value, ctx):
        self.paid.update(value[1])
        for item in self.orders.get():
            yield f"order {value[0]} {item} paid {value[1]}"
        self.orders.clear()


env = StreamExecutionEnvironment.get_execution_environment()
env.set_parallelism(2)
orders = env.from_collection([(1, "book"), (2, "pen"), (1, "lamp"), (3, "cup")])
payments = env.from_collection([(2, 5), (1, 30), (4, 9)])
(
    orders.connect(payments)
    .key_by(lambda o: o[0], lambda p: p[0])
    .process(Join(), output_type=Types.STRING())
    .print()
)
env.execute("p19")

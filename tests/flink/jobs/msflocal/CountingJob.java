package msflocal;

import java.io.FileWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.UUID;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.Collector;

/**
 * DataGeneratorSource -> keyBy(i % keys) -> ValueState counter -> file sink (msf-local's Flink tests).
 * Every {@code every}-th count of a key is written as "key,count" to a file under the output directory.
 * Args: records/s, keys, every, output directory, checkpoint interval set in code (0: none). Without
 * arguments (as on AWS): 200 records/s, 10 keys, every 20, into {@code <java.io.tmpdir>/msf-counting/<job name>}.
 */
public class CountingJob {

    public static void main(String[] args) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        boolean given = args.length >= 4;
        double rate = given ? Double.parseDouble(args[0]) : 200;
        long keys = given ? Long.parseLong(args[1]) : 10;
        long every = given ? Long.parseLong(args[2]) : 20;
        String name = env.getConfiguration().get(PipelineOptions.NAME);
        String output = given ? args[3] : Paths.get(System.getProperty("java.io.tmpdir"), "msf-counting", name).toString();
        long codeInterval = args.length > 4 ? Long.parseLong(args[4]) : 0L;

        env.setMaxParallelism(128);
        if (codeInterval > 0) {
            env.enableCheckpointing(codeInterval);
        }
        DataGeneratorSource<Long> source = new DataGeneratorSource<>(
                index -> index, Long.MAX_VALUE, RateLimiterStrategy.perSecond(rate), Types.LONG);
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "numbers").uid("numbers")
                .keyBy(value -> value % keys)
                .flatMap(new CountPerKey(keys, every)).uid("count-per-key").name("CountPerKey")
                .sinkTo(new LineFileSink(output)).uid("lines").name("lines");
        env.execute("counting-job");
    }

    /** Counts records per key in ValueState; emits "key,count" every {@code every} records of a key. */
    public static class CountPerKey extends RichFlatMapFunction<Long, String> {
        private final long keys;
        private final long every;
        private transient ValueState<Long> count;

        CountPerKey(long keys, long every) {
            this.keys = keys;
            this.every = every;
        }

        @Override
        public void open(OpenContext context) {
            count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Types.LONG));
        }

        @Override
        public void flatMap(Long value, Collector<String> out) throws Exception {
            long next = (count.value() == null ? 0L : count.value()) + 1;
            count.update(next);
            if (next % every == 0) {
                out.collect((value % keys) + "," + next);
            }
        }
    }

    /** Appends each line to its own file under a directory, flushed at once (test output, not exactly-once). */
    public static class LineFileSink implements Sink<String> {
        private final String directory;

        LineFileSink(String directory) {
            this.directory = directory;
        }

        @Override
        public SinkWriter<String> createWriter(WriterInitContext context) throws IOException {
            Path dir = Paths.get(directory);
            Files.createDirectories(dir);
            Writer writer = new FileWriter(dir.resolve("part-" + UUID.randomUUID()).toFile(), true);
            return new SinkWriter<String>() {
                @Override
                public void write(String element, Context ctx) throws IOException {
                    writer.write(element + "\n");
                    writer.flush();
                }

                @Override
                public void flush(boolean endOfInput) throws IOException {
                    writer.flush();
                }

                @Override
                public void close() throws IOException {
                    writer.close();
                }
            };
        }
    }
}

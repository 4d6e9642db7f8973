package msflocal;

import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Set;

import org.apache.flink.api.common.ExecutionConfig;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.CheckpointConfig;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironmentFactory;

/**
 * msf-local's entry point around an application's own: runs {@code args[0]}'s main method with the rest
 * of the arguments, while every StreamExecutionEnvironment the program obtains (DataStream, Table API,
 * PyFlink through the PythonDriver) keeps the checkpoint keys listed in the job configuration key
 * {@code msf-local.pinned-keys} at the values msf-local submitted: the program's own settings of them
 * (env.enableCheckpointing, setMinPauseBetweenCheckpoints, ...) are ignored, as on Amazon Managed Service
 * for Apache Flink with CheckpointConfiguration DEFAULT or CUSTOM.
 */
public final class PinnedLauncher extends StreamExecutionEnvironment {

    public static final String PINNED_KEYS = "msf-local.pinned-keys";

    private PinnedLauncher() {
    }

    public static void main(String[] args) throws Throwable {
        Field field = StreamExecutionEnvironment.class.getDeclaredField("contextEnvironmentFactory");
        field.setAccessible(true);
        StreamExecutionEnvironmentFactory original = (StreamExecutionEnvironmentFactory) field.get(null);
        if (original != null) {
            initializeContextEnvironment(conf -> pin(original.createExecutionEnvironment(conf)));
        }
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        Method main = Class.forName(args[0], true, loader).getMethod("main", String[].class);
        try {
            main.invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
        } catch (InvocationTargetException error) {
            throw error.getCause();
        }
    }

    static StreamExecutionEnvironment pin(StreamExecutionEnvironment env) {
        try {
            Configuration current = (Configuration) read(env, "configuration");
            Set<String> keys = Set.of(current.toMap().getOrDefault(PINNED_KEYS, "").split(";"));
            PinnedConfiguration pinned = new PinnedConfiguration(current, keys);
            write(env, "configuration", pinned);
            write(env, "config", new ExecutionConfig(pinned));
            write(env, "checkpointCfg", new CheckpointConfig(pinned));
            return env;
        } catch (ReflectiveOperationException error) {
            throw new IllegalStateException("msf-local could not pin the checkpoint configuration", error);
        }
    }

    private static Object read(StreamExecutionEnvironment env, String name) throws ReflectiveOperationException {
        Field field = StreamExecutionEnvironment.class.getDeclaredField(name);
        field.setAccessible(true);
        return field.get(env);
    }

    private static void write(StreamExecutionEnvironment env, String name, Object value)
            throws ReflectiveOperationException {
        Field field = StreamExecutionEnvironment.class.getDeclaredField(name);
        field.setAccessible(true);
        field.set(env, value);
    }

    /** A Configuration whose pinned keys keep their values whatever the program sets. */
    static final class PinnedConfiguration extends Configuration {
        private final Set<String> pinned;

        PinnedConfiguration(Configuration values, Set<String> pinned) {
            super(values);
            this.pinned = pinned;
        }

        @Override
        public <T> Configuration set(ConfigOption<T> option, T value) {
            return pinned.contains(option.key()) ? this : super.set(option, value);
        }

        @Override
        public void setString(String key, String value) {
            if (!pinned.contains(key)) {
                super.setString(key, value);
            }
        }

        @Override
        public void addAll(Configuration other) {
            Configuration allowed = new Configuration(other);
            pinned.forEach(allowed::removeKey);
            super.addAll(allowed);
        }

        @Override
        public <T> boolean removeConfig(ConfigOption<T> option) {
            return !pinned.contains(option.key()) && super.removeConfig(option);
        }

        @Override
        public boolean removeKey(String key) {
            return !pinned.contains(key) && super.removeKey(key);
        }
    }
}

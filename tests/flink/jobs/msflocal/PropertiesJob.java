package msflocal;

import java.io.FileInputStream;
import java.io.FileNotFoundException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

/**
 * Reads its runtime properties in main() as AWS's KinesisAnalyticsRuntime.getApplicationProperties() does
 * (a JSON list of {"PropertyGroupId", "PropertyMap"} at /etc/flink/application_properties.json, read with
 * Flink's shaded Jackson; no file: no properties), and from the file named by MSF_APPLICATION_PROPERTIES,
 * then names its job after what it found: "pipeline name|token at the AWS path|token in the variable's file"
 * (key "token" of group "Probe"; "-" when absent). It then runs until cancelled (one record a second).
 */
public class PropertiesJob {

    static final String AWS_PATH = "/etc/flink/application_properties.json";

    static Map<String, Map<String, String>> applicationProperties(String path) throws Exception {
        Map<String, Map<String, String>> groups = new HashMap<>();
        if (path == null) {
            return groups;
        }
        ObjectMapper mapper = new ObjectMapper();
        try (InputStream stream = new FileInputStream(path)) {
            for (JsonNode group : mapper.readTree(stream)) {
                Map<String, String> properties = new HashMap<>();
                for (Map.Entry<String, JsonNode> field : group.get("PropertyMap").properties()) {
                    properties.put(field.getKey(), field.getValue().asText());
                }
                groups.put(group.get("PropertyGroupId").asText(), properties);
            }
        } catch (FileNotFoundException missing) {
            // as AWS's library: no file, no properties
        }
        return groups;
    }

    static String token(String path) throws Exception {
        Map<String, String> probe = applicationProperties(path).get("Probe");
        return probe == null ? "-" : probe.getOrDefault("token", "-");
    }

    public static void main(String[] args) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        String seen = token(AWS_PATH) + "|" + token(System.getenv("MSF_APPLICATION_PROPERTIES"));
        String name = env.getConfiguration().get(PipelineOptions.NAME);
        DataGeneratorSource<Long> source = new DataGeneratorSource<>(
                index -> index, Long.MAX_VALUE, RateLimiterStrategy.perSecond(1), Types.LONG);
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "ticks").sinkTo(new DiscardingSink<>());
        env.execute(name + "|" + seen);
    }
}

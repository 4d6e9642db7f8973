package msflocal;

import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * msf-local's sandbox probe for the local Flink cluster: tries to read each path given as an argument, in
 * the JobManager (the program's main) and in a TaskManager (a map function), which then fails the job with
 * "SANDBOX-PROBE" and one line per attempt ("where|path|user|outcome"), so the job's root exception
 * carries the report (submit it with restart-strategy.type: none).
 */
public class SandboxProbe {

    static String attempt(String where, String path) {
        String outcome;
        try {
            byte[] content = Files.readAllBytes(Paths.get(path));
            outcome = "REACHED " + content.length + " bytes";
        } catch (Exception error) {
            outcome = "refused " + error.getClass().getSimpleName();
        }
        return where + "|" + path + "|" + System.getProperty("user.name") + "|" + outcome;
    }

    static String report(String where, String[] paths) {
        List<String> lines = new ArrayList<>();
        for (String path : paths) {
            lines.add(attempt(where, path));
        }
        return String.join("\n", lines);
    }

    public static void main(String[] args) throws Exception {
        String jobManager = report("jobmanager", args);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        env.fromData(jobManager)
                .map((MapFunction<String, String>) seen -> {
                    String all = seen + "\n" + report("taskmanager", args);
                    throw new IllegalStateException("SANDBOX-PROBE\n" + all + "\nSANDBOX-PROBE-END");
                })
                .returns(String.class)
                .print();
        env.execute("sandbox-probe");
    }
}

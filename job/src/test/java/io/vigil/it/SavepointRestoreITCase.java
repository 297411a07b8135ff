package io.vigil.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Percentage.withPercentage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.DetectionJob;
import io.vigil.config.JobSettings;
import io.vigil.generator.GeneratedEvent;
import io.vigil.generator.Generator;
import io.vigil.generator.GeneratorConfig;
import io.vigil.ingest.KafkaInput;
import io.vigil.model.LoadedModel;
import io.vigil.model.ModelContract;
import io.vigil.testing.KafkaTestBroker;
import io.vigil.testing.PipelineRun;
import io.vigil.threshold.ThresholdSettings;
import io.vigil.threshold.ThresholdState;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What carries over when a job is stopped with a savepoint and resumed with changes (docs/deploy.md):
 * each key's window and learned thresholds, into another parallelism; and into a retrained model,
 * the window, while the thresholds start again from the new model's calibration instead of judging
 * its scores by what the old model's taught them.
 */
class SavepointRestoreITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(3).build());

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int KEYS = 16;
    private static final int PER_KEY = 400;

    @Test
    void eachKeyKeepsItsWindowAndThresholdsAtAnotherParallelism(@TempDir Path savepoints) throws Exception {
        String model = PipelineRun.SENSOR_MODEL.toString();
        Resumed resumed = stopAndResume(savepoints,
                List.of("--stream.sensors.model", model, "--flink.parallelism.default", "2"),
                List.of("--stream.sensors.model", model, "--flink.parallelism.default", "3"));

        assertThat(resumed.firstAfter().keySet()).as("every key resumed").isEqualTo(resumed.lastBefore().keySet());
        // A key that had lost its window would first wait for 16 events and account for them all at once.
        assertThat(resumed.firstAfter().values()).as("every key went on with its window: its first score accounts for one new event")
                .allSatisfy(s -> assertThat(s.path("events").asInt()).isEqualTo(1));
        double seedThreshold = seedThreshold(ModelContract.load(PipelineRun.SENSOR_MODEL));
        assertThat(resumed.lastBefore().values()).as("thresholds had moved away from the calibration's before the savepoint")
                .anySatisfy(s -> assertThat(s.path("threshold").asDouble()).isNotCloseTo(seedThreshold, withPercentage(5)));
        resumed.firstAfter().forEach((key, score) -> {
            double learned = resumed.lastBefore().get(key).path("threshold").asDouble();
            // The last score before the savepoint is learned too, which moves the threshold a little.
            assertThat(score.path("threshold").asDouble()).as("%s's first threshold at parallelism 3", key)
                    .isCloseTo(learned, withPercentage(2));
        });
    }

    @Test
    void aRetrainedModelKeepsEachKeysWindowAndRestartsItsThresholdsFromItsCalibration(
            @TempDir Path savepoints, @TempDir Path retrainedDir) throws Exception {
        ModelContract retrained = retrained(PipelineRun.SENSOR_MODEL, retrainedDir);
        Resumed resumed = stopAndResume(savepoints,
                List.of("--stream.sensors.model", PipelineRun.SENSOR_MODEL.toString(), "--flink.parallelism.default", "1"),
                List.of("--stream.sensors.model", retrainedDir.toString(), "--flink.parallelism.default", "1"));

        assertThat(resumed.firstAfter().keySet()).as("every key resumed").isEqualTo(resumed.lastBefore().keySet());
        assertThat(resumed.firstAfter().values()).as("every key went on with its window: its first score accounts for one new event")
                .allSatisfy(s -> assertThat(s.path("events").asInt()).isEqualTo(1));
        double seedThreshold = seedThreshold(retrained);
        resumed.firstAfter().forEach((key, score) -> {
            double learned = resumed.lastBefore().get(key).path("threshold").asDouble();
            assertThat(learned).as("%s's threshold under the old model is not the new model's seed", key)
                    .isNotCloseTo(seedThreshold, withPercentage(10));
            assertThat(score.path("threshold").asDouble()).as("%s's first threshold under the new model", key)
                    .isCloseTo(seedThreshold, withPercentage(1e-6));
        });
    }

    /** Per key, its last score before the savepoint and its first after the restore. */
    private record Resumed(Map<String, JsonNode> lastBefore, Map<String, JsonNode> firstAfter) {}

    /**
     * Runs the job on the first half of the input, stops it with a savepoint once every key has
     * scored most of that half, resumes it with {@code afterArgs} and gives it the second half. The
     * arguments name the model and the parallelism.
     */
    private static Resumed stopAndResume(Path savepoints, List<String> beforeArgs, List<String> afterArgs) throws Exception {
        try (KafkaTestBroker kafka = KafkaTestBroker.start()) {
            kafka.createTopic("sensors", 4);
            for (String topic : List.of("alerts", "dead-letters", "scores-before", "scores-after")) {
                kafka.createTopic(topic, 1);
            }
            List<GeneratedEvent> events = new ArrayList<>(Generator.generate(GeneratorConfig.defaults()
                    .withStreams(GeneratorConfig.Streams.SENSORS).withSensorKeys(KEYS).withEventsPerStream((long) KEYS * PER_KEY)
                    .withAnomalyRate(0).withMaxOutOfOrderMs(0).withSeed(23)).events());
            events.sort(Comparator.comparingLong(GeneratedEvent::timestamp));
            int half = events.size() / 2;

            JobClient before = start(common(kafka, beforeArgs, "--scores.topic", "scores-before"));
            PipelineRun.produce(kafka, events.subList(0, half), Map.of("sensors", "sensors"));
            PipelineRun.awaitJson(kafka, "scores-before", scores -> scores.size() >= KEYS * (PER_KEY / 2 - 40));
            String savepoint = before.stopWithSavepoint(false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                    .get(60, TimeUnit.SECONDS);
            Map<String, JsonNode> lastBefore = lastByKey(PipelineRun.readJson(kafka, "scores-before"));
            // Every comparison below is per key: with keys missing it would hold for fewer, or none.
            assertThat(lastBefore).as("keys scored before the savepoint").hasSize(KEYS);

            List<String> resumeArgs = new ArrayList<>(afterArgs);
            resumeArgs.addAll(List.of("--scores.topic", "scores-after", "--flink.execution.state-recovery.path", savepoint));
            JobClient after = start(common(kafka, resumeArgs));
            try {
                PipelineRun.produce(kafka, events.subList(half, events.size()), Map.of("sensors", "sensors"));
                List<JsonNode> scoresAfter = PipelineRun.awaitJson(kafka, "scores-after", scores -> firstByKey(scores).size() == KEYS);
                return new Resumed(lastBefore, firstByKey(scoresAfter));
            } finally {
                after.cancel().get();
            }
        }
    }

    private static double seedThreshold(ModelContract contract) {
        return Math.exp(ThresholdState.seed(contract.calibration()).logThreshold(ThresholdSettings.DEFAULT_K));
    }

    /** The job's arguments for the sensor stream, with {@code more} and {@code last}. */
    private static List<String> common(KafkaTestBroker kafka, List<String> more, String... last) {
        List<String> args = new ArrayList<>(List.of(
                "--streams", "sensors",
                "--stream.sensors.topics", "sensors",
                "--kafka.bootstrap-servers", kafka.bootstrapServers(),
                "--kafka.starting-offsets", "earliest",
                "--checkpoint.interval", "500 ms"));
        args.addAll(more);
        args.addAll(List.of(last));
        return args;
    }

    private static JobClient start(List<String> args) throws Exception {
        JobSettings settings = PipelineRun.settings(args);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(DetectionJob.flinkConfiguration(settings));
        DetectionJob.writeToKafka(DetectionJob.defineWorkflow(settings, stream -> KafkaInput.read(env, settings, stream)), settings);
        return env.executeAsync("vigil-rollout");
    }

    /**
     * The model of {@code from} as a retraining would give it: another ONNX file (here the same graph
     * with another doc string, so its SHA-256 differs), and a calibration whose scores run twice as high.
     */
    private static ModelContract retrained(Path from, Path to) throws Exception {
        ByteArrayOutputStream onnx = new ByteArrayOutputStream();
        onnx.write(Files.readAllBytes(from.resolve("model.onnx")));
        // ModelProto field 6, doc_string (wire type 2); the last occurrence of a field wins.
        byte[] doc = "retrained".getBytes(StandardCharsets.UTF_8);
        onnx.write(6 << 3 | 2);
        onnx.write(doc.length);
        onnx.write(doc);
        Files.write(to.resolve("model.onnx"), onnx.toByteArray());

        ObjectNode contract = (ObjectNode) JSON.readTree(from.resolve("model.json").toFile());
        contract.put("version", "2.0.0");
        ((ObjectNode) contract.get("onnx")).put("sha256", LoadedModel.sha256(onnx.toByteArray()));
        ObjectNode calibration = (ObjectNode) contract.get("calibration");
        calibration.put("log_mean", calibration.get("log_mean").asDouble() + Math.log(2));
        ObjectNode quantiles = (ObjectNode) calibration.get("quantiles");
        quantiles.properties().forEach(q -> q.setValue(JSON.getNodeFactory().numberNode(2 * q.getValue().asDouble())));
        JSON.writeValue(to.resolve("model.json").toFile(), contract);
        return ModelContract.load(to);
    }

    private static Map<String, JsonNode> firstByKey(List<JsonNode> scores) {
        Map<String, JsonNode> out = new HashMap<>();
        scores.forEach(s -> out.putIfAbsent(s.path("key").asText(), s));
        return out;
    }

    private static Map<String, JsonNode> lastByKey(List<JsonNode> scores) {
        Map<String, JsonNode> out = new HashMap<>();
        scores.forEach(s -> out.put(s.path("key").asText(), s));
        return out;
    }
}

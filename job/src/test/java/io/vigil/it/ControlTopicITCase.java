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
import io.vigil.testing.KafkaTestBroker;
import io.vigil.testing.PipelineRun;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running job takes a command from its control topic: after raising {@code threshold.k} for the
 * key prefix {@code pump-001}, those keys stop alerting on the same kind of spike that still
 * alerts every other key. Real broker, real topology, unbounded sources; the job is cancelled at
 * the end.
 */
class ControlTopicITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PER_KEY = 600;
    private static final String QUIETED = "pump-001";

    @Test
    void raisingKForAPrefixStopsAlertsForThoseKeysOnly() throws Exception {
        try (KafkaTestBroker kafka = KafkaTestBroker.start()) {
            for (String topic : List.of("sensors", "control", "alerts", "dead-letters")) {
                kafka.createTopic(topic, 1);
            }
            SpikedHalves input = spikedHalves();
            List<ProducerRecord<byte[], byte[]>> first = input.first();
            List<ProducerRecord<byte[], byte[]>> second = input.second();
            long secondHalfStart = input.secondHalfStart();

            JobSettings settings = JobSettings.fromArgs(new String[] {
                "--streams", "sensors",
                "--stream.sensors.model", PipelineRun.SENSOR_MODEL.toString(),
                "--stream.sensors.topics", "sensors",
                "--kafka.bootstrap-servers", kafka.bootstrapServers(),
                "--kafka.starting-offsets", "earliest",
                "--control.topic", "control",
                "--checkpoint.interval", "500 ms",
                // One threshold instance: its dead letter for the fence command below proves that it
                // has applied every command before it.
                "--flink.parallelism.default", "1"});
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.getExecutionEnvironment(DetectionJob.flinkConfiguration(settings));
            DetectionJob.writeToKafka(DetectionJob.defineWorkflow(settings,
                    stream -> KafkaInput.read(env, settings, stream), KafkaInput.readControl(env, settings)), settings);
            JobClient job = env.executeAsync("vigil-control-test");
            try {
                send(kafka, first);
                List<JsonNode> before = PipelineRun.awaitJson(kafka, "alerts", alerts -> alerts.stream().anyMatch(a -> key(a).startsWith(QUIETED))
                        && alerts.stream().anyMatch(a -> !key(a).startsWith(QUIETED)));
                assertThat(before).as("the first spike alerts keys on both sides of the prefix")
                        .anyMatch(a -> key(a).startsWith(QUIETED)).anyMatch(a -> !key(a).startsWith(QUIETED));

                kafka.send("control", null,
                        "{\"command\":\"set\",\"scope\":{\"prefix\":\"pump-001\"},\"parameters\":{\"threshold.k\":\"50\"}}"
                                .getBytes(StandardCharsets.UTF_8));
                // A fence: a command the operator rejects, after the one under test. Commands reach
                // it in order, so once this one is dead-lettered, the first is in force.
                kafka.send("control", null, "{\"command\":\"set\",\"parameters\":{\"k\":\"-1\"}}".getBytes(StandardCharsets.UTF_8));
                List<JsonNode> dead = PipelineRun.awaitJson(kafka, "dead-letters", d -> d.stream().anyMatch(r -> r.path("topic").asText().equals("control")));
                assertThat(dead).filteredOn(r -> r.path("topic").asText().equals("control"))
                        .singleElement().satisfies(r -> assertThat(r.path("reason").asText()).isEqualTo("invalid_command"));

                send(kafka, second);
                long from = secondHalfStart;
                Predicate<JsonNode> secondHalf = a -> Instant.parse(a.path("event_time").asText()).toEpochMilli() >= from
                        && !a.path("incident").asText().equals("end");
                List<JsonNode> after = PipelineRun.awaitJson(kafka, "alerts",
                        alerts -> alerts.stream().filter(secondHalf).map(ControlTopicITCase::key).distinct().count() >= 10);

                List<JsonNode> secondSpike = after.stream().filter(secondHalf).toList();
                assertThat(secondSpike).as("the second spike still alerts the other keys")
                        .anyMatch(a -> !key(a).startsWith(QUIETED));
                assertThat(secondSpike).as("but no key of the prefix").noneMatch(a -> key(a).startsWith(QUIETED));
                // The commands' stream is joined with the scores: were its watermark held back, the
                // event-time timers that end incidents would never fire.
                assertThat(after).as("incidents of the first spike have ended")
                        .anyMatch(a -> a.path("incident").asText().equals("end"));
            } finally {
                job.cancel().get();
            }
        }
    }

    /**
     * A job started without a control topic is stopped with a savepoint and resumed from it with one:
     * the restore succeeds (the threshold operator keeps its uid and state names; its broadcast state
     * starts empty), every key goes on with its window and learned threshold, and a command sent after
     * the restore is in force.
     */
    @Test
    void savepointTakenWithoutAControlTopicResumesIntoAJobWithOne(@TempDir Path savepoints) throws Exception {
        try (KafkaTestBroker kafka = KafkaTestBroker.start()) {
            for (String topic : List.of("sensors", "control", "alerts", "dead-letters", "scores-before", "scores-after")) {
                kafka.createTopic(topic, 1);
            }
            SpikedHalves input = spikedHalves();
            List<String> common = List.of(
                    "--streams", "sensors",
                    "--stream.sensors.model", PipelineRun.SENSOR_MODEL.toString(),
                    "--stream.sensors.topics", "sensors",
                    "--kafka.bootstrap-servers", kafka.bootstrapServers(),
                    "--kafka.starting-offsets", "earliest",
                    "--checkpoint.interval", "500 ms",
                    "--flink.parallelism.default", "1");

            JobSettings withoutControl = settings(common, "--scores.topic", "scores-before");
            StreamExecutionEnvironment first =
                    StreamExecutionEnvironment.getExecutionEnvironment(DetectionJob.flinkConfiguration(withoutControl));
            DetectionJob.writeToKafka(DetectionJob.defineWorkflow(withoutControl,
                    stream -> KafkaInput.read(first, withoutControl, stream)), withoutControl);
            JobClient before = first.executeAsync("vigil-without-control");
            send(kafka, input.first());
            // Every key has alerted on the first spike and learned past it before the savepoint.
            PipelineRun.awaitJson(kafka, "scores-before", scores -> scores.size() >= 16 * (PER_KEY / 2 - 40));
            String savepoint = before.stopWithSavepoint(false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                    .get(60, TimeUnit.SECONDS);
            List<JsonNode> scoresBefore = PipelineRun.readJson(kafka, "scores-before");

            JobSettings withControl = settings(common, "--scores.topic", "scores-after", "--control.topic", "control",
                    "--flink.execution.state-recovery.path", savepoint);
            StreamExecutionEnvironment second =
                    StreamExecutionEnvironment.getExecutionEnvironment(DetectionJob.flinkConfiguration(withControl));
            DetectionJob.writeToKafka(DetectionJob.defineWorkflow(withControl,
                    stream -> KafkaInput.read(second, withControl, stream), KafkaInput.readControl(second, withControl)),
                    withControl);
            JobClient after = second.executeAsync("vigil-with-control");
            try {
                kafka.send("control", null,
                        "{\"command\":\"set\",\"scope\":{\"prefix\":\"pump-001\"},\"parameters\":{\"threshold.k\":\"50\"}}"
                                .getBytes(StandardCharsets.UTF_8));
                kafka.send("control", null, "{\"command\":\"set\",\"parameters\":{\"k\":\"-1\"}}".getBytes(StandardCharsets.UTF_8));
                PipelineRun.awaitJson(kafka, "dead-letters", d -> d.stream().anyMatch(r -> r.path("topic").asText().equals("control")));
                send(kafka, input.second());
                long from = input.secondHalfStart();
                Predicate<JsonNode> secondSpike = a -> Instant.parse(a.path("event_time").asText()).toEpochMilli() >= from
                        && !a.path("incident").asText().equals("end");
                List<JsonNode> alerts = PipelineRun.awaitJson(kafka, "alerts",
                        all -> all.stream().filter(secondSpike).map(ControlTopicITCase::key).distinct().count() >= 10);
                List<JsonNode> scoresAfter = PipelineRun.readJson(kafka, "scores-after");

                assertThat(scoresAfter).as("the resumed job scores").isNotEmpty();
                // A key that had lost its window would first wait for 16 events and account for them all at once.
                assertThat(scoresAfter).as("every key went on with its window: each score accounts for one new event")
                        .allSatisfy(s -> assertThat(s.path("events").asInt()).isEqualTo(1));
                Map<String, Double> firstThreshold = thresholds(scoresBefore, true);
                Map<String, Double> lastBefore = thresholds(scoresBefore, false);
                Map<String, Double> firstAfter = thresholds(scoresAfter, true);
                assertThat(firstAfter.keySet()).as("every key resumed").isEqualTo(lastBefore.keySet());
                assertThat(lastBefore).as("the thresholds had moved away from the calibration's before the savepoint")
                        .anySatisfy((key, t) -> assertThat(Math.abs(t - firstThreshold.get(key))).isGreaterThan(0.05 * t));
                firstAfter.forEach((key, t) -> {
                    if (key.startsWith(QUIETED)) {
                        assertThat(t).as("threshold of %s under the command's k = 50", key).isGreaterThan(10 * lastBefore.get(key));
                    } else {
                        assertThat(t).as("threshold of %s after the restore", key).isCloseTo(lastBefore.get(key), withPercentage(2));
                    }
                });

                List<JsonNode> spike = alerts.stream().filter(secondSpike).toList();
                assertThat(spike).as("the second spike alerts the other keys").anyMatch(a -> !key(a).startsWith(QUIETED));
                assertThat(spike).as("the command sent after the restore quiets the prefix")
                        .noneMatch(a -> key(a).startsWith(QUIETED));
            } finally {
                after.cancel().get();
            }
        }
    }

    /**
     * A job cancelled after a command, once a checkpoint has committed the control topic's offsets
     * for its consumer group, and started afresh under the same group (no savepoint): it replays
     * the topic from its beginning, so the command is in force again.
     */
    @Test
    void aJobStartedAfreshUnderTheSameGroupReplaysEveryCommand() throws Exception {
        try (KafkaTestBroker kafka = KafkaTestBroker.start(); Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            for (String topic : List.of("sensors", "control", "alerts", "dead-letters", "scores")) {
                kafka.createTopic(topic, 1);
            }
            List<String> common = List.of(
                    "--streams", "sensors",
                    "--stream.sensors.model", PipelineRun.SENSOR_MODEL.toString(),
                    "--stream.sensors.topics", "sensors",
                    "--kafka.bootstrap-servers", kafka.bootstrapServers(),
                    "--kafka.group-id", "vigil-replay",
                    "--kafka.starting-offsets", "earliest",
                    "--control.topic", "control",
                    "--checkpoint.interval", "500 ms",
                    "--flink.parallelism.default", "1");

            JobSettings settings = settings(common);
            JobClient first = start(settings, "vigil-commands");
            try {
                kafka.send("control", null,
                        "{\"command\":\"set\",\"scope\":{\"prefix\":\"pump-001\"},\"parameters\":{\"threshold.k\":\"50\"}}"
                                .getBytes(StandardCharsets.UTF_8));
                kafka.send("control", null, "{\"command\":\"set\",\"parameters\":{\"k\":\"-1\"}}".getBytes(StandardCharsets.UTF_8));
                assertThat(controlDeadLetters(PipelineRun.awaitJson(kafka, "dead-letters", d -> controlDeadLetters(d) == 1)))
                        .as("the fence command").isEqualTo(1);
                long deadline = System.currentTimeMillis() + 60_000;
                while (committedControlOffset(admin) < 2) {
                    assertThat(System.currentTimeMillis()).as("a checkpoint commits the control offsets").isLessThan(deadline);
                    Thread.sleep(200);
                }
            } finally {
                first.cancel().get();
            }

            JobSettings again = settings(common, "--scores.topic", "scores");
            JobClient second = start(again, "vigil-started-afresh");
            try {
                assertThat(controlDeadLetters(PipelineRun.awaitJson(kafka, "dead-letters", d -> controlDeadLetters(d) == 2)))
                        .as("the fence command, replayed").isEqualTo(2);
                List<ProducerRecord<byte[], byte[]>> spiked = spikedHalves().first();
                send(kafka, spiked);
                // Each key's first 15 readings fill its window; every later reading is one score, but
                // the last readings, 5 s and up, wait for the watermark (5 s out-of-orderness).
                int windows = spiked.size() - 16 * 15 - 16 * 6;
                assertThat(PipelineRun.awaitJson(kafka, "scores", scores -> scores.size() >= windows))
                        .as("every window up to the watermark scored").hasSizeGreaterThanOrEqualTo(windows);
                List<JsonNode> alerts = PipelineRun.readJson(kafka, "alerts");
                assertThat(alerts).as("the spike alerts the other keys").anyMatch(a -> !key(a).startsWith(QUIETED));
                assertThat(alerts).as("the replayed command quiets the prefix").noneMatch(a -> key(a).startsWith(QUIETED));
            } finally {
                second.cancel().get();
            }
        }
    }

    /**
     * Events stop while incidents are open and the events' partition goes idle: joined with the
     * control stream, event time must stand still (no incident ends early), and go on with the
     * next events, which end the incidents when they pass the merge gap.
     */
    @Test
    void incidentsOpenWhenTheEventsGoIdleEndOnlyWhenEventTimePassesTheirGap() throws Exception {
        try (KafkaTestBroker kafka = KafkaTestBroker.start()) {
            for (String topic : List.of("sensors", "control", "alerts", "dead-letters", "scores")) {
                kafka.createTopic(topic, 1);
            }
            SpikedHalves input = spikedHalves();
            // A reading a second: the spike's last windows end near reading 185, the first half at
            // reading 299, so a 200 s gap keeps the incidents open past it and ends them near 385.
            JobSettings settings = settings(List.of(
                    "--streams", "sensors",
                    "--stream.sensors.model", PipelineRun.SENSOR_MODEL.toString(),
                    "--stream.sensors.topics", "sensors",
                    "--kafka.bootstrap-servers", kafka.bootstrapServers(),
                    "--kafka.starting-offsets", "earliest",
                    "--control.topic", "control",
                    "--watermark.idleness", "1 s",
                    "--alert.merge-gap", "200 s",
                    "--scores.topic", "scores",
                    "--checkpoint.interval", "500 ms",
                    "--flink.parallelism.default", "1"));
            JobClient job = start(settings, "vigil-idle-events");
            try {
                send(kafka, input.first());
                int windows = input.first().size() - 16 * 15 - 16 * 6; // as in the test above
                assertThat(PipelineRun.awaitJson(kafka, "scores", scores -> scores.size() >= windows))
                        .as("every window of the first half up to the watermark scored").hasSizeGreaterThanOrEqualTo(windows);
                // Idle after 1 s; what the job wrote by then is committed within a checkpoint or two.
                Thread.sleep(5_000);
                List<JsonNode> quiet = PipelineRun.readJson(kafka, "alerts");
                Set<String> opened = incidents(quiet, "start");
                assertThat(opened).as("the spike opened incidents").hasSizeGreaterThanOrEqualTo(10);
                assertThat(incidents(quiet, "end")).as("no incident ends while the events are idle").isEmpty();

                send(kafka, input.second());
                Set<String> ended = incidents(PipelineRun.awaitJson(kafka, "alerts",
                        alerts -> incidents(alerts, "end").containsAll(opened)), "end");
                assertThat(ended).as("event time went on after the idle spell and ended them").containsAll(opened);
            } finally {
                job.cancel().get();
            }
        }
    }

    private static JobClient start(JobSettings settings, String name) throws Exception {
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(DetectionJob.flinkConfiguration(settings));
        DetectionJob.writeToKafka(DetectionJob.defineWorkflow(settings,
                stream -> KafkaInput.read(env, settings, stream), KafkaInput.readControl(env, settings)), settings);
        return env.executeAsync(name);
    }

    private static Set<String> incidents(List<JsonNode> alerts, String phase) {
        return alerts.stream().filter(a -> a.path("incident").asText().equals(phase))
                .map(a -> a.path("incident_id").asText()).collect(Collectors.toSet());
    }

    private static long controlDeadLetters(List<JsonNode> deadLetters) {
        return deadLetters.stream().filter(r -> r.path("topic").asText().equals("control")).count();
    }

    private static long committedControlOffset(Admin admin) throws Exception {
        OffsetAndMetadata committed = admin.listConsumerGroupOffsets("vigil-replay").partitionsToOffsetAndMetadata()
                .get(10, TimeUnit.SECONDS).get(new TopicPartition("control", 0));
        return committed == null ? 0 : committed.offset();
    }

    private static JobSettings settings(List<String> common, String... more) {
        List<String> args = new ArrayList<>(common);
        args.addAll(List.of(more));
        return JobSettings.fromArgs(args.toArray(String[]::new));
    }

    /** Per key, the threshold of its first (or last) score, in topic order. */
    private static Map<String, Double> thresholds(List<JsonNode> scores, boolean first) {
        Map<String, Double> out = new HashMap<>();
        for (JsonNode score : scores) {
            double threshold = score.path("threshold").asDouble();
            if (first) {
                out.putIfAbsent(key(score), threshold);
            } else {
                out.put(key(score), threshold);
            }
        }
        return out;
    }

    /** The input, cut in two halves, each with one spike on every key. */
    private record SpikedHalves(List<ProducerRecord<byte[], byte[]>> first, List<ProducerRecord<byte[], byte[]>> second,
            long secondHalfStart) {}

    private static SpikedHalves spikedHalves() throws Exception {
        // 16 pumps; pump-0010 … pump-0015 are the prefix the command quiets.
        List<GeneratedEvent> events = new ArrayList<>(Generator.generate(GeneratorConfig.defaults()
                .withStreams(GeneratorConfig.Streams.SENSORS).withSensorKeys(16).withEventsPerStream(16L * PER_KEY)
                .withAnomalyRate(0).withMaxOutOfOrderMs(0).withSeed(17)).events());
        events.sort(Comparator.comparingLong(GeneratedEvent::timestamp));
        // Each key's reading i; a spike of +40 °C at readings 150–169 (first half) and 450–469 (second half).
        Map<String, Integer> index = new HashMap<>();
        List<ProducerRecord<byte[], byte[]>> first = new ArrayList<>();
        List<ProducerRecord<byte[], byte[]>> second = new ArrayList<>();
        long secondHalfStart = Long.MAX_VALUE;
        for (GeneratedEvent event : events) {
            int i = index.merge(event.key(), 1, Integer::sum) - 1;
            byte[] payload = event.payload();
            if (i % 300 >= 150 && i % 300 < 170) {
                ObjectNode json = (ObjectNode) JSON.readTree(payload);
                ObjectNode values = (ObjectNode) json.get("values");
                values.put("temperature", values.get("temperature").asDouble() + 40);
                payload = JSON.writeValueAsBytes(json);
            }
            ProducerRecord<byte[], byte[]> record =
                    new ProducerRecord<>("sensors", event.key().getBytes(StandardCharsets.UTF_8), payload);
            if (i < PER_KEY / 2) {
                first.add(record);
            } else {
                second.add(record);
                secondHalfStart = Math.min(secondHalfStart, event.timestamp());
            }
        }
        return new SpikedHalves(first, second, secondHalfStart);
    }

    private static String key(JsonNode alert) {
        return alert.path("key").asText();
    }

    private static void send(KafkaTestBroker kafka, List<ProducerRecord<byte[], byte[]>> records) {
        try (KafkaProducer<byte[], byte[]> producer = kafka.producer()) {
            records.forEach(producer::send);
        }
    }
}

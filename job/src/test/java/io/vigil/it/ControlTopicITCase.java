package io.vigil.it;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

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
                List<JsonNode> before = await(kafka, "alerts", alerts -> alerts.stream().anyMatch(a -> key(a).startsWith(QUIETED))
                        && alerts.stream().anyMatch(a -> !key(a).startsWith(QUIETED)));
                assertThat(before).as("the first spike alerts keys on both sides of the prefix")
                        .anyMatch(a -> key(a).startsWith(QUIETED)).anyMatch(a -> !key(a).startsWith(QUIETED));

                kafka.send("control", null,
                        "{\"command\":\"set\",\"scope\":{\"prefix\":\"pump-001\"},\"parameters\":{\"threshold.k\":\"50\"}}"
                                .getBytes(StandardCharsets.UTF_8));
                // A fence: a command the operator rejects, after the one under test. Commands reach
                // it in order, so once this one is dead-lettered, the first is in force.
                kafka.send("control", null, "{\"command\":\"set\",\"parameters\":{\"k\":\"-1\"}}".getBytes(StandardCharsets.UTF_8));
                List<JsonNode> dead = await(kafka, "dead-letters", d -> d.stream().anyMatch(r -> r.path("topic").asText().equals("control")));
                assertThat(dead).filteredOn(r -> r.path("topic").asText().equals("control"))
                        .singleElement().satisfies(r -> assertThat(r.path("reason").asText()).isEqualTo("invalid_command"));

                send(kafka, second);
                long from = secondHalfStart;
                Predicate<JsonNode> secondHalf = a -> Instant.parse(a.path("event_time").asText()).toEpochMilli() >= from
                        && !a.path("incident").asText().equals("end");
                List<JsonNode> after = await(kafka, "alerts",
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

    private static String key(JsonNode alert) {
        return alert.path("key").asText();
    }

    private static void send(KafkaTestBroker kafka, List<ProducerRecord<byte[], byte[]>> records) {
        try (KafkaProducer<byte[], byte[]> producer = kafka.producer()) {
            records.forEach(producer::send);
        }
    }

    /** The topic's committed records once they satisfy {@code done}; fails after 40 s. */
    private static List<JsonNode> await(KafkaTestBroker kafka, String topic, Predicate<List<JsonNode>> done) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
        while (true) {
            List<JsonNode> records = PipelineRun.readJson(kafka, topic);
            if (done.test(records) || System.nanoTime() > deadline) {
                return records;
            }
            Thread.sleep(250);
        }
    }
}

package io.vigil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.generator.DetectionTally;
import io.vigil.generator.DetectionTally.Flag;
import io.vigil.generator.Generator;
import io.vigil.generator.GeneratorConfig;
import io.vigil.model.ModelContract;
import io.vigil.testing.KafkaTestBroker;
import io.vigil.testing.PipelineRun;
import io.vigil.testing.PipelineRun.Produced;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole job on a Flink MiniCluster with a real Kafka broker: generated sensor and transaction
 * streams with injected anomalies and 5 % malformed records go in; alerts, scores and dead letters
 * come out of their topics, read as a read_committed consumer would.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DetectionJobITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private KafkaTestBroker kafka;
    private Generator.Generated generated;
    private List<Produced> produced;
    private List<JsonNode> alerts;
    private List<JsonNode> scores;
    private List<JsonNode> deadLetters;

    @BeforeAll
    void runTheJobOverGeneratedStreams() throws Exception {
        kafka = KafkaTestBroker.start();
        kafka.createTopic("sensors", 2);
        kafka.createTopic("transactions", 2);
        for (String topic : List.of("alerts", "scores", "dead-letters")) {
            kafka.createTopic(topic, 1);
        }
        generated = Generator.generate(GeneratorConfig.defaults()
                .withSensorKeys(24).withTransactionKeys(150).withEventsPerStream(24_000)
                .withAnomalyRate(0.003).withMalformedRate(0.05).withSeed(20261124));
        produced = PipelineRun.produce(kafka, generated.events(), Map.of("sensors", "sensors", "transactions", "transactions"));

        PipelineRun.run(PipelineRun.settings(PipelineRun.args(kafka, "--scores.topic", "scores")), (stream, raw) -> raw);

        alerts = PipelineRun.readJson(kafka, "alerts");
        scores = PipelineRun.readJson(kafka, "scores");
        deadLetters = PipelineRun.readJson(kafka, "dead-letters");
    }

    @AfterAll
    void stopKafka() throws Exception {
        kafka.close();
    }

    private static Flag flag(JsonNode record) {
        return new Flag(record.path("stream").asText(), record.path("key").asText(),
                Instant.parse(record.path("event_time").asText()).toEpochMilli());
    }

    private DetectionTally tally(String stream) {
        long slack = (ModelContract.load(stream.equals("sensors") ? PipelineRun.SENSOR_MODEL : PipelineRun.TRANSACTION_MODEL)
                .windowSize() - 1) * GeneratorConfig.defaults().sensorIntervalMs();
        DetectionTally tally = new DetectionTally(
                generated.labels().stream().filter(l -> l.stream().equals(stream)).toList(), Map.of(stream, slack));
        alerts.stream().map(DetectionJobITCase::flag).filter(f -> f.stream().equals(stream)).forEach(tally::alert);
        scores.stream().map(DetectionJobITCase::flag).filter(f -> f.stream().equals(stream)).forEach(tally::score);
        return tally;
    }

    @Test
    void injectedSensorAnomaliesAreAlertedWithFewFalseAlerts() {
        DetectionTally tally = tally("sensors");
        assertThat(tally.injected()).as("sensor anomalies injected").isGreaterThan(30);
        assertThat(tally.recall()).as("recall; missed: %s", tally.missed()).isGreaterThanOrEqualTo(0.9);
        assertThat(tally.falseAlertRate()).as("false alerts per normal window").isLessThanOrEqualTo(0.01);
    }

    @Test
    void injectedTransactionAnomaliesAreAlertedWithFewFalseAlerts() {
        DetectionTally tally = tally("transactions");
        assertThat(tally.injected()).as("transaction anomalies injected").isGreaterThan(30);
        assertThat(tally.recall()).as("recall; missed: %s", tally.missed()).isGreaterThanOrEqualTo(0.9);
        assertThat(tally.falseAlertRate()).as("false alerts per normal window").isLessThanOrEqualTo(0.01);
    }

    @Test
    void everyProducedRecordIsScoredOrDeadLettered() {
        Map<String, Long> producedByStream = produced.stream().collect(Collectors.groupingBy(p -> p.event().stream(), Collectors.counting()));
        Map<String, Long> accounted = new HashMap<>();
        scores.forEach(s -> accounted.merge(s.path("stream").asText(), s.path("events").asLong(), Long::sum));
        deadLetters.forEach(d -> accounted.merge(d.path("topic").asText(), 1L, Long::sum));
        assertThat(accounted).isEqualTo(producedByStream);
    }

    @Test
    void eachMalformedRecordIsDeadLetteredWithTheReasonItsBreakageCalls() {
        Map<String, String> reasonByCoordinates = new HashMap<>();
        deadLetters.forEach(d -> reasonByCoordinates.put(
                d.path("topic").asText() + "/" + d.path("partition").asInt() + "/" + d.path("offset").asLong(),
                d.path("reason").asText()));
        Map<String, String> expected = new HashMap<>();
        produced.stream().filter(p -> p.event().malformed()).forEach(p -> expected.put(
                p.topic() + "/" + p.partition() + "/" + p.offset(), p.event().malformation().expectedReason().code()));
        assertThat(expected).hasSizeGreaterThan(1000);
        // Well-formed records are never dead-lettered here: the generator's disorder stays within the watermark bound.
        assertThat(reasonByCoordinates).isEqualTo(expected);
    }

    @Test
    void alertsCarryTheDocumentedFields() {
        assertThat(alerts).isNotEmpty();
        for (JsonNode alert : alerts) {
            assertThat(alert.path("alert_id").asText()).matches("[0-9a-f]{32}");
            assertThat(alert.path("stream").asText()).isIn("sensors", "transactions");
            assertThat(alert.path("score").asDouble()).isGreaterThan(alert.path("threshold").asDouble());
            assertThat(alert.path("severity").asInt()).isBetween(1, 100);
            assertThat(alert.path("model").path("version").asText()).isNotEmpty();
            assertThat(alert.path("top_features")).hasSize(3);
        }
        assertThat(alerts.stream().map(a -> a.path("alert_id").asText()).distinct().count()).isEqualTo(alerts.size());
    }
}

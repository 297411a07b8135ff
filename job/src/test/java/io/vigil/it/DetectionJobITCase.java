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
    private List<JsonNode> incidentEnds;
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
        // An incident's end summarizes alerts already written: it is not a detection of its own.
        incidentEnds = alerts.stream().filter(a -> a.path("incident").asText().equals("end")).toList();
        alerts = alerts.stream().filter(a -> !a.path("incident").asText().equals("end")).toList();
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
        Map<String, Integer> windowSizes = Map.of(
                "sensors", ModelContract.load(PipelineRun.SENSOR_MODEL).windowSize(),
                "transactions", ModelContract.load(PipelineRun.TRANSACTION_MODEL).windowSize());
        return new DetectionTally(
                generated.labels().stream().filter(l -> stream == null || l.stream().equals(stream)).toList(), windowSizes,
                scores.stream().map(DetectionJobITCase::flag).filter(f -> stream == null || f.stream().equals(stream)).toList(),
                alerts.stream().map(DetectionJobITCase::flag).filter(f -> stream == null || f.stream().equals(stream)).toList());
    }

    @Test
    void injectedAnomaliesAreAlertedWithFewFalseAlerts() {
        DetectionTally all = tally(null);
        for (String stream : List.of("sensors", "transactions")) {
            DetectionTally one = tally(stream);
            System.out.printf("detection on %s: caught %d of %d injected (recall %.3f), false alert rate %.4f; by kind %s%n",
                    stream, one.caught(), one.injected(), one.recall(), one.falseAlertRate(), describe(one));
        }
        assertThat(all.injected()).as("anomalies injected").isGreaterThan(80);
        // A rate over no normal windows would be 0: the scores must be there for it to mean anything.
        assertThat(all.normalWindows()).as("normal windows scored").isGreaterThan(30_000);
        assertThat(all.recall()).as("recall over all injected anomalies; by kind %s", describe(all)).isGreaterThanOrEqualTo(0.9);
        assertThat(all.falseAlertRate()).as("false alerts per normal window").isLessThanOrEqualTo(0.01);
    }

    /**
     * Per stream, floors below what the built-in models reach on this data (see the README's results),
     * with room for a retrained model: retrained from seeds 7 to 13, the transaction model caught
     * 0.88 to 1.0 of its anomalies here (models/README.md, reproducibility).
     */
    @Test
    void eachStreamMeetsItsFloor() {
        DetectionTally sensors = tally("sensors");
        DetectionTally transactions = tally("transactions");
        assertThat(sensors.recall()).as("sensor recall; by kind %s", describe(sensors)).isGreaterThanOrEqualTo(0.9);
        assertThat(transactions.recall()).as("transaction recall; by kind %s", describe(transactions)).isGreaterThanOrEqualTo(0.85);
        assertThat(sensors.normalWindows()).as("normal sensor windows").isGreaterThan(15_000);
        assertThat(transactions.normalWindows()).as("normal transaction windows").isGreaterThan(15_000);
        assertThat(sensors.falseAlertRate()).isLessThanOrEqualTo(0.01);
        assertThat(transactions.falseAlertRate()).isLessThanOrEqualTo(0.01);
    }

    private static String describe(DetectionTally tally) {
        StringBuilder out = new StringBuilder();
        tally.byKind().forEach((kind, c) -> out.append(kind.code()).append(' ').append(c[0]).append('/').append(c[1]).append(' '));
        return out.append("; false alerts ").append(tally.falseAlerts()).append(" of ").append(tally.normalWindows())
                .append(" normal windows").toString();
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
            assertThat(alert.path("severity").asInt()).isBetween(0, 100);
            assertThat(alert.path("incident").asText()).isIn("start", "update");
            assertThat(alert.path("incident_id").asText()).matches("[0-9a-f]{32}");
            assertThat(alert.path("model").path("version").asText()).isNotEmpty();
            assertThat(alert.path("top_features")).hasSize(3);
        }
        assertThat(alerts.stream().map(a -> a.path("alert_id").asText()).distinct().count()).isEqualTo(alerts.size());
    }

    @Test
    void everyIncidentStartsOnceAndEndsOnceWhenTheInputEnds() {
        Map<String, Long> starts = alerts.stream().filter(a -> a.path("incident").asText().equals("start"))
                .collect(Collectors.groupingBy(a -> a.path("incident_id").asText(), Collectors.counting()));
        Map<String, Long> ends = incidentEnds.stream()
                .collect(Collectors.groupingBy(a -> a.path("incident_id").asText(), Collectors.counting()));
        assertThat(starts).isNotEmpty();
        assertThat(starts.values()).allMatch(n -> n == 1);
        // The bounded input ends with a final watermark, which closes every open incident.
        assertThat(ends).isEqualTo(starts);
        assertThat(alerts).allMatch(a -> starts.containsKey(a.path("incident_id").asText()));
    }
}

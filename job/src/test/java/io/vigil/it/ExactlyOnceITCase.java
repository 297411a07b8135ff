package io.vigil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.config.StreamSettings;
import io.vigil.generator.Generator;
import io.vigil.generator.GeneratorConfig;
import io.vigil.ingest.RawEvent;
import io.vigil.testing.KafkaTestBroker;
import io.vigil.testing.PipelineRun;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A failure mid-stream, after alerts were already committed, must not change what a read_committed
 * consumer sees: after recovery the alerts topic holds exactly the alerts of a failure-free run,
 * none twice and none missing.
 */
class ExactlyOnceITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @Test
    void alertsAfterAFailureAndRecoveryEqualThoseOfAFailureFreeRun() throws Exception {
        try (KafkaTestBroker kafka = KafkaTestBroker.start()) {
            kafka.createTopic("sensors", 2);
            kafka.createTopic("transactions", 2);
            Generator.Generated generated = Generator.generate(GeneratorConfig.defaults()
                    .withSensorKeys(16).withTransactionKeys(100).withEventsPerStream(16_000)
                    .withAnomalyRate(0.004).withMalformedRate(0.02).withSeed(7));
            PipelineRun.produce(kafka, generated.events(), Map.of("sensors", "sensors", "transactions", "transactions"));

            List<JsonNode> reference = runInto(kafka, "clean", (stream, raw) -> raw);
            List<JsonNode> recovered = runInto(kafka, "failed", (stream, raw) -> raw
                    .map(new FailOnceAfterACheckpoint(4_000)).uid(stream.uid("fail-once")).name("fail-once"));

            assertThat(FailOnceAfterACheckpoint.FAILED).as("the failure was injected").isTrue();
            assertThat(FailOnceAfterACheckpoint.CHECKPOINTS_BEFORE_FAILURE.get()).as("checkpoints completed before it").isPositive();
            assertThat(reference).as("the failure-free run alerts").hasSizeGreaterThan(20);
            Map<String, JsonNode> expected = byId(reference);
            assertThat(expected).as("no alert twice in the reference run").hasSameSizeAs(reference);
            Map<String, JsonNode> actual = byId(recovered);
            assertThat(actual).as("no alert twice after recovery").hasSameSizeAs(recovered);
            assertThat(actual.keySet()).isEqualTo(expected.keySet());
            expected.forEach((id, alert) -> {
                JsonNode other = actual.get(id);
                assertThat(other.path("key")).isEqualTo(alert.path("key"));
                assertThat(other.path("event_time")).isEqualTo(alert.path("event_time"));
                assertThat(other.path("score").asDouble()).isCloseTo(alert.path("score").asDouble(),
                        org.assertj.core.data.Offset.offset(1e-6 * Math.max(1, alert.path("score").asDouble())));
            });
        }
    }

    private static List<JsonNode> runInto(KafkaTestBroker kafka, String name,
            java.util.function.BiFunction<StreamSettings, DataStream<RawEvent>, DataStream<RawEvent>> decorate) throws Exception {
        String alerts = "alerts-" + name;
        kafka.createTopic(alerts, 1);
        kafka.createTopic("dead-letters-" + name, 1);
        PipelineRun.run(PipelineRun.settings(PipelineRun.args(kafka,
                "--alerts.topic", alerts, "--dead-letter.topic", "dead-letters-" + name,
                "--alerts.transactional-id-prefix", "vigil-" + name, "--kafka.group-id", "vigil-" + name)), decorate);
        return PipelineRun.readJson(kafka, alerts);
    }

    private static Map<String, JsonNode> byId(List<JsonNode> alerts) {
        return alerts.stream().collect(Collectors.toMap(a -> a.path("alert_id").asText(), Function.identity(), (a, b) -> a));
    }

    /**
     * Throws once, in one subtask, after at least one checkpoint has completed (so some alerts are
     * already committed) and after {@code after} records. Until the first checkpoint it holds each
     * record for a millisecond (a subtask's share of the input then takes seconds, longer than the
     * first checkpoint on a slow or a fast machine), so the failure lands mid-stream rather than
     * after the bounded input is done.
     */
    static final class FailOnceAfterACheckpoint extends RichMapFunction<RawEvent, RawEvent> implements CheckpointListener {
        static final AtomicBoolean FAILED = new AtomicBoolean();
        static final AtomicInteger CHECKPOINTS_BEFORE_FAILURE = new AtomicInteger();
        private static final AtomicBoolean CHECKPOINTED = new AtomicBoolean();

        private final long after;
        private long seen;

        FailOnceAfterACheckpoint(long after) {
            this.after = after;
        }

        @Override
        public RawEvent map(RawEvent event) throws Exception {
            seen++;
            if (!CHECKPOINTED.get()) {
                Thread.sleep(1);
            }
            if (CHECKPOINTED.get() && seen >= after && FAILED.compareAndSet(false, true)) {
                throw new IllegalStateException("injected failure at record " + seen + " of this subtask");
            }
            return event;
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) {
            if (!FAILED.get()) {
                CHECKPOINTS_BEFORE_FAILURE.incrementAndGet();
                CHECKPOINTED.set(true);
            }
        }
    }
}

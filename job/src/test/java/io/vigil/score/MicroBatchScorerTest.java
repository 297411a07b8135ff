package io.vigil.score;

import static io.vigil.score.TestModels.ramp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.window.ScoringRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.metrics.groups.InternalOperatorMetricGroup;
import org.apache.flink.runtime.metrics.groups.UnregisteredMetricGroups;
import org.apache.flink.runtime.metrics.util.InterceptingOperatorMetricGroup;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.types.PojoTestUtils;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The operator in Flink's test harness: batches of at most 3 rows, at most 100 ms of delay, on the CPU. */
class MicroBatchScorerTest {

    private static final int MAX_ROWS = 3;
    private static final long MAX_DELAY_MS = 100;

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private InterceptingOperatorMetricGroup metrics;

    @BeforeEach
    void freshMetrics() {
        metrics = new InterceptingOperatorMetricGroup();
    }

    @AfterEach
    void closeEnvironments() throws Exception {
        for (AutoCloseable closeable : toClose) {
            closeable.close();
        }
    }

    private OneInputStreamOperatorTestHarness<ScoringRequest, ScoredWindow> open() throws Exception {
        return open(new MicroBatchScorer(TestModels.dense(), MAX_ROWS, MAX_DELAY_MS, OnnxDevice.CPU, 1));
    }

    private OneInputStreamOperatorTestHarness<ScoringRequest, ScoredWindow> open(MicroBatchScorer operator) throws Exception {
        OneInputStreamOperatorTestHarness<ScoringRequest, ScoredWindow> harness = create(operator);
        harness.setProcessingTime(0);
        harness.open();
        return harness;
    }

    private OneInputStreamOperatorTestHarness<ScoringRequest, ScoredWindow> create() throws Exception {
        return create(new MicroBatchScorer(TestModels.dense(), MAX_ROWS, MAX_DELAY_MS, OnnxDevice.CPU, 1));
    }

    private OneInputStreamOperatorTestHarness<ScoringRequest, ScoredWindow> create(MicroBatchScorer operator) throws Exception {
        InterceptingOperatorMetricGroup operatorMetrics = metrics;
        MockEnvironment environment = new MockEnvironmentBuilder()
                .setMetricGroup(new UnregisteredMetricGroups.UnregisteredTaskMetricGroup() {
                    @Override
                    public InternalOperatorMetricGroup getOrAddOperator(OperatorID id, String name, Map<String, String> variables) {
                        return operatorMetrics;
                    }
                })
                .build();
        toClose.add(environment);
        return new OneInputStreamOperatorTestHarness<>(operator, environment);
    }

    private static List<String> keys(OneInputStreamOperatorTestHarness<ScoringRequest, ScoredWindow> harness) {
        return harness.extractOutputValues().stream().map(ScoredWindow::key).toList();
    }

    private Histogram histogram(String name) {
        return (Histogram) metrics.get(name);
    }

    @Test
    void scoresAFullBatchAtOnceKeepingTheOrderOfTheRequests() throws Exception {
        try (var harness = open()) {
            harness.processElement(ramp("k1", 10, 0f), 10);
            harness.processElement(ramp("k2", 11, 1f), 11);
            assertEquals(List.of(), keys(harness));

            harness.processElement(ramp("k1", 12, 2f), 12);
            assertEquals(List.of("k1", "k2", "k1"), keys(harness));
            assertEquals(List.of(10L, 11L, 12L),
                    harness.extractOutputStreamRecords().stream().map(StreamRecord::getTimestamp).toList());
            assertEquals(1, histogram("batchSize").getCount());
            assertEquals(3, histogram("batchSize").getStatistics().getMax());
            assertEquals(1, histogram("inferenceMicros").getCount());
            assertEquals(3, ((Counter) metrics.get("windowsScored")).getCount());
        }
    }

    @Test
    void scoresAPartialBatchOnceTheDelayHasPassedSinceItsFirstRequest() throws Exception {
        try (var harness = open()) {
            harness.processElement(ramp("k1", 10, 0f), 10);
            harness.setProcessingTime(60);
            harness.processElement(ramp("k2", 11, 1f), 11);
            harness.setProcessingTime(99);
            assertEquals(List.of(), keys(harness));

            harness.setProcessingTime(100);
            assertEquals(List.of("k1", "k2"), keys(harness));
            assertEquals(2, histogram("batchSize").getStatistics().getMax());
        }
    }

    @Test
    void startsTheDelayAnewWithTheFirstRequestAfterAFullBatch() throws Exception {
        try (var harness = open()) {
            harness.processElement(ramp("a", 1, 0f), 1);
            harness.setProcessingTime(50);
            harness.processElement(ramp("b", 2, 0f), 2);
            harness.processElement(ramp("c", 3, 0f), 3); // full: scored, its 100 ms timer no longer matters
            harness.setProcessingTime(70);
            harness.processElement(ramp("d", 4, 0f), 4);

            harness.setProcessingTime(100);
            assertEquals(List.of("a", "b", "c"), keys(harness));
            harness.setProcessingTime(169);
            assertEquals(List.of("a", "b", "c"), keys(harness));
            harness.setProcessingTime(170);
            assertEquals(List.of("a", "b", "c", "d"), keys(harness));
            assertEquals(2, histogram("batchSize").getCount());
        }
    }

    @Test
    void scoresWhatIsBufferedBeforeTheCheckpointBarrier() throws Exception {
        try (var harness = open()) {
            harness.processElement(ramp("k1", 10, 0f), 10);
            harness.processElement(ramp("k2", 11, 1f), 11);

            harness.prepareSnapshotPreBarrier(1);
            assertEquals(List.of("k1", "k2"), keys(harness));
        }
    }

    @Test
    void aRestoredOperatorHasNothingBufferedAndScoresNothingTwice() throws Exception {
        OperatorSubtaskState checkpoint;
        try (var harness = open()) {
            harness.processElement(ramp("before-1", 10, 0f), 10);
            harness.processElement(ramp("before-2", 11, 1f), 11);
            harness.prepareSnapshotPreBarrier(1);
            checkpoint = harness.snapshot(1, 1);
            assertEquals(List.of("before-1", "before-2"), keys(harness));
            // The job fails here; what came after the checkpoint is replayed from the source.
        }

        try (var restored = create()) {
            restored.setProcessingTime(0);
            restored.initializeState(checkpoint);
            restored.open();
            restored.setProcessingTime(1_000);
            assertEquals(List.of(), keys(restored));

            restored.processElement(ramp("after", 12, 2f), 12);
            restored.setProcessingTime(1_100);
            assertEquals(List.of("after"), keys(restored));
        }
    }

    @Test
    void scoresWhatIsBufferedWhenTheInputEnds() throws Exception {
        var harness = open();
        harness.processElement(ramp("k1", 10, 0f), 10);
        harness.processElement(ramp("k2", 11, 1f), 11);
        assertEquals(List.of(), keys(harness));

        harness.close(); // finish(), then close(), as a task does at the end of a bounded input
        assertEquals(List.of("k1", "k2"), keys(harness));
    }

    @Test
    void holdsAWatermarkBackUntilTheResultsBeforeItAreOut() throws Exception {
        try (var harness = open()) {
            harness.processElement(ramp("k1", 10, 0f), 10);
            harness.processWatermark(new Watermark(20));
            assertEquals(List.of(), List.copyOf(harness.getOutput()));

            harness.setProcessingTime(100);
            List<Object> output = List.copyOf(harness.getOutput());
            assertEquals(2, output.size());
            assertEquals("k1", ((ScoredWindow) assertInstanceOf(StreamRecord.class, output.get(0)).getValue()).key());
            assertEquals(new Watermark(20), output.get(1));
        }
    }

    @Test
    void passesAWatermarkOnAtOnceWhenNothingIsBuffered() throws Exception {
        try (var harness = open()) {
            harness.processWatermark(new Watermark(20));
            assertEquals(List.of(new Watermark(20)), List.copyOf(harness.getOutput()));
        }
    }

    @Test
    void reportsTheDeviceItScoresOn() throws Exception {
        try (var harness = open()) {
            assertEquals("cpu", ((Gauge<?>) metrics.get("onnxDevice")).getValue());
            assertEquals(0, ((Gauge<?>) metrics.get("onnxCuda")).getValue());
        }
    }

    @Test
    void rejectsSettingsThatCannotBatch() {
        assertThrows(IllegalArgumentException.class, () -> new MicroBatchScorer(TestModels.dense(), 0, 100, OnnxDevice.CPU, 1));
        assertThrows(IllegalArgumentException.class, () -> new MicroBatchScorer(TestModels.dense(), 8, 0, OnnxDevice.CPU, 1));
        assertThrows(IllegalArgumentException.class, () -> new MicroBatchScorer(TestModels.dense(), 8, 100, OnnxDevice.CPU, 0));
    }

    @Test
    void travelsInTheJobGraph() throws Exception {
        // The operator, its model included, is Java-serialized into the job graph; the copy must score.
        MicroBatchScorer shipped = InstantiationUtil.clone(
                new MicroBatchScorer(TestModels.dense(), MAX_ROWS, MAX_DELAY_MS, OnnxDevice.AUTO, 2));
        try (var harness = open(shipped)) {
            harness.processElement(ramp("a", 1, 0f), 1);
            harness.processElement(ramp("b", 2, 1f), 2);
            harness.processElement(ramp("c", 3, 2f), 3);
            assertEquals(List.of("a", "b", "c"), keys(harness));
            assertTrue(harness.extractOutputValues().stream().allMatch(w -> w.score() > 0));
        }
    }

    @Test
    void itsOutputIsAPojoForFlink() {
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(ScoredWindow.class);
    }
}

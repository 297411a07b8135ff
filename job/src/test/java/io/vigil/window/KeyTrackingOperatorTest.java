package io.vigil.window;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vigil.ingest.RawEvent;
import io.vigil.parse.Event;
import io.vigil.testing.RecordingMetrics;
import io.vigil.testing.TestContracts;
import java.time.Duration;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The keysTracked gauge in a keyed operator harness, whose processing-time clock drives the counting. */
class KeyTrackingOperatorTest {

    private static final Duration INTERVAL = Duration.ofSeconds(10);

    private RecordingMetrics metrics = new RecordingMetrics();
    private KeyedOneInputStreamOperatorTestHarness<String, Event, ScoringRequest> harness;

    @AfterEach
    void close() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    private void open(Duration interval, OperatorSubtaskState restored) throws Exception {
        harness = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyTrackingOperator(new WindowAssembler(TestContracts.tiny(3, 1), 0), interval),
                Event::key, Types.STRING, metrics.environment());
        harness.setProcessingTime(0);
        if (restored != null) {
            harness.initializeState(restored);
        }
        harness.open();
    }

    private void process(String key, long timestamp) throws Exception {
        float nan = Float.NaN;
        float[] columns = {20f, 0f, 1f, 0f, nan, nan, nan};
        byte[] payload = "{}".getBytes(UTF_8);
        harness.processElement(new Event(key, timestamp, columns, new RawEvent("sensors", 0, timestamp, timestamp, payload)),
                timestamp);
    }

    private long keysTracked() {
        return (Long) metrics.gauge(KeyTrackingOperator.KEYS_TRACKED);
    }

    @Test
    void gaugeCountsTheKeysHoldingAWindowAtEachInterval() throws Exception {
        open(INTERVAL, null);
        assertEquals(0L, keysTracked());
        for (String key : new String[] {"pump-1", "pump-2", "pump-3", "pump-1"}) {
            process(key, 1000);
        }
        harness.processWatermark(1000);
        assertEquals(0L, keysTracked(), "counted at the interval, not per record");

        harness.setProcessingTime(INTERVAL.toMillis());
        assertEquals(3L, keysTracked(), "three distinct keys hold a window");

        process("pump-4", 2000);
        harness.processWatermark(2000);
        harness.setProcessingTime(2 * INTERVAL.toMillis());
        assertEquals(4L, keysTracked());
    }

    @Test
    void restoredKeysAreCountedAtOnce() throws Exception {
        open(INTERVAL, null);
        process("pump-1", 1000);
        process("pump-2", 1000);
        harness.processWatermark(1000);
        OperatorSubtaskState snapshot = harness.snapshot(1, 1);
        harness.close();

        metrics = new RecordingMetrics();
        open(INTERVAL, snapshot);
        assertEquals(2L, keysTracked());
    }

    @Test
    void zeroIntervalPublishesNoGauge() throws Exception {
        open(Duration.ZERO, null);
        process("pump-1", 1000);
        harness.setProcessingTime(Duration.ofHours(1).toMillis());
        assertFalse(metrics.has(KeyTrackingOperator.KEYS_TRACKED));
    }

    @Test
    void negativeIntervalIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> new KeyTrackingOperator(new WindowAssembler(TestContracts.tiny(3, 1), 0), Duration.ofSeconds(-1)));
    }
}

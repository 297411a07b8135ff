package io.vigil.window;

import static io.vigil.testing.TestContracts.COLUMNS;
import static io.vigil.testing.TestContracts.GAP;
import static io.vigil.testing.TestContracts.TEMPERATURE;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.deadletter.DeadLetter;
import io.vigil.ingest.RawEvent;
import io.vigil.model.ModelContract;
import io.vigil.parse.Event;
import io.vigil.testing.RecordingMetrics;
import io.vigil.testing.TestContracts;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The assembler in a keyed operator harness. Events carry temperature 20 + 4k, which the tiny
 * contract normalizes to exactly k, so a window's temperature column reads as the events' k.
 */
class WindowAssemblerTest {

    private final RecordingMetrics metrics = new RecordingMetrics();
    private KeyedOneInputStreamOperatorTestHarness<String, Event, ScoringRequest> harness;

    @AfterEach
    void close() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    private KeyedOneInputStreamOperatorTestHarness<String, Event, ScoringRequest> newHarness(WindowAssembler assembler)
            throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(assembler), Event::key, Types.STRING, metrics.environment());
    }

    private void open(ModelContract contract, long allowedLatenessMs) throws Exception {
        open(new WindowAssembler(contract, allowedLatenessMs));
    }

    private void open(WindowAssembler assembler) throws Exception {
        harness = newHarness(assembler);
        harness.open();
    }

    /** An event whose normalized temperature is {@code k}, from Kafka partition 0 at offset k. */
    private static Event event(String key, long timestamp, int k) {
        return event(key, timestamp, k, 0, k);
    }

    private static Event event(String key, long timestamp, int k, int partition, long offset) {
        float nan = Float.NaN;
        float[] columns = {20f + 4f * k, 0f, 1f, 0f, nan, nan, nan};
        byte[] payload = ("{\"k\":" + k + "}").getBytes(UTF_8);
        return new Event(key, timestamp, columns, new RawEvent("sensors", partition, offset, timestamp, payload));
    }

    private void process(Event... events) throws Exception {
        for (Event event : events) {
            harness.processElement(event, event.timestamp());
        }
    }

    private List<ScoringRequest> requests() {
        return harness.extractOutputValues();
    }

    private List<DeadLetter> lateEvents() {
        var side = harness.getSideOutput(WindowAssembler.LATE);
        return side == null ? List.of() : side.stream().map(StreamRecord::getValue).collect(Collectors.toList());
    }

    /** The normalized temperature of each step, oldest first: the events' k. */
    private static float[] ks(ScoringRequest request) {
        float[] ks = new float[request.window().length / COLUMNS];
        for (int step = 0; step < ks.length; step++) {
            ks[step] = request.window()[step * COLUMNS + TEMPERATURE];
        }
        return ks;
    }

    @Test
    void firstWindowComesAfterWindowSizeEventsAndAccountsForAllOfThem() throws Exception {
        open(TestContracts.tiny(3, 1), 0);
        process(event("a", 1000, 1), event("a", 2000, 2));
        harness.processWatermark(2000);
        assertEquals(List.of(), requests());

        process(event("a", 3000, 3));
        harness.processWatermark(3000);
        assertEquals(1, requests().size());
        ScoringRequest first = requests().get(0);
        assertEquals("a", first.key());
        assertEquals(3000, first.timestamp());
        assertEquals(3, first.events());
        assertEquals(3 * COLUMNS, first.window().length);
        assertArrayEquals(new float[] {1, 2, 3}, ks(first));

        process(event("a", 4000, 4));
        harness.processWatermark(4000);
        ScoringRequest second = requests().get(1);
        assertEquals(1, second.events());
        assertArrayEquals(new float[] {2, 3, 4}, ks(second));
        assertEquals(2, metrics.count("windowsEmitted"));
    }

    @Test
    void strideGreaterThanOneEmitsEveryStrideEventsAccountingForTheStride() throws Exception {
        open(TestContracts.tiny(3, 2), 0);
        for (int k = 1; k <= 8; k++) {
            process(event("a", k * 1000L, k));
        }
        harness.processWatermark(Long.MAX_VALUE);

        List<ScoringRequest> requests = requests();
        assertEquals(3, requests.size());
        assertArrayEquals(new float[] {1, 2, 3}, ks(requests.get(0)));
        assertArrayEquals(new float[] {3, 4, 5}, ks(requests.get(1)));
        assertArrayEquals(new float[] {5, 6, 7}, ks(requests.get(2)));
        assertEquals(List.of(3, 2, 2), requests.stream().map(ScoringRequest::events).toList());
        assertEquals(List.of(3000L, 5000L, 7000L), requests.stream().map(ScoringRequest::timestamp).toList());
    }

    @Test
    void outOfOrderEventsWithinTheLatenessAreWindowedInTimestampOrder() throws Exception {
        open(TestContracts.tiny(3, 1), 5000);
        process(event("a", 3000, 3), event("a", 1000, 1), event("a", 2000, 2));
        harness.processWatermark(7999); // 3000 + 5000 not reached: the newest event is still held
        assertEquals(List.of(), requests());

        harness.processWatermark(8000);
        assertEquals(1, requests().size());
        assertArrayEquals(new float[] {1, 2, 3}, ks(requests().get(0)));
        assertEquals(List.of(), lateEvents());
    }

    @Test
    void eventsReleasedTogetherAreOrderedByTimestampThenPartitionThenOffset() throws Exception {
        open(TestContracts.tiny(3, 1), 1000);
        process(event("a", 1000, 3, 1, 5), event("a", 1000, 2, 0, 9), event("a", 500, 0, 7, 1),
                event("a", 1000, 1, 0, 7));
        harness.processWatermark(Long.MAX_VALUE);

        assertEquals(2, requests().size());
        assertArrayEquals(new float[] {0, 1, 2}, ks(requests().get(0)));
        assertArrayEquals(new float[] {1, 2, 3}, ks(requests().get(1)));
    }

    @Test
    void windowsEndingAtEventsOfOneTimeAreNumberedInTheOrderTheEventsArePutIn() throws Exception {
        open(TestContracts.tiny(2, 1), 0);
        process(event("a", 1000, 1), event("a", 2000, 2, 0, 9), event("a", 2000, 3, 0, 4), event("a", 2000, 4, 1, 1),
                event("a", 3000, 5));
        harness.processWatermark(Long.MAX_VALUE);

        assertEquals(List.of(2000L, 2000L, 2000L, 3000L), requests().stream().map(ScoringRequest::timestamp).toList());
        assertEquals(List.of(0, 1, 2, 0), requests().stream().map(ScoringRequest::tie).toList());
        // (partition, offset) order within the time: 0/4, then 0/9, then 1/1.
        assertEquals(List.of(3f, 2f, 4f, 5f), requests().stream().map(r -> ks(r)[1]).toList());
    }

    /** The tiny contract without its last feature (hour of day): five columns instead of seven. */
    private static ModelContract withoutHourOfDay(ModelContract c) {
        int columns = COLUMNS - 2;
        return new ModelContract(c.name(), c.version(), c.stream(), c.kind(), c.onnx(), c.key(), c.timestamp(),
                c.features().subList(0, c.features().size() - 1), c.columns().subList(0, columns), c.window(),
                new ModelContract.Normalization(Arrays.copyOf(c.normalization().mean(), columns),
                        Arrays.copyOf(c.normalization().std(), columns)), c.score(), c.calibration());
    }

    @Test
    void eventsWaitingUnderAnotherModelsFeaturesAreDroppedAndCountedWhenRestoredWithANewModel() throws Exception {
        open(TestContracts.tiny(3, 1), 0);
        process(event("a", 1000, 1), event("a", 2000, 2)); // waiting for the watermark when the job stops
        OperatorSubtaskState savepoint = harness.snapshot(1, 1);
        harness.close();

        harness = newHarness(new WindowAssembler(withoutHourOfDay(TestContracts.tiny(3, 1)), 0));
        harness.initializeState(savepoint);
        harness.open();
        float nan = Float.NaN;
        for (int k = 3; k <= 5; k++) {
            harness.processElement(new Event("a", k * 1000L, new float[] {20f + 4f * k, 0f, 1f, 0f, nan},
                    new RawEvent("sensors", 0, k, k * 1000L, new byte[0])), k * 1000L);
        }
        harness.processWatermark(Long.MAX_VALUE);

        assertEquals(2, metrics.count("eventsDroppedOnModelChange"));
        assertEquals(List.of(5000L), requests().stream().map(ScoringRequest::timestamp).toList(),
                "the key's window fills again from the new model's events");
        assertEquals(3, requests().get(0).events());
    }

    @Test
    void eventAtOrBeforeTheWatermarkMinusTheLatenessIsDeadLetteredAsLate() throws Exception {
        open(TestContracts.tiny(3, 1), 1000);
        harness.processWatermark(5000);
        Event late = event("a", 4000, 1, 2, 77);
        process(late, event("a", 4001, 2));

        List<DeadLetter> lateEvents = lateEvents();
        assertEquals(1, lateEvents.size());
        DeadLetter deadLetter = lateEvents.get(0);
        assertEquals("late", deadLetter.reason());
        assertEquals(2, deadLetter.partition());
        assertEquals(77L, deadLetter.offset());
        assertArrayEquals(late.source().payload(), deadLetter.payload());
        assertTrue(deadLetter.detail().contains("1970-01-01T00:00:04Z") && deadLetter.detail().contains("1970-01-01T00:00:05Z")
                && deadLetter.detail().contains("1000 ms"), deadLetter.detail());
        assertEquals(1, metrics.count("eventsLate"));
        assertEquals(1, harness.numEventTimeTimers(), "the event at 4001 is buffered");
    }

    @Test
    void lateEventIsNotPartOfAnyWindow() throws Exception {
        open(TestContracts.tiny(3, 1), 0);
        process(event("a", 1000, 1), event("a", 2000, 2));
        harness.processWatermark(2000);
        process(event("a", 1500, 9), event("a", 3000, 3));
        harness.processWatermark(3000);

        assertEquals(1, lateEvents().size());
        assertArrayEquals(new float[] {1, 2, 3}, ks(requests().get(0)));
    }

    @Test
    void gapColumnIsSecondsSincePreviousEventAndNeutralForTheFirst() throws Exception {
        open(TestContracts.tiny(3, 1), 0);
        process(event("a", 1000, 1), event("a", 3500, 2), event("a", 3500, 3));
        harness.processWatermark(Long.MAX_VALUE);

        float[] window = requests().get(0).window();
        float mean = 1.5f;
        float std = 0.5f;
        assertEquals(0f, window[GAP], "first event of the key");
        assertEquals(((float) Math.log1p(2.5) - mean) / std, window[COLUMNS + GAP]);
        assertEquals(((float) Math.log1p(0) - mean) / std, window[2 * COLUMNS + GAP]);
    }

    @Test
    void keysAreOrderedAndWindowedIndependently() throws Exception {
        open(TestContracts.tiny(3, 1), 0);
        process(event("a", 1000, 1), event("b", 1000, 11), event("a", 2000, 2), event("b", 4000, 12),
                event("a", 3000, 3));
        harness.processWatermark(4000);
        assertEquals(1, requests().size(), "b has only two events");
        assertEquals("a", requests().get(0).key());

        process(event("b", 9000, 13));
        harness.processWatermark(9000);
        ScoringRequest b = requests().get(1);
        assertEquals("b", b.key());
        assertArrayEquals(new float[] {11, 12, 13}, ks(b));
        assertEquals(((float) Math.log1p(3) - 1.5f) / 0.5f, b.window()[COLUMNS + GAP], "gap from b's own previous event");
    }

    @Test
    void snapshotAndRestoreKeepThePartialWindowAndTheReorderBuffer() throws Exception {
        ModelContract contract = TestContracts.tiny(3, 1);
        open(contract, 1000);
        process(event("a", 1000, 1), event("a", 2000, 2));
        harness.processWatermark(3000); // both released into the window
        process(event("a", 3500, 3)); // held until 4500
        assertEquals(List.of(), requests());
        OperatorSubtaskState snapshot = harness.snapshot(1L, 1L);
        harness.close();

        harness = newHarness(new WindowAssembler(contract, 1000));
        harness.setup();
        harness.initializeState(snapshot);
        harness.open();
        assertEquals(1, harness.numEventTimeTimers(), "the held event's timer was restored");
        harness.processWatermark(4500);

        assertEquals(1, requests().size());
        ScoringRequest request = requests().get(0);
        assertArrayEquals(new float[] {1, 2, 3}, ks(request));
        assertEquals(3, request.events());
        assertEquals(((float) Math.log1p(1.5) - 1.5f) / 0.5f, request.window()[2 * COLUMNS + GAP],
                "gap measured from the event before the restore");
    }

    @Test
    void reorderBufferIsEmptiedOnRelease() throws Exception {
        open(TestContracts.tiny(3, 1), 1000);
        process(event("a", 1000, 1), event("a", 1000, 2, 1, 1), event("a", 1500, 3));
        assertEquals(2, harness.numEventTimeTimers(), "one timer per release time");
        harness.processWatermark(2500);

        assertEquals(0, harness.numEventTimeTimers());
        assertEquals(1, harness.numKeyedStateEntries(), "only the key's window state remains");
    }

    @Test
    void idleKeyStartsOverAfterTheStateTtl() throws Exception {
        open(new WindowAssembler(TestContracts.tiny(3, 1), 0, Duration.ofMinutes(1)));
        harness.setStateTtlProcessingTime(0);
        process(event("a", 1000, 1), event("a", 2000, 2));
        harness.processWatermark(2000);

        harness.setStateTtlProcessingTime(Duration.ofMinutes(2).toMillis());
        process(event("a", 3000, 3), event("a", 4000, 4));
        harness.processWatermark(4000);
        assertEquals(List.of(), requests(), "the two events before the pause expired");

        process(event("a", 5000, 5));
        harness.processWatermark(5000);
        ScoringRequest request = requests().get(0);
        assertArrayEquals(new float[] {3, 4, 5}, ks(request));
        assertEquals(3, request.events());
        assertEquals(0f, request.window()[GAP], "first event after expiry counts as the key's first");
    }

    @Test
    void keyActiveWithinTheStateTtlKeepsItsWindow() throws Exception {
        open(new WindowAssembler(TestContracts.tiny(3, 1), 0, Duration.ofMinutes(1)));
        harness.setStateTtlProcessingTime(0);
        process(event("a", 1000, 1), event("a", 2000, 2));
        harness.processWatermark(2000);

        harness.setStateTtlProcessingTime(Duration.ofSeconds(50).toMillis());
        process(event("a", 3000, 3));
        harness.processWatermark(3000);
        assertArrayEquals(new float[] {1, 2, 3}, ks(requests().get(0)));
    }

    @Test
    void farFutureTimestampIsHeldWithoutOverflowAndReleasedAtTheEndOfInput() throws Exception {
        open(TestContracts.tiny(1, 1), 1000);
        process(event("a", Long.MAX_VALUE - 10, 1));
        harness.processWatermark(Long.MAX_VALUE - 1);
        assertEquals(List.of(), lateEvents());
        assertEquals(List.of(), requests());

        harness.processWatermark(Long.MAX_VALUE);
        assertEquals(1, requests().size());
    }

    @Test
    void negativeLatenessIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new WindowAssembler(TestContracts.tiny(), -1));
    }

    @Test
    void assemblerSurvivesJavaSerializationAsFlinkShipsIt() throws Exception {
        open(InstantiationUtil.clone(new WindowAssembler(TestContracts.tiny(3, 1), 0, Duration.ofHours(1))));
        process(event("a", 1000, 1), event("a", 2000, 2), event("a", 3000, 3));
        harness.processWatermark(3000);
        assertEquals(1, requests().size());
    }
}

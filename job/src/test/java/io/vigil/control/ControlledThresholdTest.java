package io.vigil.control;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.alert.Alert;
import io.vigil.alert.AlertSettings;
import io.vigil.deadletter.DeadLetter;
import io.vigil.ingest.RawEvent;
import io.vigil.model.ModelContract;
import io.vigil.score.ScoredWindow;
import io.vigil.threshold.AdaptiveThreshold;
import io.vigil.threshold.ScoreRecord;
import io.vigil.threshold.ThresholdRules;
import io.vigil.threshold.ThresholdSettings;
import io.vigil.threshold.ThresholdState;
import io.vigil.config.JobSettings;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

/**
 * The threshold operator with control commands, in a harness: commands parsed by the real
 * {@link CommandParser}, broadcast into {@link ControlledThreshold}, scores judged before and after.
 */
class ControlledThresholdTest {

    static final ModelContract CONTRACT = loadContract();
    /** The test model's calibration: ln(score) ~ N(ln 0.3, 0.4²); sigma's threshold of a new key at k = 3.5. */
    static final double CALIBRATION_THRESHOLD = 0.3 * Math.exp(3.5 * 0.4);

    private static final float[] ERRORS = {0.1f, 5.0f, 0.5f, 2.0f, 0.05f};

    static ModelContract loadContract() {
        try {
            return ModelContract.load(Path.of(ControlledThresholdTest.class.getResource("/threshold/model.json").toURI()).getParent());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ControlledThreshold operator(ThresholdRules rules) {
        return new ControlledThreshold("sensors", new AdaptiveThreshold("sensors", CONTRACT, rules, AlertSettings.defaults(), null));
    }

    private static ControlledThreshold operator(ThresholdRules rules, Duration ttl) {
        return new ControlledThreshold("sensors", new AdaptiveThreshold("sensors", CONTRACT, rules, AlertSettings.defaults(), ttl));
    }

    private static KeyedBroadcastOperatorTestHarness<String, ScoredWindow, ThresholdCommand, Alert> harness(ThresholdRules rules)
            throws Exception {
        return ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
                operator(rules), ScoredWindow::key, Types.STRING, ControlledThreshold.COMMANDS);
    }

    private static KeyedBroadcastOperatorTestHarness<String, ScoredWindow, ThresholdCommand, Alert> harness() throws Exception {
        return harness(ThresholdRules.none(ThresholdSettings.defaults()));
    }

    /** A command as the job gets it: the JSON through the real parser, with its coordinates. */
    static ThresholdCommand command(String json) throws Exception {
        try (OneInputStreamOperatorTestHarness<RawEvent, ThresholdCommand> parser = ProcessFunctionTestHarnesses.forProcessFunction(
                new CommandParser(JobSettings.thresholdParameterNames(), List.of("sensors", "transactions"), 1 << 16))) {
            parser.processElement(new StreamRecord<>(raw(json)));
            List<ThresholdCommand> parsed = parser.extractOutputValues();
            assertEquals(1, parsed.size(), () -> "parses: " + json + " " + parser.getSideOutput(CommandParser.DEAD_LETTERS));
            return parsed.get(0);
        }
    }

    static RawEvent raw(String json) {
        return new RawEvent("control", 0, 7, 0, json.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(KeyedBroadcastOperatorTestHarness<String, ScoredWindow, ThresholdCommand, Alert> harness, String json)
            throws Exception {
        harness.processBroadcastElement(new StreamRecord<>(command(json)));
    }

    /** Scores {@code key} once and returns the threshold it was judged against. */
    private static double threshold(KeyedBroadcastOperatorTestHarness<String, ScoredWindow, ThresholdCommand, Alert> harness,
            String key, double score) throws Exception {
        int before = harness.getSideOutput(AdaptiveThreshold.SCORES) == null ? 0 : harness.getSideOutput(AdaptiveThreshold.SCORES).size();
        harness.processElement(new StreamRecord<>(new ScoredWindow(key, 1_000, 0, score, ERRORS.clone(),
                new float[5], new float[5], 1), 1_000));
        List<ScoreRecord> scores = harness.getSideOutput(AdaptiveThreshold.SCORES).stream().map(StreamRecord::getValue).toList();
        assertEquals(before + 1, scores.size());
        return scores.get(scores.size() - 1).threshold();
    }

    private static List<DeadLetter> deadLetters(KeyedBroadcastOperatorTestHarness<String, ScoredWindow, ThresholdCommand, Alert> harness) {
        var side = harness.getSideOutput(ControlledThreshold.DEAD_LETTERS);
        return side == null ? List.of() : side.stream().map(StreamRecord::getValue).toList();
    }

    private static ThresholdState sigmaState(KeyedBroadcastOperatorTestHarness<String, ScoredWindow, ThresholdCommand, Alert> harness,
            String key) throws Exception {
        harness.getOperator().setCurrentKey(key);
        return harness.getOperator().getKeyedStateStore().getState(
                new org.apache.flink.api.common.state.ValueStateDescriptor<>(AdaptiveThreshold.STATE_NAME, ThresholdState.class)).value();
    }

    @Test
    void aGlobalSetChangesEveryKeysMethodFromTheNextScore() throws Exception {
        try (var harness = harness()) {
            assertEquals(CALIBRATION_THRESHOLD, threshold(harness, "pump-1", 0.6), 1e-12);
            send(harness, "{\"command\":\"set\",\"scope\":\"global\",\"parameters\":{\"threshold.method\":\"static\",\"threshold.static-value\":\"0.5\"}}");
            assertEquals(0.5, threshold(harness, "pump-1", 0.6));
            assertEquals(0.5, threshold(harness, "valve-9", 0.6));
            // 0.6 was below sigma's calibration threshold before the command, above 0.5 after it.
            assertEquals(List.of("pump-1", "valve-9"), harness.extractOutputValues().stream().map(Alert::key).toList());
            assertArrayEquals(new String[] {"method", "static-value"},
                    harness.getBroadcastState(ControlledThreshold.COMMANDS).get("global:").names);
        }
    }

    @Test
    void aPrefixSetChangesOnlyTheKeysWithThatPrefix() throws Exception {
        try (var harness = harness()) {
            send(harness, "{\"command\":\"set\",\"scope\":{\"prefix\":\"pump-\"},\"parameters\":{\"k\":5}}");
            // Sigma from the calibration at k = 5 for pumps; the job's k = 3.5 for the rest.
            assertEquals(0.3 * Math.exp(5 * 0.4), threshold(harness, "pump-17", 0.1), 1e-12);
            assertEquals(CALIBRATION_THRESHOLD, threshold(harness, "valve-17", 0.1), 1e-12);
        }
    }

    @Test
    void aKeySetBeatsItsPrefixAndKeepsWhatItDoesNotSet() throws Exception {
        try (var harness = harness()) {
            send(harness, "{\"command\":\"set\",\"scope\":{\"prefix\":\"pump-\"},\"parameters\":{\"method\":\"static\",\"static-value\":\"0.5\"}}");
            send(harness, "{\"command\":\"set\",\"scope\":{\"key\":\"pump-17\"},\"parameters\":{\"static-value\":\"2.0\"}}");
            assertEquals(2.0, threshold(harness, "pump-17", 0.6), "the key's own value over the prefix's method");
            assertEquals(0.5, threshold(harness, "pump-170", 0.6), "a key is exact, not a prefix");
            assertEquals(List.of("pump-170"), harness.extractOutputValues().stream().map(Alert::key).toList());
        }
    }

    @Test
    void repeatedSetsToAScopeMergeAndClearRevertsToTheStartupRules() throws Exception {
        ThresholdRules fileRules = new ThresholdRules(ThresholdSettings.defaults(), List.of(
                new ThresholdRules.Rule("pump-", ThresholdSettings.defaults().withStatic(0.5, Double.NaN),
                        Map.of("method", "static", "static-value", "0.5"))));
        try (var harness = harness(fileRules)) {
            send(harness, "{\"command\":\"set\",\"scope\":{\"prefix\":\"pump-\"},\"parameters\":{\"static-value\":\"0.7\"}}");
            send(harness, "{\"command\":\"set\",\"scope\":{\"prefix\":\"pump-\"},\"parameters\":{\"k\":\"5\"}}");
            assertEquals(0.7, threshold(harness, "pump-1", 0.1), "the second set keeps the first's value");
            assertArrayEquals(new String[] {"static-value", "k"},
                    harness.getBroadcastState(ControlledThreshold.COMMANDS).get("prefix:pump-").names);
            send(harness, "{\"command\":\"clear\",\"scope\":{\"prefix\":\"pump-\"}}");
            assertEquals(0.5, threshold(harness, "pump-1", 0.1), "the rules file's line again");
            assertNull(harness.getBroadcastState(ControlledThreshold.COMMANDS).get("prefix:pump-"));
        }
    }

    @Test
    void aGlobalSetReachesWhatARulesFileLineDoesNotSet() throws Exception {
        ThresholdRules fileRules = new ThresholdRules(ThresholdSettings.defaults(), List.of(
                new ThresholdRules.Rule("pump-", ThresholdSettings.defaults().withMethod(io.vigil.threshold.ThresholdMethod.SIGMA),
                        Map.of("warmup", "50"))));
        try (var harness = harness(fileRules)) {
            send(harness, "{\"command\":\"set\",\"parameters\":{\"k\":\"5\"}}");
            // The line sets only warmup: k comes from the job-wide settings, as changed.
            assertEquals(0.3 * Math.exp(5 * 0.4), threshold(harness, "pump-1", 0.1), 1e-12);
        }
    }

    @Test
    void aPrefixResetClearsTheLearnedStateOfThoseKeysOnly() throws Exception {
        try (var harness = harness()) {
            threshold(harness, "pump-1", 0.2);
            threshold(harness, "pump-2", 0.2);
            threshold(harness, "valve-1", 0.2);
            assertNotNull(sigmaState(harness, "pump-1"));
            send(harness, "{\"command\":\"reset\",\"scope\":{\"prefix\":\"pump-\"}}");
            assertNull(sigmaState(harness, "pump-1"));
            assertNull(sigmaState(harness, "pump-2"));
            assertNotNull(sigmaState(harness, "valve-1"));
            // Reset, the key starts again from the calibration.
            assertEquals(CALIBRATION_THRESHOLD, threshold(harness, "pump-1", 0.2), 1e-12);
            assertFalse(harness.getBroadcastState(ControlledThreshold.COMMANDS).immutableEntries().iterator().hasNext(),
                    "a reset is done, not remembered");
        }
    }

    /** The job runs with a state TTL by default: the reset must reach states created with one. */
    @Test
    void aResetReachesStateThatHasATtl() throws Exception {
        try (var harness = ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
                operator(ThresholdRules.none(ThresholdSettings.defaults()), Duration.ofDays(7)),
                ScoredWindow::key, Types.STRING, ControlledThreshold.COMMANDS)) {
            for (int i = 0; i < 20; i++) {
                threshold(harness, "pump-1", 0.05);
            }
            // Twenty low scores have moved the key's threshold off the calibration's.
            double learned = threshold(harness, "pump-1", 0.05);
            assertTrue(Math.abs(learned - CALIBRATION_THRESHOLD) > 1e-3, "learned " + learned);
            send(harness, "{\"command\":\"reset\",\"scope\":{\"prefix\":\"pump-\"}}");
            assertEquals(CALIBRATION_THRESHOLD, threshold(harness, "pump-1", 0.05), 1e-12);
        }
    }

    @Test
    void aKeyResetClearsThatKeyOnly() throws Exception {
        try (var harness = harness()) {
            threshold(harness, "pump-17", 0.2);
            threshold(harness, "pump-170", 0.2);
            send(harness, "{\"command\":\"reset\",\"scope\":{\"key\":\"pump-17\"}}");
            assertNull(sigmaState(harness, "pump-17"));
            assertNotNull(sigmaState(harness, "pump-170"));
        }
    }

    @Test
    void anOutOfRangeValueIsDeadLetteredWithItsBytesAndChangesNothing() throws Exception {
        String json = "{\"command\":\"set\",\"scope\":{\"prefix\":\"pump-\"},\"parameters\":{\"method\":\"static\",\"k\":\"-1\"}}";
        try (var harness = harness()) {
            send(harness, json);
            List<DeadLetter> dead = deadLetters(harness);
            assertEquals(1, dead.size());
            assertEquals("invalid_command", dead.get(0).reason());
            assertTrue(dead.get(0).detail().contains("threshold.k"), dead.get(0).detail());
            assertArrayEquals(json.getBytes(StandardCharsets.UTF_8), dead.get(0).payload());
            assertEquals(7, dead.get(0).offset());
            // Atomic: not even the valid half (method) was applied.
            assertEquals(CALIBRATION_THRESHOLD, threshold(harness, "pump-1", 0.1), 1e-12);
            assertNull(harness.getBroadcastState(ControlledThreshold.COMMANDS).get("prefix:pump-"));
        }
    }

    @Test
    void aStaticQuantileTheCalibrationDoesNotListIsDeadLettered() throws Exception {
        try (var harness = harness()) {
            send(harness, "{\"command\":\"set\",\"parameters\":{\"method\":\"static\",\"static-quantile\":\"0.95\"}}");
            assertEquals(1, deadLetters(harness).size());
            assertEquals(CALIBRATION_THRESHOLD, threshold(harness, "pump-1", 0.1), 1e-12);
        }
    }

    @Test
    void aCommandForAnotherStreamIsIgnored() throws Exception {
        try (var harness = harness()) {
            send(harness, "{\"command\":\"set\",\"stream\":\"transactions\",\"parameters\":{\"k\":\"5\"}}");
            assertEquals(CALIBRATION_THRESHOLD, threshold(harness, "pump-1", 0.1), 1e-12);
            assertTrue(deadLetters(harness).isEmpty());
        }
    }

    @Test
    void snapshotAndRestoreKeepTheAppliedCommands() throws Exception {
        OperatorSubtaskState snapshot;
        try (var harness = harness()) {
            send(harness, "{\"command\":\"set\",\"scope\":{\"prefix\":\"pump-\"},\"parameters\":{\"method\":\"static\",\"static-value\":\"0.5\"}}");
            send(harness, "{\"command\":\"set\",\"scope\":{\"key\":\"pump-17\"},\"parameters\":{\"static-value\":\"2\"}}");
            snapshot = harness.snapshot(1L, 1_000L);
        }
        var restored = new KeyedBroadcastOperatorTestHarness<>(
                new CoBroadcastWithKeyedOperator<>(operator(ThresholdRules.none(ThresholdSettings.defaults())),
                        List.of(ControlledThreshold.COMMANDS)),
                ScoredWindow::key, Types.STRING, 1, 1, 0);
        try (restored) {
            restored.setup();
            restored.initializeState(snapshot);
            restored.open();
            // The first score after the restore is judged with the commands, before any new one arrives.
            assertEquals(0.5, threshold(restored, "pump-1", 0.1));
            assertEquals(2.0, threshold(restored, "pump-17", 0.1));
            assertEquals(CALIBRATION_THRESHOLD, threshold(restored, "valve-1", 0.1), 1e-12);
        }
    }
}

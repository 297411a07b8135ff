package io.vigil.threshold;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.alert.Alert;
import io.vigil.alert.FeatureContribution;
import io.vigil.alert.IncidentPhase;
import io.vigil.model.ModelContract;
import io.vigil.score.ScoredWindow;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

class AdaptiveThresholdTest {

    static final ModelContract CONTRACT = loadContract();

    /** Calibration of the test model: ln(score) ~ N(ln 0.3, 0.4²). */
    static final ThresholdState SEED = ThresholdState.seed(CONTRACT.calibration());
    static final double SEED_MEAN = SEED.mean();
    static final double SEED_VARIANCE = SEED.variance();
    /** With k = 4: exp(ln 0.3 + 4·0.4) ≈ 1.486. */
    static final double SEED_THRESHOLD = 0.3 * Math.exp(1.6);

    /** The worked numbers below use k = 4 and warm-up 100, not the shipped defaults. */
    static final ThresholdSettings DEFAULTS = new ThresholdSettings(4.0, 0.01, 100, 3);

    private static final float[] ERRORS = {0.1f, 5.0f, 0.5f, 2.0f, 0.05f};
    private static final float[] OBSERVED = {71.2f, 1.5f, 0.9f, 0.5f, -0.8f};
    private static final float[] EXPECTED = {60.1f, 1.2f, 0.4f, 0.45f, -0.85f};

    static ModelContract loadContract() {
        try {
            return ModelContract.load(Path.of(AdaptiveThresholdTest.class.getResource("/threshold/model.json").toURI()).getParent());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static ScoredWindow window(String key, long timestamp, double score) {
        return new ScoredWindow(key, timestamp, 0, score, ERRORS.clone(), OBSERVED.clone(), EXPECTED.clone(), 1);
    }

    static KeyedOneInputStreamOperatorTestHarness<String, ScoredWindow, Alert> harness(ThresholdSettings settings)
            throws Exception {
        return ProcessFunctionTestHarnesses.forKeyedProcessFunction(
                new AdaptiveThreshold("sensors", CONTRACT, settings), ScoredWindow::key, Types.STRING);
    }

    static void process(KeyedOneInputStreamOperatorTestHarness<String, ScoredWindow, Alert> harness,
            String key, long timestamp, double score) throws Exception {
        harness.processElement(new StreamRecord<>(window(key, timestamp, score), timestamp));
    }

    static ThresholdState stateOf(KeyedOneInputStreamOperatorTestHarness<String, ScoredWindow, Alert> harness,
            String key, Duration ttl) throws Exception {
        harness.getOperator().setCurrentKey(key);
        return harness.getOperator().getKeyedStateStore().getState(AdaptiveThreshold.stateDescriptor(ttl)).value();
    }

    static ThresholdState stateOf(KeyedOneInputStreamOperatorTestHarness<String, ScoredWindow, Alert> harness,
            String key) throws Exception {
        return stateOf(harness, key, null);
    }

    static List<ScoreRecord> scores(KeyedOneInputStreamOperatorTestHarness<String, ScoredWindow, Alert> harness) {
        return harness.getSideOutput(AdaptiveThreshold.SCORES).stream().map(StreamRecord::getValue).toList();
    }

    @Test
    void firstScoreAboveCalibrationThresholdAlerts() throws Exception {
        var harness = harness(DEFAULTS);
        process(harness, "pump-17", 1_000, 2.0);

        List<Alert> alerts = harness.extractOutputValues();
        assertEquals(1, alerts.size());
        assertEquals(SEED_THRESHOLD, alerts.get(0).threshold(), 1e-12);
    }

    @Test
    void firstScoreBelowCalibrationThresholdDoesNotAlertAndIsLearned() throws Exception {
        var harness = harness(DEFAULTS);
        process(harness, "pump-17", 1_000, 1.0);

        assertTrue(harness.extractOutputValues().isEmpty());
        ThresholdState expected = SEED.learn(0.0, 0.01, 100, CONTRACT.calibration());
        assertEquals(expected, stateOf(harness, "pump-17"));
        assertEquals(1, stateOf(harness, "pump-17").count());
    }

    @Test
    void warmUpMovesThresholdDownTowardKeysOwnLowerLevel() throws Exception {
        // warmup 10: the calibration weighs as 10 scores; alpha takes over only after 90 own scores.
        var harness = harness(new ThresholdSettings(4.0, 0.01, 10, 3));
        // ln 0.03 is below what a key may learn (calibration mean − 2 sd): it is learned at that bound.
        double x = SEED_MEAN - ThresholdState.MEAN_BOUND_SD * Math.sqrt(SEED_VARIANCE);
        for (int i = 0; i < 90; i++) {
            process(harness, "quiet", i, 0.03);
        }

        // An exact pooled mean and variance of 10 calibration pseudo-scores and 90 own (bounded) scores.
        ThresholdState state = stateOf(harness, "quiet");
        assertEquals(90, state.count());
        assertEquals(0.1 * SEED_MEAN + 0.9 * x, state.mean(), 1e-9);
        assertEquals(0.1 * SEED_VARIANCE + 0.09 * (x - SEED_MEAN) * (x - SEED_MEAN), state.variance(), 1e-9);

        // 1.0 is normal for a new key (threshold 1.49) but not for this quiet one (threshold 0.43).
        process(harness, "quiet", 100, 1.0);
        process(harness, "new", 100, 1.0);
        List<Alert> alerts = harness.extractOutputValues();
        assertEquals(1, alerts.size());
        assertEquals("quiet", alerts.get(0).key());
        assertEquals(Math.exp(state.logThreshold(4.0)), alerts.get(0).threshold(), 1e-12);
    }

    @Test
    void warmUpMovesThresholdUpTowardKeysOwnHigherLevel() throws Exception {
        var harness = harness(new ThresholdSettings(4.0, 0.01, 10, 3));
        for (int i = 0; i < 90; i++) {
            process(harness, "noisy", i, 1.0);
        }
        assertTrue(harness.extractOutputValues().isEmpty(), "scores at the key's own level never alert");

        // ln 1.0 is above what a key may learn (calibration mean + 2 sd): it is learned at that bound,
        // so a noisy key gets a higher threshold than the fleet, but not an unbounded one.
        double x = SEED_MEAN + ThresholdState.MEAN_BOUND_SD * Math.sqrt(SEED_VARIANCE);
        ThresholdState state = stateOf(harness, "noisy");
        assertEquals(0.1 * SEED_MEAN + 0.9 * x, state.mean(), 1e-9);
        assertEquals(0.1 * SEED_VARIANCE + 0.09 * (x - SEED_MEAN) * (x - SEED_MEAN), state.variance(), 1e-9);

        // 1.6 alerts on a new key (threshold 1.49) but is within this noisy key's range (threshold 1.82).
        process(harness, "noisy", 100, 1.6);
        process(harness, "new", 100, 1.6);
        List<Alert> alerts = harness.extractOutputValues();
        assertEquals(1, alerts.size());
        assertEquals("new", alerts.get(0).key());
    }

    @Test
    void alertCarriesThresholdSeverityModelAndTopFeatures() throws Exception {
        var harness = harness(DEFAULTS);
        process(harness, "pump-17", 1_763_805_600_123L, 3.0);

        Alert alert = harness.extractOutputValues().get(0);
        assertEquals("sensors", alert.stream());
        assertEquals("pump-17", alert.key());
        assertEquals(1_763_805_600_123L, alert.eventTime());
        assertEquals(3.0, alert.score());
        assertEquals(SEED_THRESHOLD, alert.threshold(), 1e-12);
        // ln 3 is (ln 3 − ln 0.3) / 0.4 = 5.76 calibration deviations above the mean: a normal
        // window scores this high with p = 4.3e-9, so severity round(−10·log10 p) = 84.
        assertEquals(84, alert.severity());
        assertEquals("sigma", alert.method());
        assertEquals(IncidentPhase.START, alert.phase());
        assertEquals("sensor-autoencoder", alert.model());
        assertEquals("1.0.0", alert.modelVersion());
        // errors: temperature 0.1, pressure 5.0, vibration 0.5, hour:sin 2.0, hour:cos 0.05
        assertArrayEquals(new FeatureContribution[] {
                    new FeatureContribution("pressure", 1.5f, 1.2f, 5.0f),
                    new FeatureContribution("hour:sin", 0.5f, 0.45f, 2.0f),
                    new FeatureContribution("vibration", 0.9f, 0.4f, 0.5f)},
                alert.topFeatures());
    }

    @Test
    void topFeaturesCountFollowsSettings() throws Exception {
        var harness = harness(new ThresholdSettings(4.0, 0.01, 100, 1));
        process(harness, "pump-17", 1_000, 3.0);

        FeatureContribution[] top = harness.extractOutputValues().get(0).topFeatures();
        assertEquals(1, top.length);
        assertEquals("pressure", top[0].feature());
    }

    @Test
    void alertIdIsDeterministicAcrossRuns() throws Exception {
        String first = alertIdOfOneRun(1_000);
        String second = alertIdOfOneRun(1_000);

        assertEquals(first, second);
        byte[] digest = MessageDigest.getInstance("SHA-256")
                .digest("sensors|pump-17|1000|sensor-autoencoder|1.0.0".getBytes(StandardCharsets.UTF_8));
        assertEquals(HexFormat.of().formatHex(Arrays.copyOf(digest, 16)), first);
        assertEquals(32, first.length());
        assertNotEquals(first, alertIdOfOneRun(1_001));
    }

    @Test
    void windowsEndingAtEventsOfOneTimeGetAnIdEach() throws Exception {
        var harness = harness(DEFAULTS);
        for (int tie = 0; tie < 3; tie++) {
            harness.processElement(new StreamRecord<>(new ScoredWindow("pump-17", 1_000, tie, 50.0, ERRORS.clone(),
                    OBSERVED.clone(), EXPECTED.clone(), 1), 1_000));
        }
        List<String> ids = harness.extractOutputValues().stream().map(Alert::alertId).toList();
        assertEquals(3, ids.size());
        assertEquals(3, ids.stream().distinct().count());
        assertEquals(alertIdOfOneRun(1_000), ids.get(0), "the first window of a time keeps the id it always had");
        byte[] digest = MessageDigest.getInstance("SHA-256")
                .digest("sensors|pump-17|1000|2|sensor-autoencoder|1.0.0".getBytes(StandardCharsets.UTF_8));
        assertEquals(HexFormat.of().formatHex(Arrays.copyOf(digest, 16)), ids.get(2));
    }

    private static String alertIdOfOneRun(long eventTime) throws Exception {
        var harness = harness(DEFAULTS);
        process(harness, "pump-17", eventTime, 50.0);
        String id = harness.extractOutputValues().get(0).alertId();
        harness.close();
        return id;
    }

    @Test
    void alertingScoresDoNotMoveTheBaseline() throws Exception {
        var harness = harness(DEFAULTS);
        process(harness, "pump-17", 1, 0.3);
        ThresholdState before = stateOf(harness, "pump-17");

        for (int i = 2; i < 50; i++) {
            process(harness, "pump-17", i, 100.0);
        }

        assertEquals(48, harness.extractOutputValues().size(), "a key that stays anomalous keeps alerting");
        assertEquals(before, stateOf(harness, "pump-17"));
    }

    @Test
    void keysAreIndependent() throws Exception {
        var harness = harness(new ThresholdSettings(4.0, 0.01, 10, 3));
        for (int i = 0; i < 90; i++) {
            process(harness, "quiet", i, 0.03);
        }
        process(harness, "other", 100, 0.3);

        assertEquals(SEED.learn(Math.log(0.3), 0.01, 10, CONTRACT.calibration()),
                stateOf(harness, "other"));
        assertEquals(90, stateOf(harness, "quiet").count());
        assertNull(stateOf(harness, "never-seen"));
    }

    /** The test model retrained: another ONNX file, and a calibration whose ln(score) ~ N(ln 0.6, 0.4²). */
    static ModelContract retrained() {
        ModelContract c = CONTRACT;
        ModelContract.Onnx onnx = new ModelContract.Onnx(c.onnx().file(), "f".repeat(64), c.onnx().input(),
                c.onnx().output(), c.onnx().opset());
        ModelContract.Calibration calibration = new ModelContract.Calibration(c.calibration().samples(),
                c.calibration().logMean() + Math.log(2), c.calibration().logStd(), c.calibration().quantiles());
        return new ModelContract(c.name(), "2.0.0", c.stream(), c.kind(), onnx, c.key(), c.timestamp(), c.features(),
                c.columns(), c.window(), c.normalization(), c.score(), calibration);
    }

    static KeyedOneInputStreamOperatorTestHarness<String, ScoredWindow, Alert> restore(ModelContract contract,
            ThresholdSettings settings, OperatorSubtaskState snapshot) throws Exception {
        var restored = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new AdaptiveThreshold("sensors", contract, settings)),
                ScoredWindow::key, Types.STRING);
        restored.initializeState(snapshot);
        restored.open();
        return restored;
    }

    @Test
    void snapshotAndRestoreKeepEachKeysState() throws Exception {
        ThresholdSettings settings = new ThresholdSettings(4.0, 0.01, 10, 3);
        var harness = harness(settings);
        for (int i = 0; i < 30; i++) {
            process(harness, "quiet", i, 0.03);
            process(harness, "noisy", i, 1.0);
        }
        ThresholdState quiet = stateOf(harness, "quiet");
        ThresholdState noisy = stateOf(harness, "noisy");
        OperatorSubtaskState snapshot = harness.snapshot(1L, 1_000L);
        harness.close();

        var restored = restore(CONTRACT, settings, snapshot);

        assertEquals(quiet, stateOf(restored, "quiet"));
        assertEquals(noisy, stateOf(restored, "noisy"));
        // The restored baseline is the one that judges the next score.
        process(restored, "quiet", 100, 0.03);
        assertEquals(Math.exp(quiet.logThreshold(4.0)), scores(restored).get(0).threshold(), 1e-12);
        restored.close();
    }

    /**
     * A snapshot after 30 low scores of key "quiet"; {@code withoutModelRecord}: as a savepoint
     * written before keys recorded their model.
     */
    static OperatorSubtaskState snapshotOfAQuietKey(ThresholdSettings settings, boolean withoutModelRecord) throws Exception {
        var harness = harness(settings);
        for (int i = 0; i < 30; i++) {
            process(harness, "quiet", i, 0.03);
        }
        if (withoutModelRecord) {
            harness.getOperator().setCurrentKey("quiet");
            harness.getOperator().getKeyedStateStore().getState(AdaptiveThreshold.modelDescriptor(null)).clear();
        }
        OperatorSubtaskState snapshot = harness.snapshot(1L, 1_000L);
        harness.close();
        return snapshot;
    }

    @Test
    void restoredUnderAnotherModelEachKeyStartsAgainFromItsCalibration() throws Exception {
        ThresholdSettings settings = new ThresholdSettings(4.0, 0.01, 10, 3);
        OperatorSubtaskState snapshot = snapshotOfAQuietKey(settings, false);

        ModelContract retrained = retrained();
        var restored = restore(retrained, settings, snapshot);
        assertEquals(30, stateOf(restored, "quiet").count(), "restored as it was until the key scores");
        process(restored, "quiet", 100, 0.6);

        // Judged from the new calibration (exp(ln 0.6 + 4·0.4)), then that score learned as the first.
        ThresholdState seed = ThresholdState.seed(retrained.calibration());
        assertEquals(Math.exp(seed.logThreshold(4.0)), scores(restored).get(0).threshold(), 1e-12);
        assertEquals(seed.learn(Math.log(0.6), 0.01, 10, retrained.calibration()), stateOf(restored, "quiet"));
        // Restored again under the same new model, the key keeps what it learned since.
        OperatorSubtaskState again = restored.snapshot(2L, 2_000L);
        restored.close();
        var same = restore(retrained, settings, again);
        process(same, "quiet", 200, 0.6);
        assertEquals(2, stateOf(same, "quiet").count());
        same.close();
    }

    @Test
    void aKeyWhoseFirstScoreIsOlderThanTheTtlIsStillReseededUnderAnotherModel() throws Exception {
        Duration ttl = Duration.ofHours(1);
        var harness = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new AdaptiveThreshold("sensors", CONTRACT, DEFAULTS, ttl)),
                ScoredWindow::key, Types.STRING);
        harness.setStateTtlProcessingTime(0);
        harness.open();
        // Scores at 0 and 40 minutes; at 70 the first is older than the TTL, the thresholds are not.
        for (int i = 0; i <= 1; i++) {
            harness.setStateTtlProcessingTime(Duration.ofMinutes(40L * i).toMillis());
            process(harness, "pump-17", i, 0.03);
        }
        OperatorSubtaskState snapshot = harness.snapshot(1L, 1_000L);
        harness.close();

        ModelContract retrained = retrained();
        var restored = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new AdaptiveThreshold("sensors", retrained, DEFAULTS, ttl)),
                ScoredWindow::key, Types.STRING);
        restored.setStateTtlProcessingTime(Duration.ofMinutes(70).toMillis());
        restored.initializeState(snapshot);
        restored.open();
        process(restored, "pump-17", 10, 0.6);
        assertEquals(Math.exp(ThresholdState.seed(retrained.calibration()).logThreshold(4.0)),
                scores(restored).get(0).threshold(), 1e-12);
        restored.close();
    }

    @Test
    void aKeyFromASavepointWithoutItsModelRecordKeepsItsThresholds() throws Exception {
        ThresholdSettings settings = new ThresholdSettings(4.0, 0.01, 10, 3);
        OperatorSubtaskState snapshot = snapshotOfAQuietKey(settings, true);
        var asTaken = restore(CONTRACT, settings, snapshot);
        ThresholdState quiet = stateOf(asTaken, "quiet");
        asTaken.close();

        var restored = restore(retrained(), settings, snapshot);
        process(restored, "quiet", 100, 0.03);
        assertEquals(Math.exp(quiet.logThreshold(4.0)), scores(restored).get(0).threshold(), 1e-12);
        assertEquals(31, stateOf(restored, "quiet").count());
        restored.close();
    }

    @Test
    void everyScoreGoesToTheScoresSideOutput() throws Exception {
        var harness = harness(DEFAULTS);
        process(harness, "pump-17", 1_000, 0.3);
        process(harness, "pump-17", 2_000, 50.0);

        List<ScoreRecord> scores = scores(harness);
        assertEquals(2, scores.size());
        ScoreRecord normal = scores.get(0);
        assertEquals("sensors", normal.stream());
        assertEquals("pump-17", normal.key());
        assertEquals(1_000, normal.eventTime());
        assertEquals(0.3, normal.score());
        assertEquals(SEED_THRESHOLD, normal.threshold(), 1e-12);
        assertFalse(normal.alert());
        assertEquals(1, normal.events());

        ScoreRecord alerting = scores.get(1);
        assertTrue(alerting.alert());
        assertEquals(50.0, alerting.score());
        assertEquals(harness.extractOutputValues().get(0).threshold(), alerting.threshold());
    }

    @Test
    void zeroScoreDoesNotAlertAndIsLearnedAtTheFloor() throws Exception {
        var harness = harness(DEFAULTS);
        process(harness, "pump-17", 1_000, 0.0);

        assertTrue(harness.extractOutputValues().isEmpty());
        ThresholdState expected = SEED
                .learn(Math.log(AdaptiveThreshold.MIN_SCORE), 0.01, 100, CONTRACT.calibration());
        assertEquals(expected, stateOf(harness, "pump-17"));
    }

    @Test
    void nanScoreNeitherAlertsNorTouchesTheState() throws Exception {
        var harness = harness(DEFAULTS);
        process(harness, "pump-17", 1_000, Double.NaN);

        assertTrue(harness.extractOutputValues().isEmpty());
        assertNull(stateOf(harness, "pump-17"));
        assertEquals(1, scores(harness).size());
        assertFalse(scores(harness).get(0).alert());
    }

    @Test
    void anInfiniteScoreAlertsAtTheHighestSeverityAndLeavesTheStateAlone() throws Exception {
        for (ThresholdSettings settings : List.of(DEFAULTS, DEFAULTS.withMethod(ThresholdMethod.QUANTILE),
                DEFAULTS.withMethod(ThresholdMethod.POT))) {
            var harness = harness(settings);
            process(harness, "pump-17", 1_000, 0.3);
            process(harness, "pump-17", 2_000, Double.POSITIVE_INFINITY);
            process(harness, "pump-17", 3_000, 0.3);
            process(harness, "pump-17", 4_000, 50.0);

            List<Alert> alerts = harness.extractOutputValues();
            assertEquals(List.of(2_000L, 4_000L), alerts.stream().map(Alert::eventTime).toList(), settings.method().toString());
            assertEquals(100, alerts.get(0).severity());
            List<ScoreRecord> scores = scores(harness);
            assertTrue(Double.isFinite(scores.get(3).threshold()), "the threshold learned nothing infinite");
            assertEquals(scores.get(2).threshold(), scores.get(1).threshold(), 1e-12);
            harness.close();
        }
    }

    @Test
    void stateExpiresAfterTtlAndTheKeyStartsAgainFromCalibration() throws Exception {
        Duration ttl = Duration.ofHours(1);
        var harness = ProcessFunctionTestHarnesses.forKeyedProcessFunction(
                new AdaptiveThreshold("sensors", CONTRACT, DEFAULTS, ttl), ScoredWindow::key, Types.STRING);
        harness.setStateTtlProcessingTime(0);
        process(harness, "pump-17", 1_000, 0.3);
        assertEquals(1, stateOf(harness, "pump-17", ttl).count());

        harness.setStateTtlProcessingTime(Duration.ofMinutes(59).toMillis());
        assertEquals(1, stateOf(harness, "pump-17", ttl).count(), "still alive within the TTL");

        harness.setStateTtlProcessingTime(Duration.ofMinutes(61).toMillis());
        assertNull(stateOf(harness, "pump-17", ttl));
        process(harness, "pump-17", 2_000, 0.3);
        assertEquals(1, stateOf(harness, "pump-17", ttl).count(), "re-seeded: the earlier score is forgotten");
    }
}

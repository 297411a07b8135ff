package io.vigil.threshold;

import static io.vigil.threshold.AdaptiveThresholdTest.CONTRACT;
import static io.vigil.threshold.AdaptiveThresholdTest.process;
import static io.vigil.threshold.AdaptiveThresholdTest.scores;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.alert.Alert;
import io.vigil.alert.AlertSettings;
import io.vigil.alert.IncidentPhase;
import io.vigil.model.ModelContract;
import io.vigil.score.ScoredWindow;
import io.vigil.testing.CapturedLogs;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** The methods other than sigma, and the alert lifecycle, in the operator. */
class MethodsAndIncidentsTest {

    static KeyedOneInputStreamOperatorTestHarness<String, ScoredWindow, Alert> harness(
            ThresholdSettings settings, AlertSettings alerts) throws Exception {
        var harness = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new AdaptiveThreshold("sensors", CONTRACT, settings, alerts, null)),
                ScoredWindow::key, Types.STRING);
        harness.open();
        return harness;
    }

    static <T> T state(KeyedOneInputStreamOperatorTestHarness<String, ScoredWindow, Alert> harness,
            String key, String name, Class<T> type) throws Exception {
        harness.getOperator().setCurrentKey(key);
        return harness.getOperator().getKeyedStateStore().getState(AdaptiveThreshold.descriptor(name, type, null)).value();
    }

    @Test
    void staticValueIsTheThresholdOfEveryKey() throws Exception {
        var harness = harness(ThresholdSettings.defaults().withStatic(0.5, Double.NaN), AlertSettings.defaults());
        process(harness, "a", 1, 0.49);
        process(harness, "b", 1, 0.51);
        List<Alert> alerts = harness.extractOutputValues();
        assertEquals(1, alerts.size());
        assertEquals("b", alerts.get(0).key());
        assertEquals(0.5, alerts.get(0).threshold());
        assertEquals("static", alerts.get(0).method());
    }

    @Test
    void staticQuantileIsTheCalibrationsAndAnUnlistedOneIsRejectedByName() throws Exception {
        var harness = harness(ThresholdSettings.defaults().withStatic(Double.NaN, 0.999), AlertSettings.defaults());
        process(harness, "a", 1, 1.0);
        assertEquals(1.2, scores(harness).get(0).threshold(), "model.json lists 0.999: 1.2");

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new AdaptiveThreshold(
                "sensors", CONTRACT, ThresholdSettings.defaults().withStatic(Double.NaN, 0.95)));
        assertEquals("threshold.static-quantile = 0.95: the model's calibration lists only the quantiles "
                + "[0.5, 0.9, 0.99, 0.999, 0.9999]", e.getMessage());
    }

    @Test
    void aStaticQuantileBeyondWhatTheCalibrationResolvesIsWarnedOf() {
        ModelContract.Calibration c = CONTRACT.calibration();
        ModelContract fewWindows = new ModelContract(CONTRACT.name(), CONTRACT.version(), CONTRACT.stream(), CONTRACT.kind(),
                CONTRACT.onnx(), CONTRACT.key(), CONTRACT.timestamp(), CONTRACT.features(), CONTRACT.columns(),
                CONTRACT.window(), CONTRACT.normalization(), CONTRACT.score(),
                new ModelContract.Calibration(5_000, c.logMean(), c.logStd(), c.quantiles()));
        ThresholdSettings q9999 = ThresholdSettings.defaults().withStatic(Double.NaN, 0.9999);
        try (CapturedLogs logs = new CapturedLogs()) {
            new AdaptiveThreshold("sensors", CONTRACT, q9999); // 20,000 windows: two expected above it
            assertTrue(logs.lines().stream().noneMatch(l -> l.contains("threshold.static-quantile")));
            new AdaptiveThreshold("sensors", fewWindows, q9999);
            assertTrue(logs.lines().stream().anyMatch(l -> l.contains("threshold.static-quantile = 0.9999: model "
                    + CONTRACT.name() + " was calibrated on 5000 windows, fewer than the 10000 it takes")), logs.lines().toString());
        }
    }

    @Test
    void quantileStartsFromCalibrationAndMovesToTheKeysOwnQuantileAcrossSnapshotAndRestore() throws Exception {
        ThresholdSettings settings = ThresholdSettings.defaults().withQuantile(0.9, 0);
        var harness = harness(settings, AlertSettings.defaults());
        process(harness, "quiet", 0, 0.01);
        // The first score is judged by the calibration's 0.9 quantile (0.5 in model.json).
        assertEquals(0.5, scores(harness).get(0).threshold());
        for (int i = 1; i < 200; i++) {
            process(harness, "quiet", i, 0.01 * (1 + i % 10));
        }
        // Own scores 0.01..0.10 evenly: their 0.9 quantile is about 0.09, far below the calibration's.
        double own = scores(harness).get(199).threshold();
        assertTrue(own > 0.08 && own < 0.105, "own quantile " + own);
        QuantileState before = state(harness, "quiet", AdaptiveThreshold.QUANTILE_STATE_NAME, QuantileState.class);
        OperatorSubtaskState snapshot = harness.snapshot(1, 1);
        harness.close();

        var restored = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new AdaptiveThreshold("sensors", CONTRACT, settings, AlertSettings.defaults(), null)),
                ScoredWindow::key, Types.STRING);
        restored.initializeState(snapshot);
        restored.open();
        QuantileState after = state(restored, "quiet", AdaptiveThreshold.QUANTILE_STATE_NAME, QuantileState.class);
        assertEquals(before.count, after.count);
        process(restored, "quiet", 300, 0.05);
        assertEquals(own, scores(restored).get(0).threshold(), 0.005, "the restored sketch judges the next score");
        restored.close();
    }

    @Test
    void potKeepsItsTailAcrossSnapshotAndRestore() throws Exception {
        ThresholdSettings settings = ThresholdSettings.defaults().withPot(1e-3, 0.98, 1_000, 200, 0);
        var harness = harness(settings, AlertSettings.defaults());
        Random random = new Random(11);
        for (int i = 0; i < 2_000; i++) {
            process(harness, "pump", i, Math.exp(Math.log(0.3) + 0.4 * random.nextGaussian()));
        }
        PotState before = state(harness, "pump", AdaptiveThreshold.POT_STATE_NAME, PotState.class);
        assertNotNull(Spot.tail(before));
        double threshold = new Judge(settings, CONTRACT.calibration()).potThreshold(before);
        OperatorSubtaskState snapshot = harness.snapshot(1, 1);
        harness.close();

        var restored = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new AdaptiveThreshold("sensors", CONTRACT, settings, AlertSettings.defaults(), null)),
                ScoredWindow::key, Types.STRING);
        restored.initializeState(snapshot);
        restored.open();
        PotState after = state(restored, "pump", AdaptiveThreshold.POT_STATE_NAME, PotState.class);
        assertEquals(before.count, after.count);
        assertEquals(before.peakCount, after.peakCount);
        assertEquals(before.initialThreshold, after.initialThreshold);
        process(restored, "pump", 3_000, 100.0);
        assertEquals(threshold, restored.extractOutputValues().get(0).threshold(), 1e-12);
        // The calibration's 0.999 quantile is 1.2; the key's own tail after 2000 scores is its own.
        assertNotEquals(1.2, threshold);
        restored.close();
    }

    @Test
    void anomaliesCloserThanTheMergeGapAreOneIncidentThatEndsWhenEventTimePassesTheGap() throws Exception {
        var harness = harness(ThresholdSettings.defaults(), new AlertSettings(Duration.ofSeconds(10), Duration.ZERO, 0, Duration.ofHours(1), true));
        process(harness, "pump", 1_000, 50.0);
        process(harness, "pump", 2_000, 0.3);
        process(harness, "pump", 5_000, 80.0);
        harness.processWatermark(14_999);
        assertEquals(2, harness.extractOutputValues().size(), "no end before the watermark passes 5 s + 10 s");
        harness.processWatermark(15_000);
        process(harness, "pump", 30_000, 60.0);

        List<Alert> alerts = harness.extractOutputValues();
        assertEquals(List.of(IncidentPhase.START, IncidentPhase.UPDATE, IncidentPhase.END, IncidentPhase.START),
                alerts.stream().map(Alert::phase).toList());
        String first = alerts.get(0).incidentId();
        assertEquals(first, alerts.get(1).incidentId());
        assertEquals(first, alerts.get(2).incidentId());
        assertNotEquals(first, alerts.get(3).incidentId());
        Alert end = alerts.get(2);
        assertEquals(1_000, end.incidentStart());
        assertEquals(5_000, end.eventTime(), "an end is stamped with the incident's last anomalous window");
        assertEquals(2, end.incidentAnomalies());
        assertEquals(80.0, end.score(), "an end carries the incident's worst window");
        assertEquals(3, end.topFeatures().length);
        assertEquals(4, alerts.stream().map(Alert::alertId).distinct().count());
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, ScoredWindow, Alert> lateHarness(Duration lateness)
            throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new AdaptiveThreshold("sensors", CONTRACT, ThresholdRules.none(ThresholdSettings.defaults()),
                        new AlertSettings(Duration.ofMinutes(1), Duration.ZERO, 0, Duration.ofHours(1), true), null, lateness)),
                ScoredWindow::key, Types.STRING);
    }

    /** As the window stage sends it: released, and stamped, the allowed lateness after its newest event. */
    private static void released(KeyedOneInputStreamOperatorTestHarness<String, ScoredWindow, Alert> harness,
            long eventTime, double score, long lateness) throws Exception {
        harness.processElement(new StreamRecord<>(AdaptiveThresholdTest.window("pump", eventTime, score), eventTime + lateness));
    }

    @Test
    void anIncidentWaitsTheAllowedLatenessForItsLastWindowsBeforeItEnds() throws Exception {
        long lateness = Duration.ofMinutes(5).toMillis();
        var harness = lateHarness(Duration.ofMillis(lateness));
        harness.open();
        released(harness, 0, 50.0, lateness);
        // The window 30 s later is released at 5 min 30 s; event time has passed 0 + the 1-min gap long before.
        harness.processWatermark(lateness + 29_999);
        released(harness, 30_000, 80.0, lateness);
        harness.processWatermark(30_000 + 60_000 + lateness - 1);
        assertEquals(List.of(IncidentPhase.START, IncidentPhase.UPDATE), harness.extractOutputValues().stream().map(Alert::phase).toList(),
                "windows 30 s apart, under the 1-min gap: one incident");
        harness.processWatermark(30_000 + 60_000 + lateness);
        List<Alert> alerts = harness.extractOutputValues();
        assertEquals(IncidentPhase.END, alerts.get(2).phase());
        assertEquals(2, alerts.get(2).incidentAnomalies());
    }

    @Test
    void anEndTimerRestoredFromBeforeALatenessWaitsForTheLateWindows() throws Exception {
        var before = lateHarness(Duration.ZERO);
        before.open();
        released(before, 0, 50.0, 0);
        OperatorSubtaskState snapshot = before.snapshot(1, 1);
        before.close();

        long lateness = Duration.ofMinutes(5).toMillis();
        var after = lateHarness(Duration.ofMillis(lateness));
        after.initializeState(snapshot);
        after.open();
        after.processWatermark(60_000); // the restored timer, set for a gap without lateness
        assertTrue(after.extractOutputValues().isEmpty(), "not ended: a window may still come");
        after.processWatermark(60_000 + lateness);
        assertEquals(List.of(IncidentPhase.END), after.extractOutputValues().stream().map(Alert::phase).toList());
    }

    @Test
    void incidentIdIsDeterministicAcrossRuns() throws Exception {
        String[] ids = new String[2];
        for (int run = 0; run < 2; run++) {
            var harness = harness(ThresholdSettings.defaults(), AlertSettings.defaults());
            process(harness, "pump", 1_000, 50.0);
            ids[run] = harness.extractOutputValues().get(0).incidentId();
            harness.close();
        }
        assertEquals(ids[0], ids[1]);
        assertTrue(ids[0].matches("[0-9a-f]{32}"));
    }

    @Test
    void cooldownHoldsBackUpdatesUnlessMoreSevere() throws Exception {
        var harness = harness(ThresholdSettings.defaults(), new AlertSettings(Duration.ofMinutes(5), Duration.ofSeconds(10), 0, Duration.ofHours(1), true));
        process(harness, "pump", 0, 2.0);      // severity 60 (p = 1e-6)
        process(harness, "pump", 1_000, 2.0);   // within the cooldown, not more severe: held back
        process(harness, "pump", 2_000, 50.0);  // within the cooldown but more severe: written
        process(harness, "pump", 3_000, 2.0);   // held back
        process(harness, "pump", 12_000, 2.0);  // 10 s after the last written one: written

        List<Alert> alerts = harness.extractOutputValues();
        assertEquals(List.of(0L, 2_000L, 12_000L), alerts.stream().map(Alert::eventTime).toList());
        assertEquals(5, alerts.get(2).incidentAnomalies(), "held-back windows still count in the incident");
    }

    @Test
    void withoutUpdatesAnIncidentWritesOnlyItsStartAndItsEnd() throws Exception {
        var harness = harness(ThresholdSettings.defaults(), new AlertSettings(Duration.ofSeconds(10), Duration.ZERO, 0, Duration.ofHours(1), false));
        process(harness, "pump", 1_000, 2.0);
        process(harness, "pump", 2_000, 50.0);  // more severe: an update with updates on, held back here
        process(harness, "pump", 3_000, 2.0);
        harness.processWatermark(13_000);
        process(harness, "pump", 30_000, 2.0);  // a new incident starts again

        List<Alert> alerts = harness.extractOutputValues();
        assertEquals(List.of(IncidentPhase.START, IncidentPhase.END, IncidentPhase.START),
                alerts.stream().map(Alert::phase).toList());
        assertEquals(List.of(1_000L, 3_000L, 30_000L), alerts.stream().map(Alert::eventTime).toList());
        assertEquals(3, alerts.get(1).incidentAnomalies(), "held-back windows still count in the incident");
        assertEquals(50.0, alerts.get(1).score(), "the end carries the incident's worst window");
    }

    @Test
    void capLimitsAlertsPerKeyPerInterval() throws Exception {
        var harness = harness(ThresholdSettings.defaults(), new AlertSettings(Duration.ZERO, Duration.ZERO, 2, Duration.ofMinutes(1), true));
        for (int i = 0; i < 5; i++) {
            process(harness, "pump", i * 1_000, 50.0);
            process(harness, "other", i * 1_000, 50.0);
        }
        process(harness, "pump", 60_000, 50.0);

        List<Alert> pump = harness.extractOutputValues().stream()
                .filter(a -> a.key().equals("pump") && a.phase() != IncidentPhase.END).toList();
        assertEquals(List.of(0L, 1_000L, 60_000L), pump.stream().map(Alert::eventTime).toList(),
                "two in the first minute, then the next minute's");
        assertEquals(2, harness.extractOutputValues().stream()
                .filter(a -> a.key().equals("other") && a.phase() != IncidentPhase.END).count());
    }

    @Test
    void restoringWithChangedParametersKeepsEachKeysLearnedState() throws Exception {
        var harness = harness(new ThresholdSettings(4.0, 0.01, 10, 3), AlertSettings.defaults());
        for (int i = 0; i < 30; i++) {
            process(harness, "quiet", i, 0.1);
        }
        ThresholdState learned = state(harness, "quiet", AdaptiveThreshold.STATE_NAME, ThresholdState.class);
        OperatorSubtaskState snapshot = harness.snapshot(1, 1);
        harness.close();

        // Restarted with k 3 instead of 4 and another alpha: the key's baseline is the one it learned.
        ThresholdSettings changed = new ThresholdSettings(3.0, 0.05, 10, 3);
        var restored = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new AdaptiveThreshold("sensors", CONTRACT, changed, AlertSettings.defaults(), null)),
                ScoredWindow::key, Types.STRING);
        restored.initializeState(snapshot);
        restored.open();
        assertEquals(learned, state(restored, "quiet", AdaptiveThreshold.STATE_NAME, ThresholdState.class));
        process(restored, "quiet", 100, 0.1);
        assertEquals(Math.exp(learned.logThreshold(3.0)), scores(restored).get(0).threshold(), 1e-12);
        restored.close();
    }

    @Test
    void rulesGiveEachKeyPrefixItsOwnMethod() throws Exception {
        ThresholdRules rules = new ThresholdRules(ThresholdSettings.defaults(), List.of(
                new ThresholdRules.Rule("pump-", ThresholdSettings.defaults().withStatic(0.5, Double.NaN)),
                new ThresholdRules.Rule("pump-1", ThresholdSettings.defaults().withQuantile(0.9, 0))));
        var harness = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new AdaptiveThreshold("sensors", CONTRACT, rules, AlertSettings.defaults(), null)),
                ScoredWindow::key, Types.STRING);
        harness.open();
        process(harness, "pump-2", 1, 0.6);
        process(harness, "pump-12", 1, 0.6);
        process(harness, "valve-2", 1, 0.6);

        List<ScoreRecord> scores = scores(harness);
        assertEquals(0.5, scores.get(0).threshold(), "pump-: static 0.5");
        assertEquals(0.5, scores.get(1).threshold(), "pump-1 (the longer prefix): the calibration's 0.9 quantile");
        assertEquals(0.3 * Math.exp(3.5 * 0.4), scores.get(2).threshold(), 1e-12, "others: sigma from the calibration");
        // 0.6 is above 0.5 for both pumps, below sigma's 1.22 for the valve.
        assertEquals(List.of("static", "quantile"), harness.extractOutputValues().stream().map(Alert::method).toList());
        assertNotNull(state(harness, "pump-12", AdaptiveThreshold.QUANTILE_STATE_NAME, QuantileState.class));
        assertNull(state(harness, "pump-2", AdaptiveThreshold.QUANTILE_STATE_NAME, QuantileState.class));
        assertNotNull(state(harness, "valve-2", AdaptiveThreshold.STATE_NAME, ThresholdState.class));
    }

    @Test
    void learnFromAnomaliesLetsAnAlertMoveTheBaseline() throws Exception {
        var off = harness(ThresholdSettings.defaults(), AlertSettings.defaults());
        var on = harness(ThresholdSettings.defaults().withLearnFromAnomalies(true), AlertSettings.defaults());
        process(off, "pump", 1, 50.0);
        process(on, "pump", 1, 50.0);
        assertNull(state(off, "pump", AdaptiveThreshold.STATE_NAME, ThresholdState.class));
        assertEquals(1, state(on, "pump", AdaptiveThreshold.STATE_NAME, ThresholdState.class).count());
    }
}

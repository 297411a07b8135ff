package io.vigil.threshold;

import static io.vigil.threshold.ThresholdEvidenceTest.CALIBRATION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

class JudgeTest {

    @Test
    void aKeyThatStaysAnomalousKeepsAlertingWithQuantile() {
        ThresholdSettings settings = ThresholdSettings.defaults().withQuantile(0.999, 0);
        Judge judge = new Judge(settings, CALIBRATION);
        QuantileSketch sketch = new QuantileSketch(0);
        DoubleSupplier normal = ThresholdEvidenceTest.logNormal(21);
        for (int i = 0; i < 20_000; i++) {
            judge.judgeQuantile(sketch, normal.getAsDouble());
        }
        double before = judge.quantileThreshold(sketch);
        int alerts = 0;
        for (int i = 0; i < 200; i++) {
            alerts += judge.judgeQuantile(sketch, 20.0).anomalous() ? 1 : 0;
        }
        assertEquals(200, alerts, "every window of a long anomaly alerts");
        assertTrue(judge.quantileThreshold(sketch) < 1.2 * before,
                "the anomaly lifted the threshold from " + before + " to " + judge.quantileThreshold(sketch));
    }

    @Test
    void aLargerPotInitScoresAppliesToNewKeysAndLeavesAKeyWithATailAsItWas() {
        ThresholdSettings before = ThresholdSettings.defaults().withPot(1e-4, 0.98, 1_000, 1_000, 0);
        PotState state = Spot.create(before);
        DoubleSupplier normal = ThresholdEvidenceTest.logNormal(23);
        Judge judge = new Judge(before, CALIBRATION);
        for (int i = 0; i < 5_000; i++) {
            judge.judgePot(state, normal.getAsDouble());
        }
        Judge after = new Judge(ThresholdSettings.defaults().withPot(1e-4, 0.98, 20_000, 1_000, 0), CALIBRATION);
        assertEquals(judge.potThreshold(state), after.potThreshold(state), 1e-12, "the key's own tail, not the calibration's");
        assertTrue(!after.potForming(state), "not sent back into warm-up, where every score is learned");
    }

    @Test
    void aKeyThatStaysAnomalousKeepsAlertingWithPot() {
        ThresholdSettings settings = ThresholdSettings.defaults().withPot(1e-4, 0.98, 1_000, 1_000, 0);
        Judge judge = new Judge(settings, CALIBRATION);
        PotState state = Spot.create(settings);
        DoubleSupplier normal = ThresholdEvidenceTest.logNormal(22);
        for (int i = 0; i < 20_000; i++) {
            judge.judgePot(state, normal.getAsDouble());
        }
        double before = judge.potThreshold(state);
        int alerts = 0;
        for (int i = 0; i < 200; i++) {
            alerts += judge.judgePot(state, 20.0).anomalous() ? 1 : 0;
        }
        assertEquals(200, alerts, "every window of a long anomaly alerts");
        assertTrue(judge.potThreshold(state) < 1.2 * before,
                "the anomaly lifted the threshold from " + before + " to " + judge.potThreshold(state));
    }

    @Test
    void aKeyFarFromTheCalibrationLearnsItsOwnLevelDuringWarmUp() {
        // Exponential scores: the key's 0.999 quantile is ln 1000 = 6.9, the calibration's 1.03.
        ThresholdSettings settings = ThresholdSettings.defaults().withQuantile(0.999, 0);
        Judge judge = new Judge(settings, CALIBRATION);
        QuantileSketch sketch = new QuantileSketch(0);
        DoubleSupplier scores = ThresholdEvidenceTest.exponential(23);
        for (int i = 0; i < 50_000; i++) {
            judge.judgeQuantile(sketch, scores.getAsDouble());
        }
        assertEquals(Math.log(1000), judge.quantileThreshold(sketch), 0.7);
    }
}

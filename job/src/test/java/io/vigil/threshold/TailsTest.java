package io.vigil.threshold;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vigil.model.ModelContract.Calibration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TailsTest {

    @Test
    void severityIsTenTimesTheNinesOfTheTailProbabilityClampedTo0And100() {
        assertEquals(40, Tails.severity(1e-4));
        assertEquals(60, Tails.severity(1e-6));
        assertEquals(3, Tails.severity(0.5));
        assertEquals(0, Tails.severity(1.0));
        assertEquals(100, Tails.severity(1e-10));
        assertEquals(100, Tails.severity(1e-300));
        assertEquals(100, Tails.severity(0.0), "beyond a fitted tail's end point");
    }

    @Test
    void upperNormalTailIsAccurateFarOut() {
        assertEquals(0.5, Tails.upperNormal(0), 1e-15);
        // P(Z > 6) = 9.8659e-10: 1 − Φ(6) in doubles would keep only two digits of it.
        assertEquals(9.8659e-10, Tails.upperNormal(6), 1e-13);
        assertEquals(3.5, Tails.normalQuantileAbove(Tails.upperNormal(3.5)), 1e-9);
    }

    @Test
    void calibrationQuantileIsTheListedOneOrTheLogNormalFit() {
        Calibration calibration = new Calibration(1000, Math.log(0.3), 0.4, Map.of("0.999", 1.2));
        assertEquals(1.2, Tails.calibrationQuantile(calibration, 0.999));
        // Not listed: exp(ln 0.3 + 0.4·z), z the standard normal's 0.9999 quantile 3.719.
        assertEquals(0.3 * Math.exp(0.4 * 3.7190164854556804), Tails.calibrationQuantile(calibration, 0.9999), 1e-9);
    }

    @Test
    void aListedQuantileBeyondWhatItsWindowsReachGivesWayToTheFit() {
        // 33 windows: their 0.999 quantile is their largest score, not a tail estimate.
        Calibration few = new Calibration(33, Math.log(0.3), 0.4, Map.of("0.99", 0.9, "0.999", 1.2));
        assertEquals(0.3 * Math.exp(0.4 * 3.090232306167813), Tails.calibrationQuantile(few, 0.999), 1e-9);
        // 100 windows reach the 0.99 quantile (one expected above it): the listed value stands.
        Calibration hundred = new Calibration(100, Math.log(0.3), 0.4, Map.of("0.99", 0.9));
        assertEquals(0.9, Tails.calibrationQuantile(hundred, 0.99));
    }

    @Test
    void blendMovesFromCalibrationToOwnOnTheLogScale() {
        assertEquals(1.0, Tails.blend(1.0, 100.0, 0.0));
        assertEquals(10.0, Tails.blend(1.0, 100.0, 0.5), 1e-9);
        assertEquals(100.0, Tails.blend(1.0, 100.0, 1.0));
    }
}

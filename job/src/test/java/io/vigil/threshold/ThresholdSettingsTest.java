package io.vigil.threshold;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ThresholdSettingsTest {

    @Test
    void potBuffersAreBoundedSoThatNoKeysStateCanTakeTheTaskManagersMemory() {
        assertMessage("threshold.pot-max-peaks = 1000000000: must be <= 100000 (a buffer of that many floats in every key's state)",
                ThresholdSettings.defaults().withPot(1e-4, 0.98, 1_000, 1_000_000_000, 0));
        assertMessage("threshold.pot-init-scores = 200000: must be <= 100000 (a buffer of that many floats in every key's state)",
                ThresholdSettings.defaults().withPot(1e-4, 0.98, 200_000, 1_000, 0));
        assertMessage("threshold.pot-drift-window = 100001: must be <= 100000 (a buffer of that many floats in every key's state)",
                ThresholdSettings.defaults().withPot(1e-4, 0.98, 1_000, 1_000, 100_001));
    }

    @Test
    void defaultsAreValid() {
        ThresholdSettings defaults = ThresholdSettings.defaults();
        assertEquals(new ThresholdSettings(3.5, 0.01, 50, 3), defaults.validate());
    }

    @Test
    void badValuesAreRejectedNamingParameterValueAndRange() {
        assertMessage("threshold.k = 0.0: must be a finite number > 0", new ThresholdSettings(0, 0.01, 100, 3));
        assertMessage("threshold.k = NaN: must be a finite number > 0", new ThresholdSettings(Double.NaN, 0.01, 100, 3));
        assertMessage("threshold.alpha = 1.0: must be in [0, 1)", new ThresholdSettings(4, 1.0, 100, 3));
        assertMessage("threshold.alpha = -0.1: must be in [0, 1)", new ThresholdSettings(4, -0.1, 100, 3));
        assertMessage("threshold.warmup = 0: must be >= 1", new ThresholdSettings(4, 0.01, 0, 3));
        assertMessage("alerts.top-features = -1: must be >= 0", new ThresholdSettings(4, 0.01, 100, -1));
    }

    @Test
    void alphaZeroIsAllowed() {
        // What it means, a cumulative average: ThresholdStateTest.alphaZeroKeepsACumulativeAverageForever.
        new ThresholdSettings(4, 0.0, 100, 0).validate();
    }

    private static void assertMessage(String message, ThresholdSettings settings) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, settings::validate).getMessage());
    }
}

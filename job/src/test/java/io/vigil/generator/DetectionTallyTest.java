package io.vigil.generator;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.generator.DetectionTally.Flag;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The matching of alerts to injected anomalies that DetectionJobITCase's figures rest on. */
class DetectionTallyTest {

    private static Flag flag(String key, long time) {
        return new Flag("sensors", key, time);
    }

    private static AnomalyLabel label(String key, AnomalyKind kind, long start, long end) {
        return new AnomalyLabel("sensors", key, kind, start, end, "temperature");
    }

    /** Windows of m1 end at 10, 20, ..., 70, and of m2 at 10 and 20. */
    private static final List<Flag> SCORES = List.of(
            flag("m1", 10), flag("m1", 20), flag("m1", 30), flag("m1", 40), flag("m1", 50), flag("m1", 60), flag("m1", 70),
            flag("m2", 10), flag("m2", 20));

    @Test
    void anAnomalyStaysInTheKeysWindowsUntilTheLastWindowThatHoldsItsLastEvent() {
        // Window size 3: the event at 30 is in the windows ending at 30, 40 and 50; not at 60.
        List<AnomalyLabel> injected = List.of(label("m1", AnomalyKind.SPIKE, 25, 35));
        assertThat(new DetectionTally(injected, Map.of("sensors", 3), SCORES, List.of(flag("m1", 50))).caught())
                .isEqualTo(1);
        DetectionTally late = new DetectionTally(injected, Map.of("sensors", 3), SCORES, List.of(flag("m1", 60)));
        assertThat(late.caught()).isZero();
        assertThat(late.falseAlerts()).isEqualTo(1);
        assertThat(late.missed()).containsExactlyElementsOf(injected);
        // Window size 1: only the windows ending inside the anomaly's own interval.
        assertThat(new DetectionTally(injected, Map.of("sensors", 1), SCORES, List.of(flag("m1", 40))).caught())
                .isZero();
        assertThat(new DetectionTally(injected, Map.of("sensors", 1), SCORES, List.of(flag("m1", 30))).caught())
                .isEqualTo(1);
    }

    @Test
    void countsCaughtMissedFalseAlertsAndNormalWindowsByHand() {
        List<AnomalyLabel> injected = List.of(
                label("m1", AnomalyKind.SPIKE, 25, 35),   // anomalous windows of m1: 30, 40, 50
                label("m2", AnomalyKind.STUCK, 5, 12));   // anomalous windows of m2: 10, 20
        List<Flag> alerts = List.of(flag("m1", 40), flag("m1", 50), flag("m1", 70), flag("m1", 10), flag("m3", 10));
        DetectionTally tally = new DetectionTally(injected, Map.of("sensors", 3), SCORES, alerts);

        assertThat(tally.injected()).isEqualTo(2);
        assertThat(tally.caught()).isEqualTo(1);
        assertThat(tally.missed()).containsExactly(injected.get(1));
        assertThat(tally.alerts()).isEqualTo(5);
        // 70 and 10 of m1 are outside its anomaly; m3 has none at all.
        assertThat(tally.falseAlerts()).isEqualTo(3);
        // m1's 10, 20, 60, 70; none of m2's.
        assertThat(tally.normalWindows()).isEqualTo(4);
        assertThat(tally.recall()).isEqualTo(0.5);
        assertThat(tally.falseAlertRate()).isEqualTo(3.0 / 4);
        assertThat(tally.byKind()).containsOnlyKeys(AnomalyKind.SPIKE, AnomalyKind.STUCK);
        assertThat(tally.byKind().get(AnomalyKind.SPIKE)).containsExactly(1, 1);
        assertThat(tally.byKind().get(AnomalyKind.STUCK)).containsExactly(0, 1);
    }
}

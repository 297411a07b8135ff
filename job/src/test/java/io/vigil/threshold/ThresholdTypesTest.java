package io.vigil.threshold;

import static org.apache.flink.types.PojoTestUtils.assertSerializedAsPojoWithoutKryo;

import io.vigil.alert.Alert;
import io.vigil.alert.FeatureContribution;
import io.vigil.score.ScoredWindow;
import org.junit.jupiter.api.Test;

/** The types that sit in state or cross operators around the threshold are serialized without Kryo. */
class ThresholdTypesTest {

    @Test
    void thresholdStateIsAPojo() {
        assertSerializedAsPojoWithoutKryo(ThresholdState.class);
    }

    @Test
    void quantileStateIsAPojo() {
        assertSerializedAsPojoWithoutKryo(QuantileState.class);
    }

    @Test
    void potStateIsAPojo() {
        assertSerializedAsPojoWithoutKryo(PotState.class);
    }

    @Test
    void incidentStateIsAPojo() {
        assertSerializedAsPojoWithoutKryo(IncidentState.class);
    }

    @Test
    void scoreRecordIsAPojo() {
        assertSerializedAsPojoWithoutKryo(ScoreRecord.class);
    }

    @Test
    void alertIsAPojo() {
        assertSerializedAsPojoWithoutKryo(Alert.class);
    }

    @Test
    void featureContributionIsAPojo() {
        assertSerializedAsPojoWithoutKryo(FeatureContribution.class);
    }

    @Test
    void scoredWindowIsAPojo() {
        assertSerializedAsPojoWithoutKryo(ScoredWindow.class);
    }
}

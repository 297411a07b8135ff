package io.vigil.threshold;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.alert.FeatureContribution;
import io.vigil.model.LoadedModel;
import io.vigil.parse.FeatureExtractor;
import io.vigil.score.OnnxDevice;
import io.vigil.score.OnnxScorer;
import io.vigil.score.OnnxSession;
import io.vigil.score.ScoredWindow;
import io.vigil.window.ScoringRequest;
import io.vigil.window.WindowBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What an alert on the committed transaction model says about a merchant category its training data
 * never had: that category, first, and nothing else. The model reads such a column as the 0 it was
 * trained on (models/README.md), so the rest of its reconstruction is the one a payment of a
 * category outside the list gets, and the runner-up features are the payment's own.
 */
class NeverSeenCategoryExplanationTest {

    private static final Path TRANSACTION_MODEL = Path.of("../models/transaction");

    @Test
    void aNeverSeenCategoryIsTheOnlyFeatureItChanges() throws Exception {
        LoadedModel model = LoadedModel.load(TRANSACTION_MODEL);
        String[] columns = model.contract().columns().toArray(String[]::new);
        ScoredWindow gambling = score(model, "gambling");
        ScoredWindow unlisted = score(model, "bakery");  // not among the model's categories: all zeros

        FeatureContribution[] explanation = AdaptiveThreshold.topFeatures(gambling, columns, 3);
        assertThat(explanation[0].feature()).isEqualTo("merchant_category=gambling");
        assertThat(explanation[0].observed()).isEqualTo(1.0);
        assertThat(explanation[0].error()).isGreaterThan(1e5);  // z = 1000: its std is floored at 0.001
        int cause = List.of(columns).indexOf("merchant_category=gambling");
        for (int c = 0; c < columns.length; c++) {
            assertThat(gambling.expected()[c]).as(columns[c]).isEqualTo(unlisted.expected()[c]);
            if (c != cause) {
                assertThat(gambling.columnErrors()[c]).as(columns[c]).isEqualTo(unlisted.columnErrors()[c]);
            }
        }
        assertThat(explanation[1].error()).isLessThan(explanation[0].error() * 1e-3);
    }

    private static ScoredWindow score(LoadedModel model, String category) throws Exception {
        String payment = "{\"account_id\":\"acc-1\",\"ts\":\"2026-01-05T12:30:00Z\",\"amount\":42.5,"
                + "\"merchant_category\":\"" + category + "\",\"channel\":\"pos\"}";
        FeatureExtractor.Accepted event = (FeatureExtractor.Accepted) new FeatureExtractor(model.contract())
                .extract(payment.getBytes(StandardCharsets.UTF_8));
        WindowBuilder windows = new WindowBuilder(model.contract());
        ScoringRequest request = windows.append(windows.newState(), event.key(), event.timestamp(), 0, event.columns());
        try (OnnxSession session = OnnxSession.open(model, OnnxDevice.CPU, 1)) {
            return new OnnxScorer(session, 1).score(List.of(request))[0];
        }
    }
}

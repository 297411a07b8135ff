package io.vigil.model;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** model.json fields that would make the job misjudge or crash are refused, naming the field. */
class ModelContractTest {

    private static final String FEATURES = """
            [{"name": "amount", "path": "amount", "encoding": "numeric"},
             {"name": "channel", "path": "channel", "encoding": "onehot", "categories": ["pos", "online"]}]""";
    private static final String COLUMNS = "[\"amount\", \"channel=pos\", \"channel=online\"]";
    private static final String QUANTILES = "{\"0.5\": 0.1, \"0.99\": 0.4, \"0.999\": 0.9}";

    private static ModelContract contract(String features, String columns, int windowSize, String logStd, String quantiles)
            throws Exception {
        ModelContract contract = ModelContract.JSON.readValue("""
                {"name": "m", "version": "1", "onnx": {"file": "m.onnx", "sha256": "00", "input": "window", "output": "reconstruction"},
                 "key": "k", "timestamp": "ts", "features": %s, "columns": %s, "window": {"size": %d, "stride": 1},
                 "normalization": {"mean": [0, 0, 0], "std": [1, 1, 1]},
                 "calibration": {"samples": 100, "log_mean": -2, "log_std": %s, "quantiles": %s}}
                """.formatted(features, columns, windowSize, logStd, quantiles), ModelContract.class);
        contract.validate();
        return contract;
    }

    @Test
    void aWellFormedContractIsAccepted() {
        assertThatCode(() -> contract(FEATURES, COLUMNS, 16, "0.7", QUANTILES)).doesNotThrowAnyException();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"0.5\": 0.1, \"0.999\": 0}          | 0.999 = 0.0: a quantile of the score is a finite number > 0",
        "{\"0.5\": 0.1, \"0.999\": -1}         | 0.999 = -1.0",
        "{\"0.5\": 0.1, \"1.5\": 2}            | has the level '1.5'",
        "{\"high\": 0.1}                       | has the level 'high'",
        "{\"0.5\": 0.4, \"0.99\": 0.1}         | at 0.99 = 0.1 is below a lower level's 0.4",
        "{\"0.5\": 0.1, \"1e-3\": 0.2}         | at 0.5 = 0.1 is below a lower level's 0.2",
    })
    void calibrationQuantilesMustBePositiveScoresRisingWithLevelsInZeroToOne(String quantiles, String message) {
        assertThatThrownBy(() -> contract(FEATURES, COLUMNS, 16, "0.7", quantiles))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
    }

    @Test
    void anInfiniteLogStdIsRefused() {
        assertThatThrownBy(() -> contract(FEATURES, COLUMNS, 16, "1e999", QUANTILES))
                .hasMessageContaining("a finite, positive log_std");
    }

    @Test
    void aCategoryListedTwiceIsRefused() {
        String twice = FEATURES.replace("[\"pos\", \"online\"]", "[\"pos\", \"pos\"]");
        assertThatThrownBy(() -> contract(twice, "[\"amount\", \"channel=pos\", \"channel=pos\"]", 16, "0.7", QUANTILES))
                .hasMessageContaining("name a column twice");
    }

    @Test
    void aWindowTooLargeForTheScorersArraysIsRefused() {
        assertThatThrownBy(() -> contract(FEATURES, COLUMNS, 1 << 20, "0.7", QUANTILES))
                .hasMessageContaining("values per window");
    }
}

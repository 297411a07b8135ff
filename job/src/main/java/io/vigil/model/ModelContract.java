package io.vigil.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The contract between a trained model and the job: {@code model.json}, written by the training
 * code in {@code models/} next to {@code model.onnx}. It says how to read events (key, timestamp,
 * features), how to window and normalize them, what the ONNX graph expects, and how the score is
 * distributed on held-out normal data (the calibration that seeds every key's threshold).
 *
 * <p>The ONNX input is float32 {@code [batch, window.size, columns]}, batch dynamic; the output is
 * the reconstruction, same shape.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ModelContract(
        String name,
        String version,
        String stream,
        String kind,
        Onnx onnx,
        String key,
        String timestamp,
        List<FeatureSpec> features,
        List<String> columns,
        Window window,
        Normalization normalization,
        Score score,
        Calibration calibration) implements Serializable {

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Onnx(String file, String sha256, String input, String output, Integer opset) implements Serializable {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Window(int size, int stride) implements Serializable {}

    /** Per model column: z = (x − mean) / std. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Normalization(float[] mean, float[] std) implements Serializable {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Score(String definition, String description) implements Serializable {}

    /**
     * The score on held-out normal windows: its quantiles, and mean and standard deviation of its
     * natural logarithm (thresholds adapt on log scores, which are close to normal).
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Calibration(long samples, double logMean, double logStd, Map<String, Double> quantiles)
            implements Serializable {}

    /** The most values (window size × columns) one window may hold. */
    static final int MAX_WINDOW_VALUES = 1 << 20;

    public static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Reads and validates {@code dir/model.json}; errors name the file and the problem. */
    public static ModelContract load(Path dir) {
        Path file = dir.resolve("model.json");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("model contract not found: " + file.toAbsolutePath());
        }
        ModelContract contract;
        try {
            contract = JSON.readValue(file.toFile(), ModelContract.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read model contract " + file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        try {
            contract.validate();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid model contract " + file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        return contract;
    }

    public int windowSize() {
        return window.size();
    }

    public int columnCount() {
        return columns.size();
    }

    /** Checks that the parts agree with each other; throws with a message naming the first problem. */
    public void validate() {
        require(name != null && !name.isBlank(), "'name' is missing");
        require(version != null && !version.isBlank(), "'version' is missing");
        require(onnx != null && onnx.file() != null && onnx.sha256() != null && onnx.input() != null && onnx.output() != null,
                "'onnx' needs file, sha256, input and output");
        require(key != null && !key.isBlank(), "'key' (the JSON path of the entity key) is missing");
        require(timestamp != null && !timestamp.isBlank(), "'timestamp' (the JSON path of the event time) is missing");
        require(features != null && !features.isEmpty(), "'features' is empty");
        require(window != null && window.size() >= 1 && window.stride() >= 1,
                "'window' needs size >= 1 and stride >= 1");
        features.forEach(FeatureSpec::validate);
        List<String> expected = new ArrayList<>();
        features.forEach(f -> expected.addAll(f.columnNames()));
        require(expected.equals(columns), "'columns' " + columns + " do not match the features' columns " + expected);
        // A feature or category named twice would make two columns of one name: alerts could not say which.
        require(new HashSet<>(columns).size() == columns.size(), "'columns' " + columns + " name a column twice "
                + "(a feature, or a category of a onehot feature, listed twice)");
        // The scorer holds a batch of windows in one float array: window × columns must leave room for many.
        require((long) window.size() * columns.size() <= MAX_WINDOW_VALUES, "'window' size " + window.size() + " × "
                + columns.size() + " columns is more than " + MAX_WINDOW_VALUES + " values per window");
        require(normalization != null && normalization.mean() != null && normalization.std() != null
                && normalization.mean().length == columns.size() && normalization.std().length == columns.size(),
                "'normalization' needs mean and std with one entry per column (" + columns.size() + ")");
        for (int i = 0; i < columns.size(); i++) {
            float std = normalization.std()[i];
            require(std > 0 && Float.isFinite(std) && Float.isFinite(normalization.mean()[i]),
                    "normalization of column '" + columns.get(i) + "' needs a finite mean and a positive std");
        }
        require(calibration != null && calibration.samples() > 0 && calibration.logStd() > 0
                && Double.isFinite(calibration.logStd()) && Double.isFinite(calibration.logMean()),
                "'calibration' needs samples > 0, a finite log_mean and a finite, positive log_std");
        if (calibration.quantiles() != null) {
            // Thresholds are taken from these and blended on a log scale: each must be a positive
            // score, at a level in (0, 1), and a higher level must not give a lower score.
            TreeMap<Double, Double> byLevel = new TreeMap<>();
            for (Map.Entry<String, Double> q : calibration.quantiles().entrySet()) {
                double level;
                try {
                    level = Double.parseDouble(q.getKey());
                } catch (NumberFormatException e) {
                    level = Double.NaN;
                }
                require(level > 0 && level < 1, "'calibration.quantiles' has the level '" + q.getKey()
                        + "': levels are numbers in (0, 1)");
                Double value = q.getValue();
                require(value != null && value > 0 && Double.isFinite(value), "'calibration.quantiles' "
                        + q.getKey() + " = " + value + ": a quantile of the score is a finite number > 0");
                byLevel.put(level, value);
            }
            double previous = 0;
            for (Map.Entry<Double, Double> q : byLevel.entrySet()) {
                require(q.getValue() >= previous, "'calibration.quantiles' at " + q.getKey() + " = " + q.getValue()
                        + " is below a lower level's " + previous + ": quantiles rise with their level");
                previous = q.getValue();
            }
        }
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}

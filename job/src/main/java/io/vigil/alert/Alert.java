package io.vigil.alert;

/**
 * An anomaly alert as written to the alerts topic.
 *
 * @param alertId deterministic: the same input and model give the same id, so a consumer can
 *     de-duplicate across reprocessing
 * @param eventTime event time (epoch ms) of the newest event in the anomalous window
 * @param severity 1–100: how far above the threshold the score is, on a log scale
 * @param topFeatures the model columns with the largest reconstruction errors, largest first
 */
public record Alert(
        String alertId,
        String stream,
        String key,
        long eventTime,
        double score,
        double threshold,
        int severity,
        String model,
        String modelVersion,
        FeatureContribution[] topFeatures) {}

package io.vigil.score;

/**
 * A window's score from the autoencoder.
 *
 * @param tie how many earlier events of the key have the newest event's time (see {@code ScoringRequest})
 * @param score mean squared reconstruction error over the whole window, in normalized units
 * @param columnErrors per model column, the mean squared error over the window's steps
 * @param observed the newest step's values in the input's units
 * @param expected the newest step's reconstruction, de-normalized
 * @param events input events this score accounts for (see {@code ScoringRequest})
 */
public record ScoredWindow(
        String key,
        long timestamp,
        int tie,
        double score,
        float[] columnErrors,
        float[] observed,
        float[] expected,
        int events) {}

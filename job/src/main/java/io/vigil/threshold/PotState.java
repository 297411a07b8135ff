package io.vigil.threshold;

/**
 * One key's tail model for method pot, as kept in keyed state (a POJO: primitive fields and
 * arrays). {@link Spot} reads and updates it.
 *
 * <p>Size is bounded whatever the number of scores: {@link #init} ({@code threshold.pot-init-scores}
 * floats) only until the initial threshold is set, then dropped; {@link #peaks} at most
 * {@code threshold.pot-max-peaks} floats; {@link #drift} at most {@code threshold.pot-drift-window}.
 */
public class PotState {

    /** Values learned since initialization began (the n of SPOT), initial scores included. */
    public long count;
    /** Learned values above {@link #initialThreshold} (SPOT's N_t), evicted peaks included. */
    public long peakCount;
    /** SPOT's t: the {@code pot-level} quantile of the initial values; NaN until they are in. */
    public double initialThreshold = Double.NaN;
    /** The initial values, collected until there are {@code pot-init-scores}; then null. */
    public float[] init;
    /**
     * How many initial values are in; once t is set, how many set it (the key's own
     * {@code pot-init-scores}, which a later change of the parameter does not change). 0 in state
     * written before it was kept.
     */
    public int initCount;
    /** The most recent excesses over t, a ring buffer. */
    public float[] peaks;
    /** How many of {@link #peaks} hold values, and where the next one goes. */
    public int peaksFilled;
    public int peaksNext;
    /** Sum and sum of squares of the retained peaks, kept as they come and go so a refit costs O(1). */
    public double peakSum;
    public double peakSquares;
    /** Whether the key's last score was above its threshold; see {@link Judge#judgePot}. */
    public boolean lastAnomalous;
    /** DSPOT: the key's last normal scores, a ring buffer whose mean is subtracted from each score. */
    public float[] drift;
    public int driftFilled;
    public int driftNext;
    /** Sum of {@link #drift}'s values. */
    public double driftSum;

    public PotState() {}
}

package io.vigil.window;

/**
 * One key's recent history, kept in keyed state by {@link WindowAssembler} and advanced by
 * {@link WindowBuilder}: a ring of the last {@code window.size} events' columns, encoded but not
 * normalized (normalization is applied when a window is copied out, so the ring does not depend on
 * it), the number of events seen, the newest event time and the layout of the columns. Fixed size
 * per key: window.size × columns floats, three longs, and a double per relative feature.
 *
 * <p>A POJO, not a record, because it is updated in place for every event.
 */
public class WindowState {

    /** Row {@code steps % size} is written next; once {@code steps >= size} it is also the oldest row. */
    public float[] ring;

    /** Events appended to this key so far. A long: a busy key passes 2³¹ events within weeks. */
    public long steps;

    /** Event time (epoch ms) of the newest event; meaningless while {@code steps == 0}. */
    public long lastTimestamp;
    /** Per relative feature, the key's moving mean of its encoded value (see {@code FeatureSpec#relative}). */
    public double[] baselines;
    /**
     * Which columns the ring holds ({@link WindowBuilder#layout()}), so that a model with other
     * features of the same count does not read them as its own; 0 in state written before it was kept.
     */
    public long layout;

    public WindowState() {}

    public WindowState(float[] ring, long steps, long lastTimestamp, double[] baselines, long layout) {
        this.ring = ring;
        this.steps = steps;
        this.lastTimestamp = lastTimestamp;
        this.baselines = baselines;
        this.layout = layout;
    }
}

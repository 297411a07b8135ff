package io.vigil.threshold;

/**
 * One key's score distribution for method quantile, as kept in keyed state: two t-digests in their
 * binary form, so Flink serializes this as a POJO of byte arrays instead of falling back to Kryo
 * for the library's classes (and a library upgrade cannot break a savepoint's serializer).
 * {@link QuantileSketch} is the live form.
 *
 * <p>Size: a t-digest of compression {@value QuantileSketch#COMPRESSION} keeps at most a few hundred
 * centroids, whatever the number of scores: a few kB per key.
 */
public class QuantileState {

    /** Scores learned by the key since its state was created. */
    public long count;
    /** Scores in {@link #current}. */
    public long currentCount;
    /** Whether the key's last score was above its threshold; see {@link Judge#judgeQuantile}. */
    public boolean lastAnomalous;
    /** The digest being filled. */
    public byte[] current;
    /** The digest filled before it (horizon on), or null. */
    public byte[] previous;

    public QuantileState() {}
}

package io.vigil.threshold;

import com.tdunning.math.stats.MergingDigest;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * A streaming quantile of one key's scores over a horizon, with t-digest (Dunning and Ertl, 2019):
 * relative accuracy is best in the tails, where thresholds sit.
 *
 * <p>A t-digest cannot forget, so a horizon of H scores keeps two digests: the one being filled and
 * the full one before it. When the current one holds H scores it replaces the previous one and a
 * new one starts, so the quantile always covers the key's last H to 2H scores and memory stays two
 * digests.
 */
final class QuantileSketch {

    /** t-digest's compression: about 100 centroids at most, quantile errors ~ q(1−q)/100 in rank. */
    static final double COMPRESSION = 100;

    private final long horizon;
    private long count;
    private long currentCount;
    private MergingDigest current;
    private MergingDigest previous;
    /** Whether the key's last score was above its threshold. */
    boolean lastAnomalous;

    QuantileSketch(long horizon) {
        this.horizon = horizon;
        this.current = new MergingDigest(COMPRESSION);
    }

    static QuantileSketch fromState(QuantileState state, long horizon) {
        QuantileSketch sketch = new QuantileSketch(horizon);
        if (state != null) {
            sketch.count = state.count;
            sketch.currentCount = state.currentCount;
            sketch.lastAnomalous = state.lastAnomalous;
            if (state.current != null) {
                sketch.current = MergingDigest.fromBytes(ByteBuffer.wrap(state.current));
            }
            if (state.previous != null) {
                sketch.previous = MergingDigest.fromBytes(ByteBuffer.wrap(state.previous));
            }
        }
        return sketch;
    }

    QuantileState toState() {
        QuantileState state = new QuantileState();
        state.count = count;
        state.currentCount = currentCount;
        state.lastAnomalous = lastAnomalous;
        state.current = bytes(current);
        state.previous = previous == null ? null : bytes(previous);
        return state;
    }

    private static byte[] bytes(MergingDigest digest) {
        ByteBuffer buffer = ByteBuffer.allocate(digest.smallByteSize());
        digest.asSmallBytes(buffer);
        return buffer.array();
    }

    void add(double score) {
        if (horizon > 0 && currentCount >= horizon) {
            previous = current;
            current = new MergingDigest(COMPRESSION);
            currentCount = 0;
        }
        current.add(score);
        currentCount++;
        count++;
    }

    long count() {
        return count;
    }

    /** The score at {@code level} over the horizon; NaN before the first score. */
    double quantile(double level) {
        if (count == 0) {
            return Double.NaN;
        }
        if (previous == null) {
            return current.quantile(level);
        }
        MergingDigest both = new MergingDigest(COMPRESSION);
        both.add(List.of(previous, current));
        return both.quantile(level);
    }
}

package io.vigil.window;

import io.vigil.model.FeatureSpec;
import io.vigil.model.LoadedModel;
import io.vigil.model.ModelContract;
import io.vigil.parse.Encoding;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns one key's events, given in event-time order, into the model's windows, as
 * {@code docs/model-contract.md} defines them. In: an event's time and its encoded columns (derived
 * ones NaN). Out: every {@code window.stride} events once the key has {@code window.size} of them,
 * a {@link ScoringRequest} with the last {@code size} events normalized, oldest first. The key's
 * history lives in a {@link WindowState} that the caller keeps.
 *
 * <p>Fills the derived columns, which need the key's history:
 * <ul>
 *   <li>{@code seconds_since_previous}: (t − previous t) / 1000.0; for a key's first event the
 *       column's normalization mean, so that it normalizes to 0;
 *   <li>{@code hour_of_day}: floorMod(t, 86 400 000) / 3 600 000.0, the UTC hour with its fraction.
 * </ul>
 * Normalization is z = (x − mean) / std in float32.
 *
 * <p>Free of Flink so that offline tools build windows exactly as the job does.
 */
public final class WindowBuilder implements Serializable {

    private static final long serialVersionUID = 1L;

    private static final long MILLIS_PER_DAY = 86_400_000L;

    /** A feature computed here rather than read from the event. */
    private record DerivedFeature(String kind, Encoding encoding, int column, int width, double period)
            implements Serializable {}

    private final int size;
    private final int stride;
    private final int columnCount;
    private final float[] mean;
    private final float[] std;
    private final DerivedFeature[] derived;
    /** Columns that hold a value relative to the key's moving mean, and the weights of those means. */
    private final int[] relativeColumns;
    private final double[] relativeWeights;
    /** Identifies the window size and the features, encodings included, that fill the ring. */
    private final long layout;
    /** Per column, whether it is derived: NaN in a parsed event's columns, filled in by {@link #append}. */
    private final boolean[] derivedColumn;

    /** @throws IllegalArgumentException if the contract is invalid */
    public WindowBuilder(ModelContract contract) {
        contract.validate();
        this.size = contract.window().size();
        this.stride = contract.window().stride();
        this.columnCount = contract.columnCount();
        this.mean = contract.normalization().mean().clone();
        this.std = contract.normalization().std().clone();
        List<DerivedFeature> derivedFeatures = new ArrayList<>();
        List<Integer> relative = new ArrayList<>();
        List<Double> weights = new ArrayList<>();
        int column = 0;
        for (FeatureSpec spec : contract.features()) {
            int width = spec.columnNames().size();
            if (spec.relative() != null) {
                relative.add(column);
                weights.add(spec.relative());
            }
            if (spec.isDerived()) {
                Encoding encoding = Encoding.of(spec);
                if (encoding == Encoding.ONEHOT) {
                    throw new IllegalArgumentException("derived feature '" + spec.name()
                            + "' is a number: it needs numeric, log1p or cyclic encoding, not onehot");
                }
                derivedFeatures.add(new DerivedFeature(spec.derived(), encoding, column, width,
                        spec.period() == null ? Double.NaN : spec.period()));
            }
            column += width;
        }
        this.derived = derivedFeatures.toArray(DerivedFeature[]::new);
        this.derivedColumn = new boolean[columnCount];
        for (DerivedFeature feature : derived) {
            Arrays.fill(derivedColumn, feature.column(), feature.column() + feature.width(), true);
        }
        this.relativeColumns = relative.stream().mapToInt(Integer::intValue).toArray();
        this.relativeWeights = weights.stream().mapToDouble(Double::doubleValue).toArray();
        this.layout = layout(size, contract.features());
    }

    /** The first 64 bits of SHA-256 over the window size and the feature specs; never 0, which means unknown. */
    private static long layout(int size, List<FeatureSpec> features) {
        String sha256 = LoadedModel.sha256((size + "|" + features).getBytes(StandardCharsets.UTF_8));
        long value = Long.parseUnsignedLong(sha256.substring(0, 16), 16);
        return value == 0 ? 1 : value;
    }

    /** What {@link WindowState#layout} holds for this model's windows. */
    public long layout() {
        return layout;
    }

    public int windowSize() {
        return size;
    }

    public int columnCount() {
        return columnCount;
    }

    /** The history of a key not seen before. */
    public WindowState newState() {
        return new WindowState(new float[size * columnCount], 0, 0, new double[relativeColumns.length], layout);
    }

    /**
     * Whether a parsed event's columns have this model's shape: its number of columns, NaN exactly in
     * the derived ones (the parser fills every other column with a finite value). An event parsed
     * under another model (waiting in a restored reorder buffer when the model changed) that has
     * another shape would otherwise fail {@link #append} or put NaN in the window.
     */
    public boolean fits(float[] columns) {
        if (columns == null || columns.length != columnCount) {
            return false;
        }
        for (int c = 0; c < columnCount; c++) {
            if (Float.isNaN(columns[c]) != derivedColumn[c]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether a restored state holds this model's columns. A state written under a model with
     * another window size or other features cannot be continued and has to start over. One written
     * before states kept their layout fits if its shape does.
     */
    public boolean fits(WindowState state) {
        return state.ring != null && state.ring.length == size * columnCount && state.steps >= 0
                && state.baselines != null && state.baselines.length == relativeColumns.length
                && (state.layout == 0 || state.layout == layout);
    }

    /**
     * Appends the key's next event and returns the window that is due, or null.
     *
     * @param timestamp the event time (epoch ms), not before the key's previous one
     * @param tie how many earlier events of the key have this time (see {@link ScoringRequest#tie()})
     * @param columns the event's encoded columns, derived ones NaN; not modified
     */
    public ScoringRequest append(WindowState state, String key, long timestamp, int tie, float[] columns) {
        if (columns.length != columnCount) {
            throw new IllegalArgumentException("event of key '" + key + "' has " + columns.length
                    + " columns, the model has " + columnCount);
        }
        int row = (int) (state.steps % size) * columnCount;
        System.arraycopy(columns, 0, state.ring, row, columnCount);
        state.layout = layout; // adopts a state restored from before layouts were kept
        for (DerivedFeature feature : derived) {
            if (FeatureSpec.SECONDS_SINCE_PREVIOUS.equals(feature.kind()) && state.steps == 0) {
                // No previous event: a neutral value, the one that normalizes to 0.
                System.arraycopy(mean, feature.column(), state.ring, row + feature.column(), feature.width());
            } else {
                feature.encoding().encode(derivedValue(feature, state, timestamp), feature.period(),
                        state.ring, row + feature.column());
            }
        }
        relativeToBaselines(state, row);
        state.steps++;
        state.lastTimestamp = timestamp;

        if (state.steps < size || (state.steps - size) % stride != 0) {
            return null;
        }
        int events = state.steps == size ? size : stride;
        return new ScoringRequest(key, timestamp, tie, normalizedWindow(state),
                Arrays.copyOfRange(state.ring, row, row + columnCount), events);
    }

    /**
     * Replaces each relative column by its distance to the key's moving mean before this event, then
     * moves the mean: weight 1/(n+1) for the key's (n+1)-th event until that falls below the
     * feature's weight (an exact mean over the first events), then the weight itself.
     */
    private void relativeToBaselines(WindowState state, int row) {
        for (int i = 0; i < relativeColumns.length; i++) {
            int at = row + relativeColumns[i];
            double x = state.ring[at];
            if (state.steps == 0) {
                state.baselines[i] = x;
                state.ring[at] = 0f;
            } else {
                // Two values each within float32 can be more than float32 apart: kept finite, at its edge.
                state.ring[at] = toFloat(x - state.baselines[i]);
                double weight = Math.max(relativeWeights[i], 1.0 / (state.steps + 1));
                state.baselines[i] += weight * (x - state.baselines[i]);
            }
        }
    }

    /** {@code value} as a float, at ±Float.MAX_VALUE where it is beyond float32: no infinity reaches the model. */
    private static float toFloat(double value) {
        return (float) Math.max(-Float.MAX_VALUE, Math.min(Float.MAX_VALUE, value));
    }

    private static double derivedValue(DerivedFeature feature, WindowState state, long timestamp) {
        return switch (feature.kind()) {
            case FeatureSpec.SECONDS_SINCE_PREVIOUS -> (timestamp - state.lastTimestamp) / 1000.0;
            case FeatureSpec.HOUR_OF_DAY -> Math.floorMod(timestamp, MILLIS_PER_DAY) / 3_600_000.0;
            default -> throw new IllegalStateException("unknown derived feature " + feature.kind());
        };
    }

    /** The last {@code size} rows, oldest first, normalized: a fresh array, so the ring can move on. */
    private float[] normalizedWindow(WindowState state) {
        float[] window = new float[size * columnCount];
        int oldest = (int) (state.steps % size);
        for (int step = 0; step < size; step++) {
            int from = ((oldest + step) % size) * columnCount;
            int to = step * columnCount;
            for (int c = 0; c < columnCount; c++) {
                // In float32, as training normalized; a value beyond float32 (a small std) at its edge.
                window[to + c] = toFloat((state.ring[from + c] - mean[c]) / std[c]);
            }
        }
        return window;
    }
}

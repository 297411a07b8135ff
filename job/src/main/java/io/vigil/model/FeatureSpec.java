package io.vigil.model;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * One feature of the model's input, as declared in {@code model.json}.
 *
 * <p>A feature is read from the event at a JSON {@code path} (dotted, {@code values.temperature},
 * or a JSON Pointer, {@code /values/temperature}) or {@code derived} from the key's history
 * ({@code seconds_since_previous}) or the event time ({@code hour_of_day}). Its {@code encoding}
 * decides how many model columns it fills:
 * <ul>
 *   <li>{@code numeric}: the number as is; one column named after the feature;
 *   <li>{@code log1p}: sign(x)·ln(1+|x|), for heavy-tailed amounts and durations; one column;
 *   <li>{@code onehot}: one column per entry of {@code categories}, named {@code feature=category};
 *       a value outside the list sets none of them (the model then sees something it never saw);
 *   <li>{@code cyclic}: sin and cos of value/period·2π, columns {@code feature:sin}, {@code feature:cos}.
 * </ul>
 *
 * <p>With {@code relative} (a weight in (0, 1]), a numeric or log1p feature's column is its encoded
 * value minus the key's moving mean of it before this event: "this payment against the account's
 * usual", which a model scoring one event at a time cannot otherwise know. The mean is exact over
 * the key's first 1/relative events, then exponentially weighted; a key's first event gives 0.
 */
public record FeatureSpec(
        String name, String path, String derived, String encoding, List<String> categories, Double period, Double relative)
        implements Serializable {

    public static final String NUMERIC = "numeric";
    public static final String LOG1P = "log1p";
    public static final String ONEHOT = "onehot";
    public static final String CYCLIC = "cyclic";

    public static final String SECONDS_SINCE_PREVIOUS = "seconds_since_previous";
    public static final String HOUR_OF_DAY = "hour_of_day";

    /** The model column names this feature fills, in order. */
    public List<String> columnNames() {
        List<String> names = new ArrayList<>();
        switch (encoding) {
            case NUMERIC, LOG1P -> names.add(name);
            case ONEHOT -> categories.forEach(c -> names.add(name + "=" + c));
            case CYCLIC -> {
                names.add(name + ":sin");
                names.add(name + ":cos");
            }
            default -> throw new IllegalArgumentException("feature '" + name + "': unknown encoding '" + encoding
                    + "' (allowed: numeric, log1p, onehot, cyclic)");
        }
        return names;
    }

    public boolean isDerived() {
        return derived != null;
    }

    void validate() {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a feature has no name");
        }
        if ((path == null) == (derived == null)) {
            throw new IllegalArgumentException("feature '" + name + "': exactly one of 'path' and 'derived' must be set");
        }
        if (derived != null && !derived.equals(SECONDS_SINCE_PREVIOUS) && !derived.equals(HOUR_OF_DAY)) {
            throw new IllegalArgumentException("feature '" + name + "': unknown derived value '" + derived
                    + "' (allowed: seconds_since_previous, hour_of_day)");
        }
        if (encoding == null) {
            throw new IllegalArgumentException("feature '" + name + "': no encoding");
        }
        if (ONEHOT.equals(encoding) && (categories == null || categories.isEmpty())) {
            throw new IllegalArgumentException("feature '" + name + "': onehot encoding needs a non-empty 'categories' list");
        }
        if (relative != null) {
            if (!(relative > 0 && relative <= 1)) {
                throw new IllegalArgumentException("feature '" + name + "': 'relative' is the weight of the key's moving mean, "
                        + "in (0, 1]; got " + relative);
            }
            if (!NUMERIC.equals(encoding) && !LOG1P.equals(encoding)) {
                throw new IllegalArgumentException("feature '" + name + "': 'relative' needs numeric or log1p encoding, not " + encoding);
            }
            if (SECONDS_SINCE_PREVIOUS.equals(derived)) {
                throw new IllegalArgumentException("feature '" + name + "': 'relative' does not apply to seconds_since_previous");
            }
        }
        if (CYCLIC.equals(encoding) && (period == null || !(period > 0))) {
            throw new IllegalArgumentException("feature '" + name + "': cyclic encoding needs a positive 'period'");
        }
        columnNames();
    }
}

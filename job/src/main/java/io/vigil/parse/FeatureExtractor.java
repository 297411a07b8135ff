package io.vigil.parse;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.vigil.deadletter.DeadLetterReason;
import io.vigil.model.FeatureSpec;
import io.vigil.model.ModelContract;
import java.io.IOException;
import java.io.Serializable;
import java.time.DateTimeException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Reads one JSON event as {@code model.json} says (see {@code docs/model-contract.md}). In: a
 * payload. Out: its key, event time (epoch ms) and feature columns, encoded but not normalized, or
 * the {@link DeadLetterReason} it cannot be scored for, with a detail naming the field and value.
 * Derived columns are NaN: they depend on the key's history and are filled in by the window stage
 * ({@code io.vigil.window.WindowBuilder}). Keeps no state between events.
 *
 * <p>Checks run in this order and the first failure is reported: strict UTF-8 (no NUL byte), one
 * JSON object and nothing after it, the key (a non-empty string, or a JSON integer taken as its
 * decimal text; a fractional number is refused), the timestamp, then each path feature in contract
 * order: present and not null, the right JSON type (a number; for onehot a string or a number,
 * taken as its text), finite as a double, finite as float32, and finite once normalized,
 * {@code (x − mean) / std} in float32, since an overflow there would reach the model as infinity.
 *
 * <p>Free of Flink so that offline tools read events exactly as the job does. Not thread-safe (the
 * JSON parser is per instance); serializable, so an operator ships it and each parallel instance
 * gets its own copy.
 */
public final class FeatureExtractor implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Longest rendering of an offending value in a detail message. */
    private static final int MAX_VALUE_CHARS = 80;

    /** What {@link #extract} found. */
    public sealed interface Result permits Accepted, Rejected {}

    /** @param columns one float per model column, derived ones NaN */
    public record Accepted(String key, long timestamp, float[] columns) implements Result {}

    public record Rejected(DeadLetterReason reason, String detail) implements Result {}

    /** A path as written in the contract or a parameter, compiled to a JSON Pointer. */
    private record FieldPath(String text, JsonPointer pointer) implements Serializable {}

    /** A feature read from the payload, and where its columns start. */
    private record PathFeature(String name, FieldPath path, Encoding encoding, int column, int width,
            String[] categories, double period) implements Serializable {}

    private final FieldPath keyPath;
    private final FieldPath timestampPath;
    private final PathFeature[] features;
    private final int[] derivedColumns;
    private final float[] mean;
    private final float[] std;

    /** Created on first use: one per instance, so one per parallel operator instance. */
    private transient ObjectMapper json;

    public FeatureExtractor(ModelContract contract) {
        this(contract, null, null);
    }

    /**
     * @param keyPathOverride replaces the contract's {@code key} path; null or blank keeps it
     * @param timestampPathOverride replaces the contract's {@code timestamp} path; null or blank keeps it
     * @throws IllegalArgumentException if the contract is invalid or a path cannot be compiled
     */
    public FeatureExtractor(ModelContract contract, String keyPathOverride, String timestampPathOverride) {
        contract.validate();
        this.keyPath = compile("key path", isBlank(keyPathOverride) ? contract.key() : keyPathOverride);
        this.timestampPath = compile("timestamp path",
                isBlank(timestampPathOverride) ? contract.timestamp() : timestampPathOverride);
        List<PathFeature> pathFeatures = new ArrayList<>();
        List<Integer> derived = new ArrayList<>();
        int column = 0;
        for (FeatureSpec spec : contract.features()) {
            int width = spec.columnNames().size();
            Encoding encoding = Encoding.of(spec);
            if (spec.isDerived()) {
                for (int i = 0; i < width; i++) {
                    derived.add(column + i);
                }
            } else {
                String[] categories = encoding == Encoding.ONEHOT ? spec.categories().toArray(String[]::new) : null;
                double period = spec.period() == null ? Double.NaN : spec.period();
                FieldPath path = compile("path of feature '" + spec.name() + "'", spec.path());
                pathFeatures.add(new PathFeature(spec.name(), path, encoding, column, width, categories, period));
            }
            column += width;
        }
        this.features = pathFeatures.toArray(PathFeature[]::new);
        this.derivedColumns = derived.stream().mapToInt(Integer::intValue).toArray();
        this.mean = contract.normalization().mean().clone();
        this.std = contract.normalization().std().clone();
    }

    /**
     * Compiles a dotted path ({@code values.temperature}) or a JSON Pointer
     * ({@code /values/temperature}). Dotted segments are object fields; on an array a numeric
     * segment selects an element, as in a JSON Pointer. A field whose name holds a dot needs the
     * pointer form.
     */
    static JsonPointer compilePath(String path) {
        if (isBlank(path)) {
            throw new IllegalArgumentException("is empty");
        }
        if (path.startsWith("/")) {
            // Jackson reads a stray '~' literally; RFC 6901 allows only ~0 and ~1.
            for (int i = path.indexOf('~'); i >= 0; i = path.indexOf('~', i + 1)) {
                if (i + 1 == path.length() || (path.charAt(i + 1) != '0' && path.charAt(i + 1) != '1')) {
                    throw new IllegalArgumentException(
                            "has a '~' not followed by 0 or 1 (a JSON Pointer escapes '~' as ~0 and '/' as ~1)");
                }
            }
            return JsonPointer.compile(path);
        }
        StringBuilder pointer = new StringBuilder();
        for (String segment : path.split("\\.", -1)) {
            if (segment.isEmpty()) {
                throw new IllegalArgumentException("has an empty segment (dotted paths look like values.temperature)");
            }
            pointer.append('/').append(segment.replace("~", "~0").replace("/", "~1"));
        }
        return JsonPointer.compile(pointer.toString());
    }

    private static FieldPath compile(String what, String path) {
        try {
            return new FieldPath(path, compilePath(path));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " '" + path + "' " + e.getMessage(), e);
        }
    }

    /** Parses the payload as UTF-8 JSON and extracts the event. Never throws on bad input. */
    public Result extract(byte[] payload) {
        if (payload == null) {
            return new Rejected(DeadLetterReason.MALFORMED_JSON, "payload is absent (a record with a null value)");
        }
        int invalid = Utf8.firstInvalidByte(payload);
        if (invalid >= 0) {
            return new Rejected(DeadLetterReason.MALFORMED_JSON, String.format(
                    "payload is not UTF-8 JSON: byte 0x%02X at offset %d", payload[invalid] & 0xFF, invalid));
        }
        JsonNode root;
        try {
            root = mapper().readTree(payload);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            return new Rejected(DeadLetterReason.MALFORMED_JSON, truncate("payload is not valid JSON" + where + ": "
                    + e.getOriginalMessage(), 300));
        } catch (IOException | RuntimeException e) {
            // readTree on a byte array does no I/O; anything else it throws is about the bytes.
            return new Rejected(DeadLetterReason.MALFORMED_JSON, truncate("payload is not valid JSON: " + e, 300));
        }
        return extract(root);
    }

    /** Extracts the event from an already parsed payload. Never throws on bad input. */
    public Result extract(JsonNode root) {
        if (root == null || !root.isObject()) {
            return new Rejected(DeadLetterReason.MALFORMED_JSON, root == null || root.isMissingNode()
                    ? "payload is empty"
                    : "payload is a JSON " + root.getNodeType().name().toLowerCase(Locale.ROOT) + ", not an object");
        }

        JsonNode keyNode = root.at(keyPath.pointer());
        String key = keyNode.isTextual() ? keyNode.textValue() : keyNode.isIntegralNumber() ? keyNode.asText() : null;
        if (key == null || key.isEmpty()) {
            return new Rejected(DeadLetterReason.MISSING_KEY, "key at " + keyPath.text() + " is "
                    + (key != null ? "an empty string" : absentOr(keyNode, "not a string or an integer")));
        }

        JsonNode timeNode = root.at(timestampPath.pointer());
        long timestamp;
        if (timeNode.isTextual()) {
            try {
                timestamp = IsoInstants.toEpochMilli(timeNode.textValue());
            } catch (DateTimeException e) {
                return new Rejected(DeadLetterReason.BAD_TIMESTAMP, "timestamp at " + timestampPath.text() + " is "
                        + render(timeNode) + ", not an ISO-8601 instant with a zone offset");
            }
        } else if (timeNode.isIntegralNumber()) {
            if (!timeNode.canConvertToLong()) {
                return new Rejected(DeadLetterReason.BAD_TIMESTAMP, "timestamp at " + timestampPath.text() + " is "
                        + render(timeNode) + ", beyond the range of epoch milliseconds");
            }
            timestamp = timeNode.longValue();
        } else {
            return new Rejected(DeadLetterReason.BAD_TIMESTAMP, "timestamp at " + timestampPath.text() + " is "
                    + absentOr(timeNode, "not an ISO-8601 string or an integer of epoch milliseconds"));
        }

        float[] columns = new float[mean.length];
        for (int column : derivedColumns) {
            columns[column] = Float.NaN;
        }
        for (PathFeature feature : features) {
            Rejected rejected = read(feature, root.at(feature.path().pointer()), columns);
            if (rejected != null) {
                return rejected;
            }
        }
        return new Accepted(key, timestamp, columns);
    }

    /** Writes the feature's columns, or says why it cannot. */
    private Rejected read(PathFeature feature, JsonNode value, float[] columns) {
        if (value.isMissingNode() || value.isNull()) {
            return new Rejected(DeadLetterReason.MISSING_FEATURE,
                    describe(feature) + " is " + (value.isMissingNode() ? "missing" : "null"));
        }
        if (feature.encoding() == Encoding.ONEHOT) {
            String category = value.isTextual() ? value.textValue() : value.isNumber() ? value.asText() : null;
            if (category == null) {
                return new Rejected(DeadLetterReason.NON_NUMERIC_FEATURE,
                        describe(feature) + " is " + render(value) + ", not a string or a number");
            }
            String[] categories = feature.categories();
            for (int i = 0; i < categories.length; i++) {
                columns[feature.column() + i] = categories[i].equals(category) ? 1f : 0f;
            }
        } else {
            if (!value.isNumber()) {
                return new Rejected(DeadLetterReason.NON_NUMERIC_FEATURE,
                        describe(feature) + " is " + render(value) + ", not a number");
            }
            double x = value.doubleValue();
            if (!Double.isFinite(x)) {
                // JSON has no NaN or Infinity literal: this is a number beyond the double range, like 1e999.
                return new Rejected(DeadLetterReason.NON_FINITE_FEATURE,
                        describe(feature) + " is " + render(value) + ", beyond the range of a double");
            }
            feature.encoding().encode(x, feature.period(), columns, feature.column());
        }
        for (int c = feature.column(); c < feature.column() + feature.width(); c++) {
            if (!Float.isFinite(columns[c])) {
                return new Rejected(DeadLetterReason.NON_FINITE_FEATURE,
                        describe(feature) + " is " + render(value) + ", beyond the range of float32");
            }
            if (!Float.isFinite((columns[c] - mean[c]) / std[c])) {
                return new Rejected(DeadLetterReason.NON_FINITE_FEATURE, describe(feature) + " is " + render(value)
                        + ", which normalizes beyond the range of float32");
            }
        }
        return null;
    }

    private static String describe(PathFeature feature) {
        return "feature '" + feature.name() + "' at " + feature.path().text();
    }

    /** "missing", "null", or the rendered value followed by the complaint. */
    private static String absentOr(JsonNode node, String complaint) {
        if (node.isMissingNode()) {
            return "missing";
        }
        if (node.isNull()) {
            return "null";
        }
        return render(node) + ", " + complaint;
    }

    /** The value as JSON text, cut short: a detail message must stay small whatever the input. */
    private static String render(JsonNode node) {
        return truncate(node.toString(), MAX_VALUE_CHARS);
    }

    private static String truncate(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max) + "…";
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }

    private ObjectMapper mapper() {
        if (json == null) {
            json = JsonMapper.builder()
                    // {"a":1} {"b":2} is not one JSON object: reject what follows the first value.
                    .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                    .build();
        }
        return json;
    }

    @Override
    public String toString() {
        return "FeatureExtractor{key=" + keyPath.text() + ", timestamp=" + timestampPath.text()
                + ", features=" + Arrays.stream(features).map(PathFeature::name).toList() + "}";
    }
}

package io.vigil.config;

import static io.vigil.config.JobOptions.*;

import io.vigil.config.JobOptions.Delivery;
import io.vigil.config.JobOptions.StartingOffsets;
import io.vigil.alert.AlertSettings;
import io.vigil.model.LoadedModel;
import io.vigil.threshold.AdaptiveThreshold;
import io.vigil.threshold.ThresholdMethod;
import io.vigil.threshold.ThresholdRules;
import io.vigil.threshold.ThresholdSettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.util.TimeUtils;

/**
 * The job's parameters, parsed once from the command line and validated before anything starts:
 * a bad value, an unknown parameter or an unusable model stops the job with a message that names
 * the parameter, the value and what is allowed.
 */
public record JobSettings(
        List<StreamSettings> streams,
        String bootstrapServers,
        String groupId,
        StartingOffsets startingOffsets,
        boolean bounded,
        Properties kafkaProperties,
        Duration kafkaCheckTimeout,
        String alertsTopic,
        Delivery delivery,
        String transactionalIdPrefix,
        Duration transactionTimeout,
        String deadLetterTopic,
        String scoresTopic,
        String controlTopic,
        int maxPayloadBytes,
        Duration outOfOrderness,
        Duration idleness,
        Duration allowedLateness,
        Duration stateTtl,
        Duration keysTrackedInterval,
        int batchMaxRows,
        Duration batchMaxDelay,
        String onnxDevice,
        int onnxThreads,
        ThresholdSettings threshold,
        ThresholdRules thresholdRules,
        AlertSettings alert,
        Duration checkpointInterval,
        Map<String, String> flinkConfiguration) {

    private static final List<ConfigOption<?>> STREAM_TEMPLATES =
            List.of(STREAM_MODEL, STREAM_TOPICS, STREAM_TOPIC_PATTERN, STREAM_KEY_PATH, STREAM_TIMESTAMP_PATH);

    /** Parses {@code --key value} pairs. Throws {@link IllegalArgumentException} naming the first problem. */
    public static JobSettings fromArgs(String[] args) {
        return fromMap(parseArgs(args));
    }

    public static boolean wantsHelp(String[] args) {
        return args.length == 0 || List.of(args).contains("--help") || List.of(args).contains("-h");
    }

    static Map<String, String> parseArgs(String[] args) {
        Map<String, String> values = new LinkedHashMap<>();
        String previous = null;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--") || arg.length() == 2) {
                // A stray word after a secret parameter is likely part of an unquoted secret: not repeated.
                boolean secret = previous != null && KafkaSecrets.isSensitive(previous);
                throw new IllegalArgumentException("expected a parameter --name, found " + (secret
                        ? "a stray word after --" + previous + " (quote a value that has spaces)" : "'" + arg + "'"));
            }
            String name = arg.substring(2);
            String value;
            int eq = name.indexOf('=');
            if (eq > 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                value = args[++i];
            } else {
                value = "true"; // a bare flag
            }
            previous = name;
            if (values.put(name, value) != null) {
                throw new IllegalArgumentException("parameter --" + name + " is given twice");
            }
        }
        return values;
    }

    public static JobSettings fromMap(Map<String, String> raw) {
        Configuration conf = new Configuration();
        raw.forEach(conf::setString);
        List<String> streamNames = commaList(required(conf, STREAMS));
        rejectUnknown(raw.keySet(), streamNames);

        List<StreamSettings> streams = new ArrayList<>();
        for (String name : streamNames) {
            streams.add(stream(conf, name));
        }
        Properties kafka = kafkaProperties(raw, conf);

        JobSettings settings = new JobSettings(
                streams,
                required(conf, BOOTSTRAP_SERVERS),
                get(conf, GROUP_ID),
                enumValue(conf, STARTING_OFFSETS, StartingOffsets.class),
                get(conf, BOUNDED),
                kafka,
                get(conf, KAFKA_CHECK_TIMEOUT),
                get(conf, ALERTS_TOPIC),
                enumValue(conf, ALERTS_DELIVERY, Delivery.class),
                get(conf, TRANSACTIONAL_ID_PREFIX),
                get(conf, TRANSACTION_TIMEOUT),
                get(conf, DEAD_LETTER_TOPIC),
                conf.getOptional(SCORES_TOPIC).orElse(null),
                conf.getOptional(CONTROL_TOPIC).orElse(null),
                get(conf, MAX_PAYLOAD_BYTES),
                get(conf, OUT_OF_ORDERNESS),
                get(conf, IDLENESS),
                get(conf, ALLOWED_LATENESS),
                get(conf, STATE_TTL),
                get(conf, KEYS_TRACKED_INTERVAL),
                get(conf, BATCH_MAX_ROWS),
                get(conf, BATCH_MAX_DELAY),
                get(conf, ONNX_DEVICE),
                get(conf, ONNX_THREADS),
                thresholdSettings(conf),
                thresholdRules(conf),
                new AlertSettings(get(conf, ALERT_MERGE_GAP), get(conf, ALERT_COOLDOWN), get(conf, ALERT_MAX_PER_INTERVAL),
                        get(conf, ALERT_CAP_INTERVAL), get(conf, ALERT_UPDATES)),
                checkpointInterval(conf, raw),
                flinkConfiguration(raw));
        settings.validate();
        return settings;
    }

    private void validate() {
        positive(MAX_PAYLOAD_BYTES, maxPayloadBytes);
        positive(BATCH_MAX_ROWS, batchMaxRows);
        positive(ONNX_THREADS, onnxThreads);
        notNegative(OUT_OF_ORDERNESS, outOfOrderness);
        notNegative(ALLOWED_LATENESS, allowedLateness);
        notNegative(STATE_TTL, stateTtl);
        notNegative(KEYS_TRACKED_INTERVAL, keysTrackedInterval);
        notNegative(KAFKA_CHECK_TIMEOUT, kafkaCheckTimeout);
        positive(IDLENESS, idleness);
        positive(BATCH_MAX_DELAY, batchMaxDelay);
        positive(CHECKPOINT_INTERVAL, checkpointInterval);
        if (delivery == Delivery.EXACTLY_ONCE && transactionTimeout.compareTo(checkpointInterval) <= 0) {
            throw new IllegalArgumentException("--" + TRANSACTION_TIMEOUT.key() + " (" + transactionTimeout
                    + ") must be longer than the checkpoint interval (" + checkpointInterval + ", --" + CHECKPOINT_INTERVAL.key()
                    + " or --" + FLINK_PREFIX + CheckpointingOptions.CHECKPOINTING_INTERVAL.key()
                    + "), or transactions expire before their checkpoint commits them");
        }
        if (!onnxDevice.matches("auto|cpu|cuda(:\\d+)?")) {
            throw invalid(ONNX_DEVICE, onnxDevice, "auto, cpu, cuda or cuda:N");
        }
        threshold.validate();
        alert.validate();
        for (StreamSettings stream : streams) {
            // A calibration quantile that model.json does not list stops the job now, not at the first score.
            for (ThresholdSettings each : thresholdRules.all()) {
                if (each.method() == ThresholdMethod.STATIC) {
                    try {
                        AdaptiveThreshold.staticThreshold(each, stream.model().contract());
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("stream '" + stream.name() + "': " + e.getMessage(), e);
                    }
                }
            }
        }
        Set<String> names = new TreeSet<>();
        for (StreamSettings stream : streams) {
            if (!names.add(stream.name())) {
                throw new IllegalArgumentException("--" + STREAMS.key() + " names stream '" + stream.name() + "' twice");
            }
        }
    }

    private static StreamSettings stream(Configuration conf, String name) {
        if (!name.matches("[A-Za-z0-9_-]+")) {
            throw invalid(STREAMS, name, "stream names of letters, digits, '_' and '-'");
        }
        String modelDir = conf.getOptional(streamOption(STREAM_MODEL, name)).orElseThrow(
                () -> new IllegalArgumentException("stream '" + name + "' needs --stream." + name + ".model DIR"));
        List<String> topics = commaList(conf.getOptional(streamOption(STREAM_TOPICS, name)).orElse(""));
        String pattern = conf.getOptional(streamOption(STREAM_TOPIC_PATTERN, name)).orElse(null);
        if (topics.isEmpty() == (pattern == null)) {
            throw new IllegalArgumentException("stream '" + name + "' needs exactly one of --stream." + name
                    + ".topics and --stream." + name + ".topic-pattern");
        }
        if (pattern != null) {
            try {
                Pattern.compile(pattern);
            } catch (PatternSyntaxException e) {
                throw invalid(streamOption(STREAM_TOPIC_PATTERN, name), pattern, "a Java regular expression (" + e.getDescription() + ")");
            }
        }
        LoadedModel model;
        try {
            model = LoadedModel.load(Path.of(modelDir));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--stream." + name + ".model " + modelDir + ": " + e.getMessage(), e);
        }
        String keyPath = conf.getOptional(streamOption(STREAM_KEY_PATH, name)).orElse(model.contract().key());
        String timestampPath = conf.getOptional(streamOption(STREAM_TIMESTAMP_PATH, name)).orElse(model.contract().timestamp());
        return new StreamSettings(name, model, topics, pattern, keyPath, timestampPath);
    }

    private static ConfigOption<String> streamOption(ConfigOption<String> template, String name) {
        return org.apache.flink.configuration.ConfigOptions.key(template.key().replace("NAME", name)).stringType().noDefaultValue();
    }

    /** Lists are comma separated, as users write them (Flink's own list options split on ';'). */
    private static List<String> commaList(String value) {
        return java.util.Arrays.stream(value.split(",")).map(String::trim).filter(v -> !v.isEmpty()).toList();
    }

    /**
     * Client settings for every consumer and producer: the properties file, then --kafka.property.*
     * over it. A secret given literally on the command line is refused (see {@link KafkaSecrets}).
     */
    private static Properties kafkaProperties(Map<String, String> raw, Configuration conf) {
        Properties properties = new Properties();
        conf.getOptional(PROPERTIES_FILE).ifPresent(file -> {
            try (InputStream in = Files.newInputStream(Path.of(file))) {
                properties.load(in);
            } catch (IOException e) {
                throw new IllegalArgumentException("--" + PROPERTIES_FILE.key() + " " + file + ": cannot read: " + e.getMessage(), e);
            }
        });
        raw.forEach((k, v) -> {
            if (k.startsWith(KAFKA_PROPERTY_PREFIX)) {
                String name = k.substring(KAFKA_PROPERTY_PREFIX.length());
                if (KafkaSecrets.isSensitive(name) && !KafkaSecrets.isReferenceOnly(v)) {
                    // The value is not repeated: the message itself ends up in logs.
                    throw new IllegalArgumentException("--" + k + " puts a secret on the command line, where process "
                            + "listings and the cluster's job configuration show it: set " + name + " in --"
                            + PROPERTIES_FILE.key() + ", or give a reference that each Kafka client resolves itself, "
                            + "such as ${file:/path/to/secrets.properties:" + name + "} (see docs/security.md)");
                }
                properties.setProperty(name, v);
            }
        });
        KafkaSecrets.checkReferences(properties, conf.getOptional(PROPERTIES_FILE)
                .map(f -> "--" + PROPERTIES_FILE.key() + " " + f).orElse("--" + KAFKA_PROPERTY.key()));
        return properties;
    }

    /** As a record prints itself, with the Kafka client secrets masked (settings end up in logs and errors). */
    @Override
    public String toString() {
        StringBuilder out = new StringBuilder("JobSettings[");
        java.lang.reflect.RecordComponent[] components = JobSettings.class.getRecordComponents();
        for (int i = 0; i < components.length; i++) {
            Object value;
            try {
                value = components[i].getAccessor().invoke(this);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
            if (value instanceof Properties properties) {
                value = KafkaSecrets.masked(properties);
            }
            out.append(i == 0 ? "" : ", ").append(components[i].getName()).append('=').append(value);
        }
        return out.append(']').toString();
    }

    /**
     * The interval checkpoints really run at: {@code --flink.execution.checkpointing.interval} wins
     * in Flink's configuration, so the transaction timeout must be checked against it. Given both
     * ways the two could disagree, so that is refused.
     */
    private static Duration checkpointInterval(Configuration conf, Map<String, String> raw) {
        String flinkKey = FLINK_PREFIX + CheckpointingOptions.CHECKPOINTING_INTERVAL.key();
        if (!raw.containsKey(flinkKey)) {
            return get(conf, CHECKPOINT_INTERVAL);
        }
        if (raw.containsKey(CHECKPOINT_INTERVAL.key())) {
            throw new IllegalArgumentException("--" + CHECKPOINT_INTERVAL.key() + " and --" + flinkKey
                    + " both set the checkpoint interval: give one of them");
        }
        try {
            return TimeUtils.parseDuration(raw.get(flinkKey));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid value for --" + flinkKey + ": '" + raw.get(flinkKey)
                    + "'; allowed: a duration (e.g. 10 s, 1 min)", e);
        }
    }

    private static Map<String, String> flinkConfiguration(Map<String, String> raw) {
        Map<String, String> flink = new HashMap<>();
        raw.forEach((k, v) -> {
            if (k.startsWith(FLINK_PREFIX)) {
                flink.put(k.substring(FLINK_PREFIX.length()), v);
            }
        });
        return Map.copyOf(flink);
    }

    /** A misspelt parameter would otherwise be ignored silently and its default used. */
    private static void rejectUnknown(Set<String> given, List<String> streamNames) {
        Set<String> known = new TreeSet<>();
        for (ConfigOption<?> option : ALL) {
            known.add(option.key());
        }
        for (String stream : streamNames) {
            for (ConfigOption<?> template : STREAM_TEMPLATES) {
                known.add(template.key().replace("NAME", stream));
            }
        }
        for (String key : given) {
            boolean passThrough = key.startsWith(KAFKA_PROPERTY_PREFIX) || key.startsWith(FLINK_PREFIX);
            if (!known.contains(key) && !passThrough) {
                String hint = key.startsWith(STREAM_PREFIX)
                        ? " (per-stream parameters need the stream's name in --streams " + streamNames + ")"
                        : " (--help lists the parameters)";
                throw new IllegalArgumentException("unknown parameter --" + key + hint);
            }
        }
    }

    private static <T> T required(Configuration conf, ConfigOption<T> option) {
        T value = get(conf, option);
        if (value == null || (value instanceof List<?> list && list.isEmpty()) || (value instanceof String s && s.isBlank())) {
            throw new IllegalArgumentException("missing required parameter --" + option.key() + ": " + describe(option));
        }
        return value;
    }

    private static ThresholdSettings thresholdSettings(Configuration conf) {
        return new ThresholdSettings(
                enumValue(conf, THRESHOLD_METHOD, ThresholdMethod.class),
                get(conf, THRESHOLD_K), get(conf, THRESHOLD_ALPHA), get(conf, THRESHOLD_WARMUP),
                get(conf, TOP_FEATURES),
                orNaN(get(conf, THRESHOLD_STATIC_VALUE)),
                orNaN(get(conf, THRESHOLD_STATIC_QUANTILE)),
                get(conf, THRESHOLD_QUANTILE), get(conf, THRESHOLD_QUANTILE_HORIZON),
                get(conf, THRESHOLD_RISK), get(conf, THRESHOLD_POT_LEVEL), get(conf, THRESHOLD_POT_INIT_SCORES),
                get(conf, THRESHOLD_POT_MAX_PEAKS), get(conf, THRESHOLD_POT_DRIFT_WINDOW),
                get(conf, THRESHOLD_LEARN_FROM_ANOMALIES));
    }

    /**
     * The rules of {@code threshold.rules}: each line's pairs are laid over the command line's
     * threshold parameters and parsed and validated like them, so a rule's error reads like a
     * parameter's, with the file and line in front.
     */
    private static ThresholdRules thresholdRules(Configuration conf) {
        ThresholdSettings defaults = thresholdSettings(conf);
        String file = get(conf, THRESHOLD_RULES);
        if (file == null) {
            return ThresholdRules.none(defaults);
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of(file));
        } catch (IOException e) {
            throw new IllegalArgumentException("--" + THRESHOLD_RULES.key() + " " + file + ": cannot read: " + e.getMessage(), e);
        }
        Map<String, ConfigOption<?>> allowed = new LinkedHashMap<>();
        THRESHOLD_RULE_OPTIONS.forEach(o -> allowed.put(o.key().substring("threshold.".length()), o));
        List<ThresholdRules.Rule> rules = new ArrayList<>();
        Set<String> prefixes = new TreeSet<>();
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n).replaceFirst("#.*", "").trim();
            if (line.isEmpty()) {
                continue;
            }
            String where = "--" + THRESHOLD_RULES.key() + " " + file + " line " + (n + 1) + ": ";
            String[] tokens = line.split("\\s+");
            if (!prefixes.add(tokens[0])) {
                throw new IllegalArgumentException(where + "key prefix '" + tokens[0] + "' has a rule already");
            }
            Configuration overridden = new Configuration(conf);
            Map<String, String> pairs = new LinkedHashMap<>();
            for (int i = 1; i < tokens.length; i++) {
                int eq = tokens[i].indexOf('=');
                String name = eq > 0 ? tokens[i].substring(0, eq) : tokens[i];
                if (eq <= 0 || !allowed.containsKey(name)) {
                    throw new IllegalArgumentException(where + "'" + tokens[i] + "' is not name=value with a name of "
                            + allowed.keySet());
                }
                overridden.setString(allowed.get(name).key(), tokens[i].substring(eq + 1));
                pairs.put(name, tokens[i].substring(eq + 1));
            }
            if (tokens.length == 1) {
                throw new IllegalArgumentException(where + "key prefix '" + tokens[0] + "' overrides nothing");
            }
            try {
                rules.add(new ThresholdRules.Rule(tokens[0], thresholdSettings(overridden).validate(), pairs));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + e.getMessage(), e);
            }
        }
        return new ThresholdRules(defaults, rules);
    }

    /** The names a rule line or a control command may set: the threshold parameters without {@code threshold.}. */
    public static Set<String> thresholdParameterNames() {
        Set<String> names = new TreeSet<>();
        THRESHOLD_RULE_OPTIONS.forEach(o -> names.add(o.key().substring("threshold.".length())));
        return names;
    }

    /**
     * {@code base} with {@code pairs} (names as in {@link #thresholdParameterNames()}) laid over it,
     * parsed and validated exactly like the command line: a bad value throws
     * IllegalArgumentException naming the parameter, the value and what is allowed. Used for rules
     * given at runtime by control commands.
     */
    public static ThresholdSettings overlayThreshold(ThresholdSettings base, Map<String, String> pairs) {
        Configuration conf = new Configuration();
        conf.setString(THRESHOLD_METHOD.key(), base.method().name().toLowerCase(Locale.ROOT));
        conf.setString(THRESHOLD_K.key(), Double.toString(base.k()));
        conf.setString(THRESHOLD_ALPHA.key(), Double.toString(base.alpha()));
        conf.setString(THRESHOLD_WARMUP.key(), Integer.toString(base.warmup()));
        conf.setString(TOP_FEATURES.key(), Integer.toString(base.topFeatures()));
        if (!Double.isNaN(base.staticValue())) {
            conf.setString(THRESHOLD_STATIC_VALUE.key(), Double.toString(base.staticValue()));
        }
        if (!Double.isNaN(base.staticQuantile())) {
            conf.setString(THRESHOLD_STATIC_QUANTILE.key(), Double.toString(base.staticQuantile()));
        }
        conf.setString(THRESHOLD_QUANTILE.key(), Double.toString(base.quantile()));
        conf.setString(THRESHOLD_QUANTILE_HORIZON.key(), Long.toString(base.quantileHorizon()));
        conf.setString(THRESHOLD_RISK.key(), Double.toString(base.risk()));
        conf.setString(THRESHOLD_POT_LEVEL.key(), Double.toString(base.potLevel()));
        conf.setString(THRESHOLD_POT_INIT_SCORES.key(), Integer.toString(base.potInitScores()));
        conf.setString(THRESHOLD_POT_MAX_PEAKS.key(), Integer.toString(base.potMaxPeaks()));
        conf.setString(THRESHOLD_POT_DRIFT_WINDOW.key(), Integer.toString(base.potDriftWindow()));
        conf.setString(THRESHOLD_LEARN_FROM_ANOMALIES.key(), Boolean.toString(base.learnFromAnomalies()));
        Set<String> allowed = thresholdParameterNames();
        pairs.forEach((name, value) -> {
            if (!allowed.contains(name)) {
                throw new IllegalArgumentException("unknown parameter '" + name + "': allowed are " + allowed);
            }
            conf.setString("threshold." + name, value);
        });
        return thresholdSettings(conf).validate();
    }

    /** An unset number without a default, as the settings records hold it. */
    private static double orNaN(Double value) {
        return value == null ? Double.NaN : value;
    }

    private static <T> T get(Configuration conf, ConfigOption<T> option) {
        try {
            return conf.get(option);
        } catch (IllegalArgumentException e) {
            throw invalid(option, conf.toMap().get(option.key()), expectedKind(option));
        }
    }

    /** Accepts the documented lower-case, hyphenated spelling (exactly-once) as well as the enum name. */
    private static <E extends Enum<E>> E enumValue(Configuration conf, ConfigOption<E> option, Class<E> type) {
        String given = conf.toMap().get(option.key());
        if (given == null) {
            return option.defaultValue();
        }
        try {
            return Enum.valueOf(type, given.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw invalid(option, given, Help.enumValues(type));
        }
    }

    private static String expectedKind(ConfigOption<?> option) {
        Object example = option.defaultValue();
        if (example instanceof Duration) {
            return "a duration such as 500 ms, 10 s or 5 min";
        } else if (example instanceof Integer) {
            return "an integer";
        } else if (example instanceof Double) {
            return "a number";
        } else if (example instanceof Boolean) {
            return "true or false";
        }
        return describe(option);
    }

    private static void positive(ConfigOption<?> option, int value) {
        if (value <= 0) {
            throw invalid(option, String.valueOf(value), "an integer > 0");
        }
    }

    private static void positive(ConfigOption<?> option, Duration value) {
        if (value.isNegative() || value.isZero()) {
            throw invalid(option, value.toString(), "a duration > 0");
        }
    }

    private static void notNegative(ConfigOption<?> option, Duration value) {
        if (value.isNegative()) {
            throw invalid(option, value.toString(), "a duration >= 0");
        }
    }

    static IllegalArgumentException invalid(ConfigOption<?> option, String value, String allowed) {
        return new IllegalArgumentException("invalid value for --" + option.key() + ": '" + value + "'; allowed: " + allowed);
    }

    private static String describe(ConfigOption<?> option) {
        return Help.description(option);
    }
}

package io.vigil.config;

import static org.apache.flink.configuration.ConfigOptions.key;

import io.vigil.alert.AlertSettings;
import io.vigil.threshold.ThresholdMethod;
import io.vigil.threshold.ThresholdSettings;
import java.time.Duration;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;

/**
 * Every job parameter, declared once with its type, default and description. {@code --help} prints
 * them; {@link JobSettings} reads and validates them. Per-stream parameters are templates whose
 * {@code <name>} is one of the names in {@link #STREAMS}.
 */
public final class JobOptions {

    private JobOptions() {}

    // Streams and models.
    public static final ConfigOption<String> STREAMS = key("streams").stringType().noDefaultValue()
            .withDescription("Required. Names of the event streams to score, comma separated (for example sensors,transactions). "
                    + "Each needs stream.NAME.model and stream.NAME.topics (or stream.NAME.topic-pattern).");
    public static final String STREAM_PREFIX = "stream.";
    public static final ConfigOption<String> STREAM_MODEL = key("stream.NAME.model").stringType().noDefaultValue()
            .withDescription("Required. Directory holding the stream's model.onnx and model.json.");
    public static final ConfigOption<String> STREAM_TOPICS = key("stream.NAME.topics").stringType().noDefaultValue()
            .withDescription("Kafka topics of the stream, comma separated.");
    public static final ConfigOption<String> STREAM_TOPIC_PATTERN = key("stream.NAME.topic-pattern").stringType().noDefaultValue()
            .withDescription("A Java regular expression of topic names, instead of stream.NAME.topics.");
    public static final ConfigOption<String> STREAM_KEY_PATH = key("stream.NAME.key-path").stringType().noDefaultValue()
            .withDescription("JSON path of the entity key; overrides the model's 'key'.");
    public static final ConfigOption<String> STREAM_TIMESTAMP_PATH = key("stream.NAME.timestamp-path").stringType().noDefaultValue()
            .withDescription("JSON path of the event time; overrides the model's 'timestamp'.");

    // Kafka.
    public static final ConfigOption<String> BOOTSTRAP_SERVERS = key("kafka.bootstrap-servers").stringType().noDefaultValue()
            .withDescription("Required. Kafka bootstrap servers, host:port[,host:port...].");
    public static final ConfigOption<String> GROUP_ID = key("kafka.group-id").stringType().defaultValue("vigil")
            .withDescription("Consumer group id; offsets are committed on checkpoints (for monitoring; state holds the truth).");
    public static final ConfigOption<StartingOffsets> STARTING_OFFSETS = key("kafka.starting-offsets")
            .enumType(StartingOffsets.class).defaultValue(StartingOffsets.COMMITTED)
            .withDescription("Where a fresh start (no checkpoint or savepoint) reads from: committed (the group's committed "
                    + "offsets, earliest where none), earliest or latest.");
    public static final ConfigOption<Boolean> BOUNDED = key("kafka.bounded").booleanType().defaultValue(false)
            .withDescription("Stop at the offsets that are latest when the job starts (replay and backfill); "
                    + "the job then finishes after scoring them.");
    public static final ConfigOption<String> PROPERTIES_FILE = key("kafka.properties-file").stringType().noDefaultValue()
            .withDescription("A Java properties file of Kafka client settings (security.protocol, sasl.*, ssl.*) for "
                    + "every consumer and producer. Keep secrets out of it too with Kafka config providers: "
                    + "sasl.jaas.config=${file:/path/secrets.properties:sasl.jaas.config} or ${env:NAME}, resolved by each "
                    + "client where it runs (docs/security.md).");
    public static final String KAFKA_PROPERTY_PREFIX = "kafka.property.";
    public static final ConfigOption<String> KAFKA_PROPERTY = key("kafka.property.NAME").stringType().noDefaultValue()
            .withDescription("Any Kafka client setting, passed through to every consumer and producer "
                    + "(for example --kafka.property.security.protocol SASL_SSL). Wins over the properties file. "
                    + "Secrets (sasl.jaas.config, *password*, *secret*, *token*) are refused here unless the value is a "
                    + "config provider reference such as ${file:/path:key} or ${env:NAME} (docs/security.md).");
    public static final ConfigOption<Duration> KAFKA_CHECK_TIMEOUT = key("kafka.check-timeout").durationType()
            .defaultValue(Duration.ofSeconds(30))
            .withDescription("At start, before the job is submitted, check with a Kafka admin client that the brokers "
                    + "answer and accept the credentials, and stop with an error that names the brokers, the user and "
                    + "the cause. A broker that expects SASL or SSL does not answer a client without credentials: that "
                    + "shows as no answer within this time. With exactly-once delivery, also check that the output "
                    + "topics exist. 0 skips the check.");

    // Outputs.
    public static final ConfigOption<String> ALERTS_TOPIC = key("alerts.topic").stringType().defaultValue("alerts")
            .withDescription("Topic the alerts are written to (JSON).");
    public static final ConfigOption<Delivery> ALERTS_DELIVERY = key("alerts.delivery").enumType(Delivery.class)
            .defaultValue(Delivery.EXACTLY_ONCE)
            .withDescription("exactly-once: alerts, dead letters and scores are written in Kafka transactions committed on "
                    + "each checkpoint (read them with isolation.level=read_committed; they appear once per checkpoint "
                    + "interval). at-least-once: written at once, possibly again after a failure.");
    public static final ConfigOption<String> TRANSACTIONAL_ID_PREFIX = key("alerts.transactional-id-prefix").stringType()
            .defaultValue("vigil")
            .withDescription("Prefix of the Kafka transactional ids (exactly-once); unique per job on a cluster.");
    public static final ConfigOption<Duration> TRANSACTION_TIMEOUT = key("alerts.transaction-timeout").durationType()
            .defaultValue(Duration.ofMinutes(10))
            .withDescription("Kafka transaction timeout; must exceed the checkpoint interval plus any restart time and "
                    + "stay below the broker's transaction.max.timeout.ms (15 min by default).");
    public static final ConfigOption<String> DEAD_LETTER_TOPIC = key("dead-letter.topic").stringType().defaultValue("dead-letters")
            .withDescription("Topic of records that could not be scored, with the reason and the original bytes.");
    public static final ConfigOption<String> CONTROL_TOPIC = key("control.topic").stringType().noDefaultValue()
            .withDescription("If set, a topic of JSON commands that change threshold methods and parameters at runtime "
                    + "(globally, per key prefix or per key) and reset keys' learned thresholds; see docs/thresholds.md. "
                    + "Off by default.");
    public static final ConfigOption<String> SCORES_TOPIC = key("scores.topic").stringType().noDefaultValue()
            .withDescription("If set, every score is also written to this topic (JSON). Off by default.");

    // Parsing, event time, windows.
    public static final ConfigOption<Integer> MAX_PAYLOAD_BYTES = key("parse.max-payload-bytes").intType().defaultValue(1 << 20)
            .withDescription("Larger records are dead-lettered as oversized.");
    public static final ConfigOption<Duration> OUT_OF_ORDERNESS = key("watermark.out-of-orderness").durationType()
            .defaultValue(Duration.ofSeconds(5))
            .withDescription("How far event time may go backwards across a source partition; the watermark trails the "
                    + "largest event time seen by this much.");
    public static final ConfigOption<Duration> IDLENESS = key("watermark.idleness").durationType().defaultValue(Duration.ofSeconds(30))
            .withDescription("A partition without events for this long stops holding back the watermark.");
    public static final ConfigOption<Duration> ALLOWED_LATENESS = key("events.allowed-lateness").durationType()
            .defaultValue(Duration.ZERO)
            .withDescription("Extra wait behind the watermark before a key's events are put in order and scored; an event "
                    + "that arrives later than this is dead-lettered as late.");
    public static final ConfigOption<Duration> STATE_TTL = key("state.ttl").durationType().defaultValue(Duration.ofDays(7))
            .withDescription("Per-key state (window, threshold) of a key unseen for this long is dropped; 0 keeps it forever. "
                    + "Decide before the first savepoint: enabling or disabling TTL later breaks restores.");
    public static final ConfigOption<Duration> KEYS_TRACKED_INTERVAL = key("metrics.keys-tracked-interval").durationType()
            .defaultValue(Duration.ofMinutes(1))
            .withDescription("How often each window operator counts the keys that hold state (the keysTracked gauge); counting "
                    + "walks every key of the subtask, so keep it coarse with millions of keys; 0 turns the gauge off.");

    // Batching and scoring.
    public static final ConfigOption<Integer> BATCH_MAX_ROWS = key("batch.max-rows").intType().defaultValue(256)
            .withDescription("Largest number of windows, across keys, in one ONNX Runtime run.");
    public static final ConfigOption<Duration> BATCH_MAX_DELAY = key("batch.max-delay").durationType()
            .defaultValue(Duration.ofMillis(20))
            .withDescription("Longest a window waits for its batch to fill (processing time).");
    public static final ConfigOption<String> ONNX_DEVICE = key("onnx.device").stringType().defaultValue("auto")
            .withDescription("auto (CUDA when usable, else CPU with one log line), cpu, cuda or cuda:N.");
    public static final ConfigOption<Integer> ONNX_THREADS = key("onnx.intra-op-threads").intType().defaultValue(1)
            .withDescription("ONNX Runtime threads per session; slots of a TaskManager share one session and its cores.");

    // Thresholds and alerts.
    public static final ConfigOption<ThresholdMethod> THRESHOLD_METHOD = key("threshold.method").enumType(ThresholdMethod.class)
            .defaultValue(ThresholdSettings.DEFAULT_METHOD)
            .withDescription("How each key's threshold is set: static (a fixed score or a calibration quantile), sigma "
                    + "(moving mean + k standard deviations of ln(score)), quantile (a streaming quantile of the key's "
                    + "scores) or pot (peaks over threshold: a fitted tail at risk threshold.risk).");
    public static final ConfigOption<Double> THRESHOLD_K = key("threshold.k").doubleType().defaultValue(ThresholdSettings.DEFAULT_K)
            .withDescription("Alert when ln(score) exceeds the key's mean + k standard deviations.");
    public static final ConfigOption<Double> THRESHOLD_ALPHA = key("threshold.alpha").doubleType().defaultValue(ThresholdSettings.DEFAULT_ALPHA)
            .withDescription("Weight of each new score in the key's moving mean and variance once warmed up (0 <= alpha < 1).");
    public static final ConfigOption<Integer> THRESHOLD_WARMUP = key("threshold.warmup").intType().defaultValue(ThresholdSettings.DEFAULT_WARMUP)
            .withDescription("The model's calibration counts as this many scores of a new key, then blends into its own.");
    public static final ConfigOption<Boolean> THRESHOLD_LEARN_FROM_ANOMALIES = key("threshold.learn-from-anomalies").booleanType()
            .defaultValue(false)
            .withDescription("Also learn the scores that raised an alert (a key that stays anomalous then becomes the new normal).");
    public static final ConfigOption<Double> THRESHOLD_STATIC_VALUE = key("threshold.static-value").doubleType().noDefaultValue()
            .withDescription("Method static: alert above this score, for every key.");
    public static final ConfigOption<Double> THRESHOLD_STATIC_QUANTILE = key("threshold.static-quantile").doubleType().noDefaultValue()
            .withDescription("Method static: alert above this quantile of the model's calibration (one listed in model.json, "
                    + "for example 0.999).");
    public static final ConfigOption<Double> THRESHOLD_QUANTILE = key("threshold.quantile").doubleType()
            .defaultValue(ThresholdSettings.DEFAULT_QUANTILE)
            .withDescription("Method quantile: alert above this quantile of the key's own scores (0 < q < 1).");
    public static final ConfigOption<Long> THRESHOLD_QUANTILE_HORIZON = key("threshold.quantile-horizon").longType()
            .defaultValue(ThresholdSettings.DEFAULT_QUANTILE_HORIZON)
            .withDescription("Method quantile: the quantile covers the key's last horizon to 2 x horizon scores; 0 keeps all.");
    public static final ConfigOption<Double> THRESHOLD_RISK = key("threshold.risk").doubleType()
            .defaultValue(ThresholdSettings.DEFAULT_RISK)
            .withDescription("Method pot: the probability that a normal score exceeds the threshold (the false alarm rate "
                    + "per window).");
    public static final ConfigOption<Double> THRESHOLD_POT_LEVEL = key("threshold.pot-level").doubleType()
            .defaultValue(ThresholdSettings.DEFAULT_POT_LEVEL)
            .withDescription("Method pot: the quantile of a key's initial scores above which the tail is fitted.");
    public static final ConfigOption<Integer> THRESHOLD_POT_INIT_SCORES = key("threshold.pot-init-scores").intType()
            .defaultValue(ThresholdSettings.DEFAULT_POT_INIT_SCORES)
            .withDescription("Method pot: how many scores of a key set its initial tail; the calibration applies until then.");
    public static final ConfigOption<Integer> THRESHOLD_POT_MAX_PEAKS = key("threshold.pot-max-peaks").intType()
            .defaultValue(ThresholdSettings.DEFAULT_POT_MAX_PEAKS)
            .withDescription("Method pot: the tail is fitted to at most this many of the key's most recent peaks (bounds state).");
    public static final ConfigOption<Integer> THRESHOLD_POT_DRIFT_WINDOW = key("threshold.pot-drift-window").intType()
            .defaultValue(ThresholdSettings.DEFAULT_POT_DRIFT_WINDOW)
            .withDescription("Method pot, drift-aware (DSPOT): fit the score minus the mean of the key's last this many "
                    + "normal scores; 0 turns it off.");
    public static final ConfigOption<String> THRESHOLD_RULES = key("threshold.rules").stringType().noDefaultValue()
            .withDescription("A file of per-key overrides, one rule a line: a key prefix, then name=value pairs of "
                    + "threshold.* parameters without 'threshold.' (for example: pump- method=pot risk=1e-5). The longest "
                    + "matching prefix wins; other keys use the command line's. '#' starts a comment.");
    public static final ConfigOption<Duration> ALERT_MERGE_GAP = key("alert.merge-gap").durationType()
            .defaultValue(AlertSettings.DEFAULT_MERGE_GAP)
            .withDescription("Anomalous windows of a key closer than this in event time are one incident; the incident ends "
                    + "(an 'end' record) once event time passes its last anomalous window plus this (plus "
                    + "events.allowed-lateness, for the windows still held back).");
    public static final ConfigOption<Duration> ALERT_COOLDOWN = key("alert.cooldown").durationType()
            .defaultValue(AlertSettings.DEFAULT_COOLDOWN)
            .withDescription("Within an incident, write an update at most once per this much event time unless it is more "
                    + "severe than all before; 0 writes every anomalous window.");
    public static final ConfigOption<Boolean> ALERT_UPDATES = key("alert.updates").booleanType()
            .defaultValue(AlertSettings.DEFAULT_UPDATES)
            .withDescription("Whether an incident writes updates after its start (as the cooldown lets them through); false: "
                    + "one alert per incident and its end record, for consumers that page once per incident.");
    public static final ConfigOption<Integer> ALERT_MAX_PER_INTERVAL = key("alert.max-per-key-per-interval").intType()
            .defaultValue(AlertSettings.DEFAULT_MAX_PER_INTERVAL)
            .withDescription("At most this many alerts (start and update) per key per alert.cap-interval; 0: no cap.");
    public static final ConfigOption<Duration> ALERT_CAP_INTERVAL = key("alert.cap-interval").durationType()
            .defaultValue(AlertSettings.DEFAULT_INTERVAL)
            .withDescription("The interval of alert.max-per-key-per-interval, in event time.");
    public static final ConfigOption<Integer> TOP_FEATURES = key("alerts.top-features").intType().defaultValue(ThresholdSettings.DEFAULT_TOP_FEATURES)
            .withDescription("How many of the largest-error features an alert lists.");

    // Runtime.
    public static final ConfigOption<Duration> CHECKPOINT_INTERVAL = key("checkpoint.interval").durationType()
            .defaultValue(Duration.ofSeconds(10))
            .withDescription("Checkpoint interval; with exactly-once delivery, alerts become visible once per interval.");
    public static final String FLINK_PREFIX = "flink.";
    public static final ConfigOption<String> FLINK_OPTION = key("flink.KEY").stringType().noDefaultValue()
            .withDescription("Any Flink configuration key for this job (for example --flink.rest.port 8081 when run locally).");

    /** In the order {@code --help} prints them. */
    public static final List<ConfigOption<?>> ALL = List.of(
            STREAMS, STREAM_MODEL, STREAM_TOPICS, STREAM_TOPIC_PATTERN, STREAM_KEY_PATH, STREAM_TIMESTAMP_PATH,
            BOOTSTRAP_SERVERS, GROUP_ID, STARTING_OFFSETS, BOUNDED, PROPERTIES_FILE, KAFKA_PROPERTY, KAFKA_CHECK_TIMEOUT,
            ALERTS_TOPIC, ALERTS_DELIVERY, TRANSACTIONAL_ID_PREFIX, TRANSACTION_TIMEOUT, DEAD_LETTER_TOPIC, SCORES_TOPIC, CONTROL_TOPIC,
            MAX_PAYLOAD_BYTES, OUT_OF_ORDERNESS, IDLENESS, ALLOWED_LATENESS, STATE_TTL, KEYS_TRACKED_INTERVAL,
            BATCH_MAX_ROWS, BATCH_MAX_DELAY, ONNX_DEVICE, ONNX_THREADS,
            THRESHOLD_METHOD, THRESHOLD_K, THRESHOLD_ALPHA, THRESHOLD_WARMUP, THRESHOLD_LEARN_FROM_ANOMALIES,
            THRESHOLD_STATIC_VALUE, THRESHOLD_STATIC_QUANTILE, THRESHOLD_QUANTILE, THRESHOLD_QUANTILE_HORIZON,
            THRESHOLD_RISK, THRESHOLD_POT_LEVEL, THRESHOLD_POT_INIT_SCORES, THRESHOLD_POT_MAX_PEAKS, THRESHOLD_POT_DRIFT_WINDOW,
            THRESHOLD_RULES, TOP_FEATURES, ALERT_MERGE_GAP, ALERT_COOLDOWN, ALERT_UPDATES, ALERT_MAX_PER_INTERVAL, ALERT_CAP_INTERVAL,
            CHECKPOINT_INTERVAL, FLINK_OPTION);

    /** The parameters a line of {@link #THRESHOLD_RULES} may set. */
    public static final List<ConfigOption<?>> THRESHOLD_RULE_OPTIONS = List.of(
            THRESHOLD_METHOD, THRESHOLD_K, THRESHOLD_ALPHA, THRESHOLD_WARMUP, THRESHOLD_LEARN_FROM_ANOMALIES,
            THRESHOLD_STATIC_VALUE, THRESHOLD_STATIC_QUANTILE, THRESHOLD_QUANTILE, THRESHOLD_QUANTILE_HORIZON,
            THRESHOLD_RISK, THRESHOLD_POT_LEVEL, THRESHOLD_POT_INIT_SCORES, THRESHOLD_POT_MAX_PEAKS, THRESHOLD_POT_DRIFT_WINDOW);

    public enum StartingOffsets { COMMITTED, EARLIEST, LATEST }

    public enum Delivery { EXACTLY_ONCE, AT_LEAST_ONCE }
}

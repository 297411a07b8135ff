package io.vigil.generator;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The generator's command line: each option declared once with its value, default and description
 * ({@link #usage()} is made from them), parsed once into a {@link GeneratorConfig} plus where the
 * records go. Plain parsing rather than Flink's ParameterTool, so that the generator runs from the
 * job jar without Flink on the class path.
 *
 * @param out directory for the files (file mode) or for labels.jsonl (Kafka mode); null if not given
 * @param bootstrapServers Kafka mode when not null
 * @param propertiesFile Kafka producer settings (security.protocol, sasl.*, ...); null if not given
 */
public record GeneratorOptions(GeneratorConfig config, Path out, String bootstrapServers, Path propertiesFile,
        String sensorTopic, String transactionTopic, boolean helpRequested) {

    /** One command-line option. {@code value} is null for a flag. */
    record Option(String name, String value, String defaultValue, String description) {}

    static final List<Option> OPTIONS = List.of(
            new Option("stream", "sensors|transactions|both", "both", "which streams to generate"),
            new Option("keys", "N", "100", "keys per stream (machines, accounts)"),
            new Option("events", "N", "10000",
                    "records per stream, malformed ones included (no limit by default with --duration or --realtime)"),
            new Option("duration", "D", null,
                    "event time to cover, e.g. 90s, 15m, 2h, 1d or PT1H (wall-clock time with --realtime)"),
            new Option("rate", "R", null,
                    "with --realtime: events per second per stream, reached by choosing the number of keys (each key "
                            + "keeps its natural pace: a reading per interval, a payment every few minutes by day); "
                            + "not together with --keys"),
            new Option("interval-ms", "MS", "1000", "event time between two readings of a machine"),
            new Option("anomaly-rate", "P", "0.001",
                    "chance that a key's next event starts an anomaly, about one per key per 1/P events (0 for training data)"),
            new Option("malformed-rate", "P", "0", "fraction of records replaced by malformed ones (dead-letter tests)"),
            new Option("epoch-ts-fraction", "P", "0.1", "fraction of events with ts as epoch milliseconds instead of ISO-8601"),
            new Option("max-out-of-order-ms", "MS", "500", "the most by which an event may arrive after a later one"),
            new Option("seed", "N", "42", "random seed: the same seed gives the same records, byte for byte"),
            new Option("start", "INSTANT", "2026-01-01T00:00:00Z", "event time of the start (not with --realtime)"),
            new Option("out", "DIR", null,
                    "write DIR/sensors.jsonl, DIR/transactions.jsonl and DIR/labels.jsonl (with Kafka: only the labels)"),
            new Option("bootstrap-servers", "HOST:PORT", null, "send the records to Kafka"),
            new Option("properties-file", "FILE", null,
                    "Kafka producer settings, such as security.protocol and sasl.* for a SASL broker (config "
                            + "provider references such as ${file:...} are resolved by the producer)"),
            new Option("sensor-topic", "NAME", "sensors", "Kafka topic of the sensor stream"),
            new Option("transaction-topic", "NAME", "transactions", "Kafka topic of the transaction stream"),
            new Option("realtime", null, null, "event time is the wall clock; records are sent as it passes them"),
            new Option("help", null, null, "print this help"));

    private static final Pattern SHORT_DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    public static GeneratorOptions parse(String[] args) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + arg + "': options start with --");
            }
            String name = arg.substring(2);
            String value = null;
            int equals = name.indexOf('=');
            if (equals >= 0) {
                value = name.substring(equals + 1);
                name = name.substring(0, equals);
            }
            Option option = option(name);
            if (option.value() == null) {
                if (value != null) {
                    throw new IllegalArgumentException("--" + name + " takes no value, got '" + value + "'");
                }
                value = "true";
            } else if (value == null) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("--" + name + " needs a value: " + option.value());
                }
                value = args[++i];
            }
            if (values.put(name, value) != null) {
                throw new IllegalArgumentException("--" + name + " is given more than once");
            }
        }
        if (values.containsKey("help")) {
            return new GeneratorOptions(GeneratorConfig.defaults(), null, null, null, "sensors", "transactions", true);
        }
        return fromValues(values);
    }

    private static GeneratorOptions fromValues(Map<String, String> values) {
        boolean realtime = values.containsKey("realtime");
        GeneratorConfig.Streams streams = switch (text(values, "stream")) {
            case "sensors" -> GeneratorConfig.Streams.SENSORS;
            case "transactions" -> GeneratorConfig.Streams.TRANSACTIONS;
            case "both" -> GeneratorConfig.Streams.BOTH;
            default -> throw invalid("stream", values.get("stream"), "sensors, transactions or both");
        };
        long intervalMs = longValue(values, "interval-ms", 1);
        int sensorKeys = (int) longValue(values, "keys", 1);
        int transactionKeys = sensorKeys;
        if (values.containsKey("rate")) {
            if (!realtime) {
                throw new IllegalArgumentException("--rate paces a --realtime run; without --realtime events come as fast "
                        + "as they can (use --events or --duration to size the run)");
            }
            if (values.containsKey("keys")) {
                throw new IllegalArgumentException("--rate and --keys both given: in realtime mode the rate follows from "
                        + "the number of keys (each keeps its natural pace); give one of them");
            }
            double rate = doubleValue(values, "rate", Double.MIN_VALUE, 1e6);
            sensorKeys = SensorSimulator.machinesForRate(rate, intervalMs);
            transactionKeys = TransactionSimulator.accountsForRate(rate);
        }
        long events = values.containsKey("events") ? longValue(values, "events", 1)
                : values.containsKey("duration") || realtime ? 0 : Long.parseLong(option("events").defaultValue());
        Duration duration = values.containsKey("duration") ? duration(values.get("duration")) : null;
        Instant start;
        try {
            start = Instant.parse(text(values, "start"));
        } catch (DateTimeParseException e) {
            throw invalid("start", values.get("start"), "an ISO-8601 instant such as 2026-01-01T00:00:00Z");
        }
        if (realtime && values.containsKey("start")) {
            throw new IllegalArgumentException("--start and --realtime both given: a realtime run starts now");
        }
        Path out = values.containsKey("out") ? Path.of(values.get("out")) : null;
        String bootstrapServers = values.get("bootstrap-servers");
        if (out == null && bootstrapServers == null) {
            throw new IllegalArgumentException("nowhere to write: give --out DIR for files or --bootstrap-servers HOST:PORT for Kafka");
        }
        Path propertiesFile = values.containsKey("properties-file") ? Path.of(values.get("properties-file")) : null;
        if (propertiesFile != null && bootstrapServers == null) {
            throw new IllegalArgumentException("--properties-file holds Kafka producer settings: give --bootstrap-servers too");
        }
        GeneratorConfig config = new GeneratorConfig(streams, sensorKeys, transactionKeys, events, duration, start,
                intervalMs,
                doubleValue(values, "anomaly-rate", 0, 0.05),
                doubleValue(values, "malformed-rate", 0, 0.5),
                doubleValue(values, "epoch-ts-fraction", 0, 1),
                longValue(values, "max-out-of-order-ms", 0),
                longValue(values, "seed", Long.MIN_VALUE),
                realtime);
        return new GeneratorOptions(config, out, bootstrapServers, propertiesFile, text(values, "sensor-topic"),
                text(values, "transaction-topic"), false);
    }

    /** The sink the options ask for: files, or Kafka with the labels in a file. */
    public EventSink openSink() throws IOException {
        if (bootstrapServers == null) {
            return new JsonLinesSink(out);
        }
        Path labels = (out == null ? Path.of(".") : out).resolve(JsonLinesSink.LABELS_FILE);
        return new KafkaEventSink(producerConfig(), sensorTopic, transactionTopic, labels);
    }

    /** The producer's settings: the generator's own, then those of --properties-file, then --bootstrap-servers. */
    Properties producerConfig() throws IOException {
        Properties config = KafkaEventSink.producerConfig(bootstrapServers);
        if (propertiesFile != null) {
            Properties file = new Properties();
            try (InputStream in = Files.newInputStream(propertiesFile)) {
                file.load(in);
            } catch (IOException e) {
                throw new IOException("--properties-file " + propertiesFile + ": cannot read: " + e.getMessage(), e);
            }
            config.putAll(file);
            config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        }
        return config;
    }

    /** One line saying what will be generated where. */
    public String describe() {
        StringBuilder line = new StringBuilder();
        if (config.streams().sensors()) {
            line.append(config.sensorKeys()).append(" machines");
        }
        if (config.streams().transactions()) {
            line.append(line.isEmpty() ? "" : " and ").append(config.transactionKeys()).append(" accounts");
        }
        line.append(config.eventsPerStream() > 0 ? ", " + config.eventsPerStream() + " records per stream" : "");
        line.append(config.duration() != null ? ", for " + config.duration() : "");
        line.append(config.realtime() ? ", in real time" : ", from " + config.start());
        line.append(", seed ").append(config.seed()).append(" -> ");
        line.append(bootstrapServers == null ? out.toString()
                : "Kafka " + bootstrapServers + " (" + sensorTopic + ", " + transactionTopic + ")");
        return line.toString();
    }

    /** The help text, made from the option declarations. */
    public static String usage() {
        StringBuilder help = new StringBuilder(
                "Generates sensor readings and payment transactions with labelled anomalies, to JSON-lines files or Kafka.\n"
                        + "usage: Generator (--out DIR | --bootstrap-servers HOST:PORT) [options]\n\n");
        for (Option option : OPTIONS) {
            String left = "  --" + option.name() + (option.value() == null ? "" : " " + option.value());
            help.append(String.format(Locale.ROOT, "%-38s %s", left, option.description()));
            if (option.defaultValue() != null) {
                help.append(" (default: ").append(option.defaultValue()).append(')');
            }
            help.append('\n');
        }
        return help.toString();
    }

    private static Option option(String name) {
        return OPTIONS.stream().filter(o -> o.name().equals(name)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("unknown option '--" + name + "'"));
    }

    private static String text(Map<String, String> values, String name) {
        return values.getOrDefault(name, option(name).defaultValue());
    }

    private static long longValue(Map<String, String> values, String name, long min) {
        String text = text(values, name);
        try {
            long value = Long.parseLong(text.trim());
            if (value < min) {
                throw invalid(name, text, "an integer >= " + min);
            }
            return value;
        } catch (NumberFormatException e) {
            throw invalid(name, text, "an integer" + (min > Long.MIN_VALUE ? " >= " + min : ""));
        }
    }

    private static double doubleValue(Map<String, String> values, String name, double min, double max) {
        String text = text(values, name);
        String allowed = min == Double.MIN_VALUE ? "a number > 0 and <= " + max : "a number from " + min + " to " + max;
        try {
            double value = Double.parseDouble(text.trim());
            if (!(value >= min && value <= max)) {
                throw invalid(name, text, allowed);
            }
            return value;
        } catch (NumberFormatException e) {
            throw invalid(name, text, allowed);
        }
    }

    static Duration duration(String text) {
        try {
            Duration duration;
            Matcher m = SHORT_DURATION.matcher(text.trim());
            if (m.matches()) {
                long amount = Long.parseLong(m.group(1));
                duration = switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(amount);
                    case "s" -> Duration.ofSeconds(amount);
                    case "m" -> Duration.ofMinutes(amount);
                    case "h" -> Duration.ofHours(amount);
                    default -> Duration.ofDays(amount);
                };
            } else {
                duration = Duration.parse(text.trim());
            }
            if (duration.isZero() || duration.isNegative()) {
                throw invalid("duration", text, "a positive duration such as 90s, 15m, 2h, 1d or PT1H");
            }
            return duration;
        } catch (DateTimeParseException | ArithmeticException e) {
            throw invalid("duration", text, "a positive duration such as 90s, 15m, 2h, 1d or PT1H");
        }
    }

    private static IllegalArgumentException invalid(String name, String value, String allowed) {
        return new IllegalArgumentException("--" + name + ": '" + value + "' is not valid: expected " + allowed);
    }
}

package io.vigil.evaluate;

import io.vigil.DetectionJob;
import io.vigil.alert.Alert;
import io.vigil.alert.AlertJson;
import io.vigil.alert.ScoreJson;
import io.vigil.config.JobSettings;
import io.vigil.config.StreamSettings;
import io.vigil.deadletter.DeadLetter;
import io.vigil.deadletter.DeadLetterJson;
import io.vigil.ingest.RawEvent;
import io.vigil.ingest.SourceWatermarks;
import io.vigil.model.ModelContract;
import io.vigil.parse.FeatureExtractor;
import io.vigil.threshold.ScoreRecord;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.connector.file.src.reader.TextLineInputFormat;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replays a file of JSON events, one per line, through the job's own topology ({@link
 * DetectionJob#defineWorkflow}: parse, event time, per-key windows, micro-batched scoring, adaptive
 * thresholds) on a local Flink, and writes what the job would have written to Kafka as JSON lines:
 * {@code OUT/scores.jsonl}, {@code OUT/alerts.jsonl} and {@code OUT/dead-letters.jsonl}. What an
 * evaluation measures is therefore what runs in production, down to the threshold parameters.
 *
 * <pre>
 * Replay --events EVENTS.jsonl --model DIR --out DIR [job parameters, e.g. --threshold.k 4]
 * </pre>
 *
 * The file plays the part of one Kafka partition, a line's number its offset; the stream is named
 * {@value #STREAM}. Parallelism is 1 unless {@code --flink.parallelism.default} says otherwise.
 */
public final class Replay {

    public static final String STREAM = "replay";

    /** The three outputs and the files they go to. */
    public enum Output {
        SCORES("scores.jsonl"), ALERTS("alerts.jsonl"), DEAD_LETTERS("dead-letters.jsonl");

        public final String file;

        Output(String file) {
            this.file = file;
        }
    }

    /**
     * One line of one output file.
     *
     * @param events how many input records the line accounts for: a score's events, 1 for a dead letter, 0 for an alert
     * @param key a score's key, else null
     * @param offset a dead letter's offset (its line of the file), else -1
     */
    public record Line(Output output, String json, int events, String key, long offset) {}

    private static final Logger LOG = LoggerFactory.getLogger(Replay.class);

    private Replay() {}

    public static void main(String[] args) throws Exception {
        Path events = null;
        Path model = null;
        Path out = null;
        List<String> jobArgs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--events" -> events = Path.of(required("--events", value));
                case "--model" -> model = Path.of(required("--model", value));
                case "--out" -> out = Path.of(required("--out", value));
                default -> {
                    jobArgs.add(args[i]);
                    continue;
                }
            }
            i++;
        }
        if (events == null || model == null || out == null) {
            System.err.println("usage: Replay --events EVENTS.jsonl --model DIR --out DIR [job parameters]");
            System.exit(2);
        }
        Map<Output, Long> counts;
        try {
            if (!Files.isRegularFile(events)) {
                throw new IllegalArgumentException("--events " + events + ": no such file");
            }
            counts = run(events, model, out, jobArgs);
        } catch (IllegalArgumentException e) {
            // A parameter, model or file to fix, which the message names: a stack trace would only bury it.
            System.err.println("error: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.out.printf("replayed %s through model %s: %d scores, %d alerts, %d dead letters in %s%n",
                events, model, counts.get(Output.SCORES), counts.get(Output.ALERTS), counts.get(Output.DEAD_LETTERS), out);
    }

    /**
     * Runs the replay to the end of the file; returns how many lines each output got.
     *
     * @throws IllegalStateException when the outputs do not account for every line of the file
     */
    public static Map<Output, Long> run(Path events, Path model, Path out, List<String> jobParameters) throws Exception {
        List<String> args = new ArrayList<>(List.of(
                "--streams", STREAM,
                "--stream." + STREAM + ".model", model.toString(),
                "--stream." + STREAM + ".topics", events.getFileName().toString(),
                // Required by the job's parameters; nothing connects to it: input is the file, output the files.
                "--kafka.bootstrap-servers", "unused:9092"));
        if (jobParameters.stream().noneMatch(p -> p.startsWith("--flink.parallelism.default"))) {
            args.addAll(List.of("--flink.parallelism.default", "1"));
        }
        args.addAll(jobParameters);
        JobSettings settings = JobSettings.fromArgs(args.toArray(String[]::new));
        StreamSettings stream = settings.streams().get(0);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(DetectionJob.flinkConfiguration(settings));
        FileSource<String> file = FileSource.forRecordStreamFormat(
                new TextLineInputFormat(StandardCharsets.ISO_8859_1.name()), new org.apache.flink.core.fs.Path(events.toAbsolutePath().toUri())).build();
        DataStream<RawEvent> raw = env.fromSource(file, WatermarkStrategy.noWatermarks(), "replay-file").uid("replay-file")
                .setParallelism(1)
                .map(new Numbered(events.getFileName().toString())).uid("replay-offsets").name("replay-offsets").setParallelism(1)
                .assignTimestampsAndWatermarks(SourceWatermarks.of(stream, settings)).uid("replay-watermarks")
                .name("replay-watermarks").setParallelism(1);

        DetectionJob.Outputs outputs = DetectionJob.defineWorkflow(settings, s -> raw);
        DataStream<Line> lines = outputs.scores().map(new ScoreLines()).uid("replay-scores").name("replay-scores")
                .union(outputs.alerts().map(new AlertLines()).uid("replay-alerts").name("replay-alerts"),
                        outputs.deadLetters().map(new DeadLetterLines()).uid("replay-dead-letters").name("replay-dead-letters"));

        Files.createDirectories(out);
        Map<Output, BufferedWriter> writers = new EnumMap<>(Output.class);
        Map<Output, Long> counts = new EnumMap<>(Output.class);
        Map<String, Long> scoredByKey = new HashMap<>();
        Set<Long> deadLettered = new HashSet<>();
        try (CloseableIterator<Line> results = lines.executeAndCollect("vigil replay of " + events.getFileName())) {
            for (Output output : Output.values()) {
                writers.put(output, Files.newBufferedWriter(out.resolve(output.file), StandardCharsets.UTF_8));
                counts.put(output, 0L);
            }
            while (results.hasNext()) {
                Line line = results.next();
                BufferedWriter writer = writers.get(line.output());
                writer.write(line.json());
                writer.newLine();
                counts.merge(line.output(), 1L, Long::sum);
                if (line.key() != null) {
                    scoredByKey.merge(line.key(), (long) line.events(), Long::sum);
                }
                if (line.offset() >= 0) {
                    deadLettered.add(line.offset());
                }
            }
        } finally {
            for (BufferedWriter writer : writers.values()) {
                writer.close();
            }
        }
        Accounting accounting = account(events, stream, deadLettered, scoredByKey);
        if (accounting.unaccounted() > 0) {
            throw new IllegalStateException("the replay of " + events + " accounts for " + (accounting.records()
                    - accounting.unaccounted()) + " of its " + accounting.records() + " records (scored, dead-lettered, "
                    + "or waiting in a window short of full): results were lost; run it again");
        }
        // Flink's result fetcher may have warned that "some data might be lost" when the local cluster
        // shut down at the end of input; the accounting above is what says whether any was.
        LOG.info("the replay accounts for every one of the {} records of {} ({} of them wait in windows short of full: "
                + "keys with fewer events than the window, or the last events of a key short of a stride)",
                accounting.records(), events, accounting.held());
        return counts;
    }

    /**
     * @param held events that wait in a window short of full when the file ends: never scored, not lost
     * @param unaccounted records neither scored, dead-lettered nor held: lost
     */
    record Accounting(long records, long held, long unaccounted) {}

    /**
     * Accounts for every record of the file: dead-lettered, or accepted by the parser and then, per
     * key, either in a score or waiting in a window that is not full. A key of n accepted events is
     * scored on its first {@code size} and then every {@code stride} more, so its scores account for
     * exactly size + stride·⌊(n − size) / stride⌋ of them (none while n < size); a key whose scores
     * account for any other number lost some.
     */
    static Accounting account(Path events, StreamSettings stream, Set<Long> deadLettered, Map<String, Long> scoredByKey)
            throws IOException {
        ModelContract contract = stream.model().contract();
        FeatureExtractor extractor = new FeatureExtractor(contract, stream.keyPath(), stream.timestampPath());
        Map<String, Long> acceptedByKey = new HashMap<>();
        long records = 0;
        long unaccounted = 0;
        try (BufferedReader lines = Files.newBufferedReader(events, StandardCharsets.ISO_8859_1)) {
            for (String line = lines.readLine(); line != null; line = lines.readLine(), records++) {
                if (deadLettered.contains(records)) {
                    continue;
                }
                if (extractor.extract(line.getBytes(StandardCharsets.ISO_8859_1)) instanceof FeatureExtractor.Accepted accepted) {
                    acceptedByKey.merge(accepted.key(), 1L, Long::sum);
                } else {
                    unaccounted++; // the parser would have dead-lettered it
                }
            }
        }
        int size = contract.window().size();
        int stride = contract.window().stride();
        long held = 0;
        for (Map.Entry<String, Long> key : acceptedByKey.entrySet()) {
            long n = key.getValue();
            long scorable = n < size ? 0 : size + stride * ((n - size) / stride);
            long scored = scoredByKey.getOrDefault(key.getKey(), 0L);
            held += n - scorable;
            unaccounted += Math.abs(scorable - scored);
        }
        for (Map.Entry<String, Long> key : scoredByKey.entrySet()) {
            if (!acceptedByKey.containsKey(key.getKey())) {
                unaccounted += key.getValue();
            }
        }
        return new Accounting(records, held, unaccounted);
    }

    private static String required(String option, String value) {
        if (value == null || value.startsWith("--")) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return value;
    }

    /** A line of the file as the record a Kafka source would give: offset = the line's index. */
    private static final class Numbered implements MapFunction<String, RawEvent> {
        private static final long serialVersionUID = 1L;
        private final String topic;
        private long next;

        Numbered(String topic) {
            this.topic = topic;
        }

        @Override
        public RawEvent map(String line) {
            // Read as ISO-8859-1, one char per byte: the original bytes come back unchanged, invalid UTF-8 included.
            return new RawEvent(topic, 0, next++, 0L, line.getBytes(StandardCharsets.ISO_8859_1));
        }
    }

    private static final class ScoreLines implements MapFunction<ScoreRecord, Line> {
        private static final long serialVersionUID = 1L;
        private transient ScoreJson json;

        @Override
        public Line map(ScoreRecord score) {
            json = json == null ? new ScoreJson() : json;
            return new Line(Output.SCORES, new String(json.toJson(score), StandardCharsets.UTF_8), score.events(), score.key(), -1);
        }
    }

    private static final class AlertLines implements MapFunction<Alert, Line> {
        private static final long serialVersionUID = 1L;
        private transient AlertJson json;

        @Override
        public Line map(Alert alert) {
            json = json == null ? new AlertJson() : json;
            return new Line(Output.ALERTS, new String(json.toJson(alert), StandardCharsets.UTF_8), 0, null, -1);
        }
    }

    private static final class DeadLetterLines implements MapFunction<DeadLetter, Line> {
        private static final long serialVersionUID = 1L;
        private transient DeadLetterJson json;

        @Override
        public Line map(DeadLetter letter) {
            json = json == null ? new DeadLetterJson() : json;
            return new Line(Output.DEAD_LETTERS, new String(json.toJson(letter), StandardCharsets.UTF_8), 1, null,
                    letter.offset());
        }
    }
}

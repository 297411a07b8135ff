package io.vigil.evaluate;

import com.amazon.randomcutforest.config.Precision;
import com.amazon.randomcutforest.config.TransformMethod;
import com.amazon.randomcutforest.parkservices.AnomalyDescriptor;
import com.amazon.randomcutforest.parkservices.ThresholdedRandomCutForest;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.model.ModelContract;
import io.vigil.parse.FeatureExtractor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The peer an evaluation compares the job with: AWS's Random Cut Forest
 * ({@code ThresholdedRandomCutForest}, the detector behind Kinesis Data Analytics and OpenSearch
 * anomaly detection), one forest per key, fed the same events and the columns the model reads from
 * each event as the parser encodes them (its shingle as long as the model's window), with the
 * library's own normalization and thresholding. Not what the window stage adds: relative columns
 * reach it as their raw values, derived columns (time since the previous event, hour of day) as 0. Writes one line per scored event, like the job's scores:
 * {@code {"key", "event_time", "score", "alert"}}.
 *
 * <pre>
 * RcfPeer --events EVENTS.jsonl --model DIR --out rcf-scores.jsonl
 * </pre>
 */
public final class RcfPeer {

    /** Trees per forest: the library's recommended range is 30 to 50. */
    static final int TREES = 30;
    static final int SAMPLE_SIZE = 256;
    static final long SEED = 7;

    private RcfPeer() {}

    private record Scored(String key, long timestamp, long line, float[] columns) {}

    public static void main(String[] args) throws IOException {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            options.put(args[i], args[i + 1]);
        }
        if (!options.keySet().containsAll(List.of("--events", "--model", "--out"))) {
            System.err.println("usage: RcfPeer --events EVENTS.jsonl --model DIR --out FILE.jsonl");
            System.exit(2);
        }
        int written = run(Path.of(options.get("--events")), ModelContract.load(Path.of(options.get("--model"))),
                Path.of(options.get("--out")));
        System.out.printf("Random Cut Forest scored %d events into %s%n", written, options.get("--out"));
    }

    /** Scores every event the model would accept, each key's in time order; returns how many. */
    public static int run(Path events, ModelContract contract, Path out) throws IOException {
        FeatureExtractor extractor = new FeatureExtractor(contract);
        List<Scored> accepted = new ArrayList<>();
        long line = 0;
        for (String payload : Files.readAllLines(events, StandardCharsets.UTF_8)) {
            if (extractor.extract(payload.getBytes(StandardCharsets.UTF_8)) instanceof FeatureExtractor.Accepted a) {
                accepted.add(new Scored(a.key(), a.timestamp(), line, a.columns()));
            }
            line++;
        }
        accepted.sort(Comparator.comparing(Scored::key).thenComparingLong(Scored::timestamp).thenComparingLong(Scored::line));

        int shingle = contract.windowSize();
        int columns = contract.columnCount();
        Map<String, ThresholdedRandomCutForest> forests = new HashMap<>();
        ObjectMapper mapper = new ObjectMapper();
        try (OutputStream file = Files.newOutputStream(out); JsonGenerator json = mapper.createGenerator(file)) {
            for (Scored event : accepted) {
                ThresholdedRandomCutForest forest = forests.computeIfAbsent(event.key(), k -> ThresholdedRandomCutForest.builder()
                        .dimensions(shingle * columns).shingleSize(shingle).internalShinglingEnabled(true)
                        .numberOfTrees(TREES).sampleSize(SAMPLE_SIZE).precision(Precision.FLOAT_32)
                        .transformMethod(TransformMethod.NORMALIZE).randomSeed(SEED).build());
                double[] point = new double[columns];
                for (int c = 0; c < columns; c++) {
                    // A derived column is filled by the window stage, which RCF does not run: 0 throughout.
                    point[c] = Float.isNaN(event.columns()[c]) ? 0.0 : event.columns()[c];
                }
                AnomalyDescriptor result = forest.process(point, event.timestamp());
                json.writeStartObject();
                json.writeStringField("key", event.key());
                json.writeStringField("event_time", Instant.ofEpochMilli(event.timestamp()).toString());
                json.writeNumberField("score", result.getRCFScore());
                json.writeBooleanField("alert", result.getAnomalyGrade() > 0);
                json.writeEndObject();
                json.writeRaw('\n');
            }
        }
        return accepted.size();
    }
}

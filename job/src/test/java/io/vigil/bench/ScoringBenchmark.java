package io.vigil.bench;

import io.vigil.generator.GeneratedEvent;
import io.vigil.generator.Generator;
import io.vigil.generator.GeneratorConfig;
import io.vigil.model.LoadedModel;
import io.vigil.parse.FeatureExtractor;
import io.vigil.score.OnnxDevice;
import io.vigil.score.OnnxScorer;
import io.vigil.score.OnnxSession;
import io.vigil.window.ScoringRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * {@code make bench}: what micro-batching buys. Scores the same sensor windows with the job's own
 * scorer at batch sizes 1 to 1024, interleaving the sizes round by round so that machine noise hits
 * all of them alike, and reports each size's throughput as a ratio to batch 1 (medians of the
 * rounds). Also the parser's events per second, for scale. Not a test: nothing is asserted.
 */
public final class ScoringBenchmark {

    private static final int[] BATCHES = {1, 64, 256, 1024};
    private static final int ROUNDS = 7;
    private static final int WINDOWS_PER_ROUND = 65_536;

    public static void main(String[] args) throws Exception {
        LoadedModel model = LoadedModel.load(Path.of(args.length > 0 ? args[0] : "models/sensor"));
        int w = model.contract().windowSize();
        int c = model.contract().columnCount();
        Random random = new Random(1);
        List<ScoringRequest> windows = new ArrayList<>();
        for (int i = 0; i < 4096; i++) {
            float[] values = new float[w * c];
            for (int v = 0; v < values.length; v++) {
                values[v] = (float) random.nextGaussian();
            }
            windows.add(new ScoringRequest("key-" + i, i, 0, values, new float[c], 1));
        }
        System.out.printf(Locale.ROOT, "model %s %s: window %d x %d columns, ONNX Runtime on CPU, 1 intra-op thread%n",
                model.contract().name(), model.contract().version(), w, c);
        double[][] rates = new double[BATCHES.length][ROUNDS];
        try (OnnxSession session = OnnxSession.open(model, OnnxDevice.CPU, 1)) {
            for (int round = -1; round < ROUNDS; round++) { // round -1 warms up
                for (int b = 0; b < BATCHES.length; b++) {
                    double rate = windowsPerSecond(session, windows, BATCHES[b], round < 0 ? 4096 : WINDOWS_PER_ROUND);
                    if (round >= 0) {
                        rates[b][round] = rate;
                    }
                }
            }
        }
        double base = median(rates[0]);
        System.out.println("batch rows | windows/s (median of " + ROUNDS + " rounds) | vs batch 1");
        for (int b = 0; b < BATCHES.length; b++) {
            System.out.printf(Locale.ROOT, "%10d | %,28.0f | %6.1fx%n", BATCHES[b], median(rates[b]), median(rates[b]) / base);
        }
        parseRate();
    }

    private static double windowsPerSecond(OnnxSession session, List<ScoringRequest> windows, int batch, int total)
            throws Exception {
        OnnxScorer scorer = new OnnxScorer(session, batch);
        long start = System.nanoTime();
        for (int done = 0; done < total; done += batch) {
            int from = done % windows.size();
            scorer.score(windows.subList(from, Math.min(from + batch, windows.size())));
        }
        return total / ((System.nanoTime() - start) / 1e9);
    }

    private static void parseRate() {
        LoadedModel model = LoadedModel.load(Path.of("models/sensor"));
        FeatureExtractor extractor = new FeatureExtractor(model.contract());
        List<GeneratedEvent> events = Generator.generate(GeneratorConfig.defaults()
                .withStreams(GeneratorConfig.Streams.SENSORS).withEventsPerStream(100_000)).events();
        double[] rates = new double[ROUNDS];
        for (int round = -1; round < ROUNDS; round++) {
            long start = System.nanoTime();
            for (GeneratedEvent event : events) {
                extractor.extract(event.payload());
            }
            if (round >= 0) {
                rates[round] = events.size() / ((System.nanoTime() - start) / 1e9);
            }
        }
        System.out.printf(Locale.ROOT, "parse + validate + encode: %,.0f sensor events/s (one thread, median)%n", median(rates));
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}

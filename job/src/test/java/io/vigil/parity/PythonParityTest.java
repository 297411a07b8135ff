package io.vigil.parity;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.model.LoadedModel;
import io.vigil.parse.FeatureExtractor;
import io.vigil.score.OnnxDevice;
import io.vigil.score.OnnxScorer;
import io.vigil.score.OnnxSession;
import io.vigil.score.ScoredWindow;
import io.vigil.window.ScoringRequest;
import io.vigil.window.WindowBuilder;
import io.vigil.window.WindowState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The job's own parsing, windowing and ONNX Runtime scoring reproduce, within 1e-5, what the
 * Python training code computes with Python onnxruntime on the same events (vectors written by
 * {@code python -m vigil_models.parity}, see models/README.md): the same records are rejected with
 * the same reasons, the same windows come out, and the scores and per-column errors agree.
 *
 * <p>Every vectors file {@code parity/NAME.json} is checked against the model in
 * {@code parity/NAME/} when the test resources hold one (small models trained for the test, e.g.
 * from a labelled CSV by models/reproduce_csv.sh), else against the committed {@code models/NAME}.
 */
class PythonParityTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path VECTORS = Path.of("src/test/resources/parity");

    /** The names of all vectors files, so that one added with its model is tested without code changes. */
    static Stream<String> models() throws IOException {
        try (Stream<Path> files = Files.list(VECTORS)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(name -> name.endsWith(".json"))
                    .map(name -> name.substring(0, name.length() - ".json".length()))
                    .sorted()
                    .toList()
                    .stream();
        }
    }

    private static Path modelDirectory(String model) {
        Path local = VECTORS.resolve(model);
        return Files.isRegularFile(local.resolve("model.json")) ? local : Path.of("../models/" + model);
    }

    @Test
    void vectorsOfTheCommittedModelsAndOfACsvTrainedLstmAreAllFound() throws IOException {
        // Guards the discovery: a vectors file that went missing would otherwise just run one test less.
        assertThat(models().toList()).contains("sensor", "transaction", "machines-lstm");
        assertThat(LoadedModel.load(modelDirectory("machines-lstm")).contract().kind()).isEqualTo("lstm");
    }

    /** The tolerance, absolute up to 1 and relative beyond: float32 keeps about 7 digits, and a far-out value's score is large. */
    private static org.assertj.core.data.Offset<Double> within(double tolerance, double expected) {
        return org.assertj.core.data.Offset.offset(tolerance * Math.max(1.0, Math.abs(expected)));
    }

    private record Accepted(int index, String key, long timestamp, float[] columns) {}

    @ParameterizedTest
    @MethodSource("models")
    void javaScoresEqualPythonScores(String model) throws Exception {
        JsonNode vectors = JSON.readTree(VECTORS.resolve(model + ".json").toFile());
        LoadedModel loaded = LoadedModel.load(modelDirectory(model));
        assertThat(vectors.path("model").path("sha256").asText()).isEqualTo(loaded.contract().onnx().sha256());
        double tolerance = vectors.path("tolerance").asDouble();

        // Parse: the same records are dead-lettered, for the same reasons.
        FeatureExtractor extractor = new FeatureExtractor(loaded.contract());
        Map<Integer, String> rejected = new HashMap<>();
        Map<String, List<Accepted>> byKey = new LinkedHashMap<>();
        JsonNode events = vectors.path("events");
        for (int i = 0; i < events.size(); i++) {
            FeatureExtractor.Result result = extractor.extract(events.get(i).asText().getBytes(StandardCharsets.UTF_8));
            if (result instanceof FeatureExtractor.Rejected r) {
                rejected.put(i, r.reason().code());
            } else if (result instanceof FeatureExtractor.Accepted a) {
                byKey.computeIfAbsent(a.key(), k -> new ArrayList<>()).add(new Accepted(i, a.key(), a.timestamp(), a.columns()));
            }
        }
        Map<Integer, String> expectedRejected = new HashMap<>();
        vectors.path("dead_letters").forEach(d -> expectedRejected.put(d.path("event").asInt(), d.path("reason").asText()));
        assertThat(rejected).isEqualTo(expectedRejected);

        // Window: per key in event-time order (ties in arrival order), as the job's reorder buffer releases them.
        WindowBuilder builder = new WindowBuilder(loaded.contract());
        List<ScoringRequest> requests = new ArrayList<>();
        for (List<Accepted> keyEvents : byKey.values()) {
            keyEvents.sort(Comparator.comparingLong(Accepted::timestamp).thenComparingInt(Accepted::index));
            WindowState state = builder.newState();
            for (Accepted e : keyEvents) {
                ScoringRequest request = builder.append(state, e.key(), e.timestamp(), 0, e.columns());
                if (request != null) {
                    requests.add(request);
                }
            }
        }
        JsonNode windows = vectors.path("windows");
        assertThat(requests).hasSize(windows.size());

        // Score: one ONNX Runtime run over all windows, as one micro-batch.
        ScoredWindow[] scored;
        try (OnnxSession session = OnnxSession.open(loaded, OnnxDevice.CPU, 1)) {
            scored = new OnnxScorer(session, requests.size()).score(requests);
        }
        for (int w = 0; w < windows.size(); w++) {
            JsonNode expected = windows.get(w);
            ScoringRequest request = requests.get(w);
            assertThat(request.key()).isEqualTo(expected.path("key").asText());
            assertThat(request.timestamp()).isEqualTo(expected.path("timestamp").asLong());
            JsonNode window = expected.path("window");
            for (int v = 0; v < window.size(); v++) {
                assertThat((double) request.window()[v]).as("window %d value %d", w, v).isCloseTo(window.get(v).asDouble(),
                        within(tolerance, window.get(v).asDouble()));
            }
            assertThat(scored[w].score()).as("score of window %d", w)
                    .isCloseTo(expected.path("score").asDouble(), within(tolerance, expected.path("score").asDouble()));
            JsonNode columnErrors = expected.path("column_errors");
            for (int c = 0; c < columnErrors.size(); c++) {
                assertThat((double) scored[w].columnErrors()[c]).as("window %d column %d error", w, c)
                        .isCloseTo(columnErrors.get(c).asDouble(), within(tolerance, columnErrors.get(c).asDouble()));
            }
        }
    }
}

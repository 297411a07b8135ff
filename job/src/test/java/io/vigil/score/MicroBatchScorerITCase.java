package io.vigil.score;

import static io.vigil.score.TestModels.ramp;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vigil.model.LoadedModel;
import io.vigil.window.ScoringRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The operator in a real job on a local cluster: serialized, deployed to 2 slots, chained, and finished. */
class MicroBatchScorerITCase {

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    @Test
    void scoresEveryRequestOnceAsTheScorerAloneWould() throws Exception {
        LoadedModel model = TestModels.dense();
        List<ScoringRequest> requests = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            requests.add(ramp("key-" + i, i, i / 10f - 2.5f));
        }

        Configuration config = new Configuration();
        config.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.setParallelism(2);
        List<ScoredWindow> results = new ArrayList<>();
        try (CloseableIterator<ScoredWindow> scored = MicroBatchScorer
                .apply(env.fromData(requests).rebalance(), model, 8, 50, OnnxDevice.CPU, 1, "score-windows")
                .executeAndCollect()) {
            scored.forEachRemaining(results::add);
        }

        Map<String, ScoredWindow> byKey = results.stream().collect(Collectors.toMap(ScoredWindow::key, Function.identity()));
        assertEquals(requests.size(), results.size());
        assertEquals(requests.size(), byKey.size());
        try (OnnxSession session = OnnxSession.open(model, OnnxDevice.CPU, 1)) {
            ScoredWindow[] expected = new OnnxScorer(session, requests.size()).score(requests);
            for (ScoredWindow window : expected) {
                assertEquals(window.score(), byKey.get(window.key()).score(), 1e-6 * window.score(), window.key());
            }
        }
    }
}

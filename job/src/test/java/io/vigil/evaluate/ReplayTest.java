package io.vigil.evaluate;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replay accounts for every line of its file: scored, dead-lettered, or waiting in a window that
 * never filled, which is no loss (a key with fewer events than the window, the last events short of
 * a stride). A real local Flink, the window-4 test model.
 */
class ReplayTest {

    private static final Path MODEL = Path.of("src/test/resources/score/dense-w4c3");

    private static String event(String key, int second) {
        return "{\"id\":\"" + key + "\",\"ts\":" + (1_700_000_000_000L + second * 1000L) + ",\"a\":" + (second % 3)
                + ",\"b\":0.5,\"c\":1}";
    }

    @Test
    void aKeyShorterThanTheWindowIsHeldNotLost(@TempDir Path dir) throws Exception {
        List<String> lines = new ArrayList<>();
        for (int second = 0; second < 6; second++) {
            lines.add(event("long", second));
        }
        lines.add(event("short", 2));
        lines.add(event("short", 3));
        lines.add("not json");
        Path events = Files.write(dir.resolve("events.jsonl"), lines);

        Map<Replay.Output, Long> counts = Replay.run(events, MODEL, dir.resolve("out"), List.of());

        // "long": 6 events, windows of 4 end at its 4th, 5th and 6th; "short" never fills one.
        assertThat(counts.get(Replay.Output.SCORES)).isEqualTo(3);
        assertThat(counts.get(Replay.Output.DEAD_LETTERS)).isEqualTo(1);
        assertThat(Files.readAllLines(dir.resolve("out").resolve("scores.jsonl")))
                .allMatch(score -> score.contains("\"key\":\"long\""));
    }

    @Test
    void theAccountingCountsWhatIsHeldAndCatchesAScoreThatIsMissing(@TempDir Path dir) throws Exception {
        List<String> lines = new ArrayList<>();
        for (int second = 0; second < 6; second++) {
            lines.add(event("long", second));
        }
        lines.add(event("short", 2));
        Path events = Files.write(dir.resolve("events.jsonl"), lines);
        var stream = io.vigil.config.JobSettings.fromArgs(new String[] {"--streams", "r", "--stream.r.model", MODEL.toString(),
            "--stream.r.topics", "t", "--kafka.bootstrap-servers", "unused:9092"}).streams().get(0);

        Replay.Accounting all = Replay.account(events, stream, java.util.Set.of(), Map.of("long", 6L));
        assertThat(all).isEqualTo(new Replay.Accounting(7, 1, 0));
        Replay.Accounting missing = Replay.account(events, stream, java.util.Set.of(), Map.of("long", 5L));
        assertThat(missing.unaccounted()).isEqualTo(1);
        Replay.Accounting deadLetterLost = Replay.account(events, stream, java.util.Set.of(6L), Map.of("long", 6L));
        assertThat(deadLetterLost.held()).isZero();
    }
}

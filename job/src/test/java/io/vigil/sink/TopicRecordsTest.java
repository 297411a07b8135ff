package io.vigil.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.alert.AlertJson;
import io.vigil.alert.ScoreJson;
import io.vigil.deadletter.DeadLetterJson;
import java.util.List;
import org.junit.jupiter.api.Test;

class TopicRecordsTest {

    /** The exactly-once sink looks on these topics for transactions a previous run left open, and cannot start without them. */
    @Test
    void everyOutputNamesItsTopicToTheSink() {
        assertThat(topics(AlertJson.kafkaSchema("alerts-a"))).containsExactly("alerts-a");
        assertThat(topics(DeadLetterJson.kafkaSchema("dead-letters-b"))).containsExactly("dead-letters-b");
        assertThat(topics(ScoreJson.kafkaSchema("scores-c"))).containsExactly("scores-c");
    }

    private static List<String> topics(TopicRecords<?> records) {
        return records.getKafkaDatasetFacet().orElseThrow().getTopicIdentifier().getTopics();
    }
}

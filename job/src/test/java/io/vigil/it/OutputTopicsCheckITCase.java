package io.vigil.it;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.config.JobSettings;
import io.vigil.ingest.KafkaAccessCheck;
import io.vigil.testing.KafkaTestBroker;
import io.vigil.testing.PipelineRun;
import org.junit.jupiter.api.Test;

/**
 * An exactly-once sink whose topic is missing fails at its start and restarts for good; the check
 * before submission names the missing topics instead. At-least-once output needs no such check.
 */
class OutputTopicsCheckITCase {

    @Test
    void exactlyOnceOutputNeedsItsTopicsAndTheCheckNamesTheMissingOnes() throws Exception {
        try (KafkaTestBroker kafka = KafkaTestBroker.start()) {
            kafka.createTopic("alerts", 1);
            JobSettings exactlyOnce = PipelineRun.settings(PipelineRun.args(kafka, "--scores.topic", "scores"));

            assertThatThrownBy(() -> KafkaAccessCheck.verify(exactlyOnce))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("Kafka at " + kafka.bootstrapServers() + " has no topic dead-letters, scores that ")
                    .hasMessageContaining("the exactly-once output needs its topics to exist before the job starts");
            assertThatCode(() -> KafkaAccessCheck.verify(PipelineRun.settings(PipelineRun.args(kafka,
                    "--scores.topic", "scores", "--alerts.delivery", "at-least-once")))).doesNotThrowAnyException();

            kafka.createTopic("dead-letters", 1);
            kafka.createTopic("scores", 1);
            assertThatCode(() -> KafkaAccessCheck.verify(exactlyOnce)).doesNotThrowAnyException();
        }
    }
}

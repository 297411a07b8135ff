package io.vigil.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The check's failures that need no broker; those that need one are in KafkaSaslITCase. */
class KafkaAccessCheckTest {

    @TempDir Path dir;

    @Test
    void aMissingSecretsFileStopsTheStartAtOnceNamingTheFile() {
        Properties client = new Properties();
        client.setProperty("config.providers", "file");
        client.setProperty("config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider");
        client.setProperty("security.protocol", "SASL_PLAINTEXT");
        client.setProperty("sasl.mechanism", "PLAIN");
        Path missing = dir.resolve("absent.properties");
        client.setProperty("sasl.jaas.config", "${file:" + missing + ":sasl.jaas.config}");
        long start = System.nanoTime();
        assertThatThrownBy(() -> KafkaAccessCheck.verify("127.0.0.1:1", client, Duration.ofSeconds(30)))
                .hasMessageStartingWith("unusable Kafka client settings for 127.0.0.1:1: ")
                .hasMessageContaining(missing.toString());
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void anUnreachableBrokerIsReportedAsNoAnswerWithinTheTimeout() {
        assertThatThrownBy(() -> KafkaAccessCheck.verify("127.0.0.1:1", new Properties(), Duration.ofSeconds(2)))
                .hasMessageStartingWith("no answer from Kafka at 127.0.0.1:1 within 2 s as a client without SASL credentials "
                        + "(security.protocol=PLAINTEXT)");
    }
}

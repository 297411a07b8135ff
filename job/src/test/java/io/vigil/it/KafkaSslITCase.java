package io.vigil.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.ingest.KafkaAccessCheck;
import io.vigil.testing.KafkaTestBroker;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The start-up check against a broker whose client listener takes SSL only: the documented
 * truststore settings, with the store's password behind a config provider reference, get in; a
 * client that does not trust the broker's certificate is stopped with the handshake failure named.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KafkaSslITCase {

    private static final String STORE_PASSWORD = "store-" + UUID.randomUUID();

    @TempDir
    static Path dir;
    private KafkaTestBroker kafka;
    private Path truststore;

    @BeforeAll
    void startSslBroker() throws Exception {
        // A self-signed broker certificate for localhost, made with the JDK's keytool.
        Path keystore = dir.resolve("broker.p12");
        Path certificate = dir.resolve("broker.pem");
        truststore = dir.resolve("trust.p12");
        keytool("-genkeypair", "-alias", "broker", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=localhost",
                "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", keystore.toString(), "-storepass", STORE_PASSWORD, "-keypass", STORE_PASSWORD);
        keytool("-exportcert", "-rfc", "-alias", "broker", "-keystore", keystore.toString(), "-storepass", STORE_PASSWORD,
                "-file", certificate.toString());
        keytool("-importcert", "-noprompt", "-alias", "broker", "-file", certificate.toString(), "-storetype", "PKCS12",
                "-keystore", truststore.toString(), "-storepass", STORE_PASSWORD);
        kafka = KafkaTestBroker.embeddedSsl(keystore, STORE_PASSWORD, truststore, STORE_PASSWORD);
    }

    @AfterAll
    void stopBroker() throws Exception {
        kafka.close();
    }

    @Test
    void aClientTrustingTheBrokerWithTheStorePasswordFromASecretsFileGetsIn() throws Exception {
        Path secrets = dir.resolve("kafka.secrets");
        Properties secret = new Properties();
        secret.setProperty("ssl.truststore.password", STORE_PASSWORD);
        try (OutputStream out = Files.newOutputStream(secrets)) {
            secret.store(out, null);
        }
        Properties client = new Properties();
        client.setProperty("config.providers", "file");
        client.setProperty("config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider");
        client.setProperty("security.protocol", "SSL");
        client.setProperty("ssl.truststore.location", truststore.toString());
        client.setProperty("ssl.truststore.type", "PKCS12");
        client.setProperty("ssl.truststore.password", "${file:" + secrets + ":ssl.truststore.password}");
        assertThatCode(() -> KafkaAccessCheck.verify(kafka.bootstrapServers(), client, Duration.ofSeconds(20)))
                .doesNotThrowAnyException();
    }

    @Test
    void aClientThatDoesNotTrustTheBrokerIsStoppedNamingTheHandshakeFailure() {
        Properties client = new Properties();
        client.setProperty("security.protocol", "SSL");
        long start = System.nanoTime();
        assertThatThrownBy(() -> KafkaAccessCheck.verify(kafka.bootstrapServers(), client, Duration.ofSeconds(20)))
                .hasMessageStartingWith("cannot authenticate to Kafka at " + kafka.bootstrapServers()
                        + " as a client without SASL credentials (security.protocol=SSL): ")
                .hasMessageContaining("SSL handshake failed");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    private static void keytool(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("keytool " + String.join(" ", args) + ": " + output).isZero();
    }
}

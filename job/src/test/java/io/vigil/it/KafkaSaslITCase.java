package io.vigil.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.DetectionJob;
import io.vigil.generator.GeneratedEvent;
import io.vigil.generator.Generator;
import io.vigil.generator.GeneratorConfig;
import io.vigil.ingest.KafkaAccessCheck;
import io.vigil.testing.CapturedLogs;
import io.vigil.testing.KafkaTestBroker;
import io.vigil.testing.PipelineRun;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.flink.client.program.rest.RestClusterClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.InjectClusterClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job against a broker whose only client listener is SASL_PLAINTEXT (PLAIN and SCRAM-SHA-256).
 * Credentials reach the job the recommended way: the client properties file holds a config
 * provider reference, and the secret itself sits in a separate secrets file that each Kafka client
 * reads when it starts. With them the job runs end to end and the secret shows in no log and no job
 * configuration of the REST API (the Web UI's source); with a wrong password or none the start
 * stops with a message that says so.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KafkaSaslITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    /** Random, so finding it anywhere can only mean it leaked. */
    private static final String PLAIN_PASSWORD = "plain-" + UUID.randomUUID();
    private static final String SCRAM_PASSWORD = "scram-" + UUID.randomUUID();
    private static final String FLINK_SECRET = "flink-" + UUID.randomUUID();

    @TempDir
    Path dir;
    private KafkaTestBroker kafka;

    @BeforeAll
    void startSaslBrokerWithEvents() throws Exception {
        kafka = KafkaTestBroker.embeddedSasl("admin", "admin-" + UUID.randomUUID(), Map.of("vigil", PLAIN_PASSWORD));
        kafka.addScramUser("vigil-scram", SCRAM_PASSWORD);
        kafka.createTopic("sensors", 1);
        List<GeneratedEvent> sensors = Generator.generate(GeneratorConfig.defaults()
                        .withSensorKeys(4).withTransactionKeys(10).withEventsPerStream(3_000)
                        .withAnomalyRate(0.01).withMalformedRate(0.02).withSeed(5))
                .events().stream().filter(e -> e.stream().equals("sensors")).toList();
        PipelineRun.produce(kafka, sensors, Map.of("sensors", "sensors"));
    }

    @AfterAll
    void stopBroker() throws Exception {
        kafka.close();
    }

    @Test
    void withPlainCredentialsFromASecretsFileTheJobWritesAlertsAndNoLogOrJobConfigurationShowsTheSecret(
            @InjectClusterClient RestClusterClient<?> flink) throws Exception {
        for (String topic : List.of("alerts-plain", "dead-letters-plain")) {
            kafka.createTopic(topic, 1);
        }
        Path properties = clientProperties("plain", "PLAIN", KafkaTestBroker.plainJaas("vigil", PLAIN_PASSWORD));
        List<String> lines;
        try (CapturedLogs logs = new CapturedLogs()) {
            DetectionJob.main(args(properties, "plain",
                    // A Flink setting whose name marks it secret: it must not be shown either.
                    "--flink.s3.secret-key", FLINK_SECRET).toArray(String[]::new));
            lines = logs.lines();
        }

        List<JsonNode> alerts = PipelineRun.readJson(kafka, "alerts-plain");
        assertThat(alerts).as("alerts written through the SASL listener").isNotEmpty();
        assertThat(PipelineRun.readJson(kafka, "dead-letters-plain")).as("malformed input dead-lettered").isNotEmpty();

        assertThat(lines).as("the start-up check ran").anyMatch(l -> l.contains("accepts user 'vigil' (SASL PLAIN"));
        assertThat(lines).as("the Kafka clients logged their settings, the JAAS text hidden")
                .anyMatch(l -> l.contains("sasl.jaas.config = [hidden]"));
        assertThat(lines).as("no log line holds the password").noneMatch(l -> l.contains(PLAIN_PASSWORD));

        List<String> configs = jobConfigurations(flink.getWebInterfaceURL());
        assertThat(configs).as("the job's configurations, as the Web UI shows them").isNotEmpty()
                .noneMatch(c -> c.contains(PLAIN_PASSWORD) || c.contains("PlainLoginModule") || c.contains(FLINK_SECRET));
        assertThat(configs).as("the job's own configuration was among them").anyMatch(c -> c.contains("\"name\":\"vigil sensors\""));
    }

    @Test
    void withScramCredentialsFromASecretsFileTheJobWritesAlertsAndAWrongScramPasswordIsRefused() throws Exception {
        for (String topic : List.of("alerts-scram", "dead-letters-scram")) {
            kafka.createTopic(topic, 1);
        }
        Path good = clientProperties("scram", "SCRAM-SHA-256", KafkaTestBroker.scramJaas("vigil-scram", SCRAM_PASSWORD));
        DetectionJob.main(args(good, "scram").toArray(String[]::new));
        assertThat(PipelineRun.readJson(kafka, "alerts-scram")).as("alerts written as the SCRAM user").isNotEmpty();

        Path bad = clientProperties("scram-bad", "SCRAM-SHA-256", KafkaTestBroker.scramJaas("vigil-scram", "not-" + SCRAM_PASSWORD));
        assertThatThrownBy(() -> KafkaAccessCheck.verify(kafka.bootstrapServers(), load(bad), Duration.ofSeconds(20)))
                .hasMessageStartingWith("cannot authenticate to Kafka at " + kafka.bootstrapServers()
                        + " as user 'vigil-scram' (SASL SCRAM-SHA-256")
                .hasMessageContaining("Authentication failed");
    }

    @Test
    void aWrongPasswordStopsTheStartWithinSecondsNamingTheBrokerTheUserAndTheCause() throws Exception {
        Path properties = clientProperties("wrong", "PLAIN", KafkaTestBroker.plainJaas("vigil", "not-" + PLAIN_PASSWORD));
        long start = System.nanoTime();
        assertThatThrownBy(() -> DetectionJob.main(args(properties, "wrong").toArray(String[]::new)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("cannot authenticate to Kafka at " + kafka.bootstrapServers()
                        + " as user 'vigil' (SASL PLAIN, security.protocol=SASL_PLAINTEXT): ")
                .hasMessageContaining("Invalid username or password")
                .message().doesNotContain(PLAIN_PASSWORD);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void missingCredentialsStopTheStartAfterTheCheckTimeoutSayingTheBrokerDidNotAnswer() {
        List<String> args = new ArrayList<>(baseArgs("none"));
        args.addAll(List.of("--kafka.check-timeout", "3 s"));
        long start = System.nanoTime();
        assertThatThrownBy(() -> DetectionJob.main(args.toArray(String[]::new)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("no answer from Kafka at " + kafka.bootstrapServers()
                        + " within 3 s as a client without SASL credentials (security.protocol=PLAINTEXT)")
                .hasMessageContaining("security.protocol and the credentials");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
    }

    /**
     * The two files a deployment would mount: {@code NAME.secrets} holds the JAAS text, and the
     * client properties refer to it through Kafka's FileConfigProvider.
     */
    private Path clientProperties(String name, String mechanism, String jaas) throws IOException {
        Path secrets = dir.resolve(name + ".secrets");
        Properties secret = new Properties();
        secret.setProperty("sasl.jaas.config", jaas);
        store(secret, secrets);
        Properties client = new Properties();
        client.setProperty("config.providers", "file");
        client.setProperty("config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider");
        client.setProperty("security.protocol", "SASL_PLAINTEXT");
        client.setProperty("sasl.mechanism", mechanism);
        client.setProperty("sasl.jaas.config", "${file:" + secrets + ":sasl.jaas.config}");
        Path file = dir.resolve(name + ".properties");
        store(client, file);
        return file;
    }

    private static void store(Properties properties, Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            properties.store(out, null);
        }
    }

    private static Properties load(Path file) throws IOException {
        Properties properties = new Properties();
        try (var in = Files.newInputStream(file)) {
            properties.load(in);
        }
        return properties;
    }

    private List<String> args(Path properties, String name, String... more) {
        List<String> args = new ArrayList<>(baseArgs(name));
        args.addAll(List.of("--kafka.properties-file", properties.toString()));
        args.addAll(List.of(more));
        return args;
    }

    private List<String> baseArgs(String name) {
        return List.of(
                "--streams", "sensors",
                "--stream.sensors.model", PipelineRun.SENSOR_MODEL.toString(),
                "--stream.sensors.topics", "sensors",
                "--kafka.bootstrap-servers", kafka.bootstrapServers(),
                "--kafka.bounded", "true",
                "--kafka.starting-offsets", "earliest",
                "--kafka.group-id", "vigil-" + name,
                "--alerts.topic", "alerts-" + name,
                "--dead-letter.topic", "dead-letters-" + name,
                "--alerts.transactional-id-prefix", "vigil-" + name,
                "--checkpoint.interval", "1 s",
                "--flink.restart-strategy.type", "none");
    }

    /** Every configuration the REST API (and so the Web UI) shows: the cluster's and each job's. */
    private static List<String> jobConfigurations(String restUrl) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        ObjectMapper json = new ObjectMapper();
        List<String> configs = new ArrayList<>(List.of(get(http, restUrl + "/jobmanager/config")));
        for (JsonNode job : json.readTree(get(http, restUrl + "/jobs/overview")).path("jobs")) {
            String id = job.path("jid").asText();
            configs.add(get(http, restUrl + "/jobs/" + id + "/config"));
            configs.add(get(http, restUrl + "/jobs/" + id + "/jobmanager/config"));
        }
        return configs;
    }

    private static String get(HttpClient http, String url) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(url).isEqualTo(200);
        return response.body();
    }
}

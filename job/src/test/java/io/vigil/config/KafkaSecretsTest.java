package io.vigil.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import io.vigil.model.LoadedModel;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaSecretsTest {

    private static final String JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule required "
            + "username=\"vigil\" password=\"hunter2-secret\";";

    @TempDir Path dir;
    private Path model;

    @BeforeEach
    void writeModel() throws Exception {
        model = dir.resolve("model");
        Files.createDirectories(model);
        byte[] onnx = "not really onnx; only its hash is checked here".getBytes(StandardCharsets.UTF_8);
        Files.write(model.resolve("model.onnx"), onnx);
        Files.writeString(model.resolve("model.json"), JobSettingsTest.contractJson(LoadedModel.sha256(onnx)));
    }

    private JobSettings parse(String... more) {
        List<String> args = new ArrayList<>(List.of(
                "--streams", "sensors",
                "--stream.sensors.model", model.toString(),
                "--stream.sensors.topics", "in",
                "--kafka.bootstrap-servers", "localhost:9092"));
        args.addAll(List.of(more));
        return JobSettings.fromArgs(args.toArray(String[]::new));
    }

    private Path file(String name, String content) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, content);
        return file;
    }

    @Test
    void secretsOnTheCommandLineAreRefusedWithoutRepeatingThem() {
        assertThatThrownBy(() -> parse("--kafka.property.sasl.jaas.config", JAAS))
                .hasMessageStartingWith("--kafka.property.sasl.jaas.config puts a secret on the command line")
                .hasMessageContaining("--kafka.properties-file")
                .hasMessageContaining("${file:")
                .message().doesNotContain("hunter2");
        assertThatThrownBy(() -> parse("--kafka.property.ssl.keystore.password", "hunter2-secret"))
                .hasMessageStartingWith("--kafka.property.ssl.keystore.password puts a secret on the command line")
                .message().doesNotContain("hunter2");
    }

    @Test
    void anUnquotedSecretWithSpacesIsNotRepeatedInTheParseError() {
        assertThatThrownBy(() -> parse("--kafka.property.ssl.key.password", "hunter2", "secret"))
                .hasMessageContaining("a stray word after --kafka.property.ssl.key.password")
                .message().doesNotContain("hunter2").doesNotContain("'secret'");
    }

    @Test
    void referencesOnTheCommandLineAreAcceptedAndKeptForTheClientsToResolve() throws Exception {
        Path client = file("client.properties", """
                config.providers=file
                config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider
                security.protocol=SASL_PLAINTEXT
                """);
        JobSettings settings = parse("--kafka.properties-file", client.toString(),
                "--kafka.property.sasl.jaas.config", "${file:/run/secrets/kafka.properties:sasl.jaas.config}");
        assertThat(settings.kafkaProperties().getProperty("sasl.jaas.config"))
                .isEqualTo("${file:/run/secrets/kafka.properties:sasl.jaas.config}");
    }

    @Test
    void aReferenceToAnUndeclaredConfigProviderIsRejectedNamingTheFix() throws Exception {
        Path client = file("client.properties", "sasl.jaas.config=${file:/run/secrets/kafka.properties:sasl.jaas.config}\n");
        assertThatThrownBy(() -> parse("--kafka.properties-file", client.toString()))
                .hasMessageContaining("sasl.jaas.config refers to config provider 'file', which config.providers does not declare")
                .hasMessageContaining("config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider");
    }

    @Test
    void printedSettingsMaskSecretsButShowOtherSettingsAndReferences() throws Exception {
        Path client = file("client.properties", """
                config.providers=env
                config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider
                security.protocol=SASL_SSL
                sasl.mechanism=PLAIN
                sasl.jaas.config=%s
                ssl.truststore.location=/etc/kafka/truststore.p12
                ssl.truststore.password=hunter2-truststore
                ssl.key.password=${env:VIGIL_SSL_KEY_PASSWORD}
                """.formatted(JAAS.replace("\"", "\\\"")));
        String printed = parse("--kafka.properties-file", client.toString()).toString();
        assertThat(printed).doesNotContain("hunter2")
                .contains("sasl.jaas.config=" + KafkaSecrets.MASK)
                .contains("ssl.truststore.password=" + KafkaSecrets.MASK)
                .contains("ssl.key.password=${env:VIGIL_SSL_KEY_PASSWORD}")
                .contains("security.protocol=SASL_SSL")
                .contains("ssl.truststore.location=/etc/kafka/truststore.p12")
                .contains("bootstrapServers=localhost:9092");
    }

    @Test
    void sensitiveKeysAreSecretsNotTheirLocationsOrEndpoints() {
        assertThat(List.of("sasl.jaas.config", "listener.name.x.plain.sasl.jaas.config", "ssl.keystore.password",
                "ssl.key.password", "ssl.truststore.password", "ssl.keystore.key", "sasl.oauthbearer.client.credentials.client.secret",
                "basic.auth.user.info")).allMatch(KafkaSecrets::isSensitive);
        assertThat(List.of("security.protocol", "sasl.mechanism", "ssl.keystore.location", "ssl.truststore.type",
                "sasl.oauthbearer.token.endpoint.url", "key.serializer", "bootstrap.servers")).noneMatch(KafkaSecrets::isSensitive);
    }

    /** The env provider the docs recommend for containers, resolved by a real Kafka client config. */
    @Test
    void anEnvReferenceIsResolvedByTheKafkaClientFromTheEnvironment() {
        String path = System.getenv("PATH");
        AdminClientConfig config = new AdminClientConfig(Map.of(
                "bootstrap.servers", "localhost:9092",
                "config.providers", "env",
                "config.providers.env.class", "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
                "sasl.jaas.config", "${env:PATH}"));
        assertThat(path).isNotBlank();
        assertThat(config.getPassword("sasl.jaas.config").value()).isEqualTo(path);
    }
}

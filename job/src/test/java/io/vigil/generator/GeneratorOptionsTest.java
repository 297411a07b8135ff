package io.vigil.generator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GeneratorOptionsTest {

    @Test
    void defaultsFollowTheDocumentation() {
        GeneratorOptions options = GeneratorOptions.parse(new String[] {"--out", "data"});
        GeneratorConfig config = options.config();
        assertEquals(GeneratorConfig.defaults(), config);
        assertEquals(Path.of("data"), options.out());
        assertNull(options.bootstrapServers());
        assertNull(options.propertiesFile());
        assertEquals("sensors", options.sensorTopic());
        assertEquals("transactions", options.transactionTopic());
    }

    @Test
    void everyOptionIsParsed() {
        GeneratorOptions options = GeneratorOptions.parse(new String[] {
            "--stream", "sensors", "--keys", "7", "--events", "500", "--duration=15m", "--interval-ms", "250",
            "--anomaly-rate", "0", "--malformed-rate", "0.05", "--epoch-ts-fraction", "0.5", "--max-out-of-order-ms", "100",
            "--seed", "-3", "--start", "2026-03-01T12:00:00Z", "--bootstrap-servers", "localhost:9092",
            "--sensor-topic", "s", "--transaction-topic", "t"
        });
        assertEquals(new GeneratorConfig(GeneratorConfig.Streams.SENSORS, 7, 7, 500, Duration.ofMinutes(15),
                Instant.parse("2026-03-01T12:00:00Z"), 250, 0, 0.05, 0.5, 100, -3, false), options.config());
        assertEquals("localhost:9092", options.bootstrapServers());
        assertEquals("s", options.sensorTopic());
        assertEquals("t", options.transactionTopic());
    }

    @Test
    void realtimeRateChoosesTheNumberOfKeysAndRunsWithoutLimit() {
        GeneratorConfig config = GeneratorOptions.parse(
                new String[] {"--realtime", "--rate", "20", "--bootstrap-servers", "localhost:9092"}).config();
        assertTrue(config.realtime());
        assertEquals(20, config.sensorKeys());
        assertEquals(TransactionSimulator.accountsForRate(20), config.transactionKeys());
        assertFalse(config.bounded());
    }

    @Test
    void badValuesNameTheOptionAndTheValue() {
        assertError("--keys: 'abc' is not valid", "--out", "d", "--keys", "abc");
        assertError("--keys: '0' is not valid", "--out", "d", "--keys", "0");
        assertError("--stream: 'pumps' is not valid: expected sensors, transactions or both", "--out", "d", "--stream", "pumps");
        assertError("--anomaly-rate: '2' is not valid", "--out", "d", "--anomaly-rate", "2");
        assertError("--malformed-rate: 'lots' is not valid", "--out", "d", "--malformed-rate", "lots");
        assertError("--duration: '10 minutes' is not valid", "--out", "d", "--duration", "10 minutes");
        assertError("--start: 'yesterday' is not valid", "--out", "d", "--start", "yesterday");
        assertError("unknown option '--colour'", "--out", "d", "--colour", "red");
        assertError("--seed needs a value", "--out", "d", "--seed");
        assertError("--keys is given more than once", "--out", "d", "--keys", "1", "--keys", "2");
        assertError("nowhere to write", "--keys", "3");
        assertError("--properties-file holds Kafka producer settings: give --bootstrap-servers too",
                "--out", "d", "--properties-file", "client.properties");
        assertError("--rate paces a --realtime run", "--out", "d", "--rate", "10");
        assertError("--rate and --keys both given", "--realtime", "--out", "d", "--rate", "10", "--keys", "5");
        assertError("unexpected argument 'extra'", "--out", "d", "extra");
    }

    @Test
    void thePropertiesFileAddsProducerSettingsButNotItsOwnBrokers(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("client.properties");
        Files.writeString(file, """
                security.protocol=SASL_PLAINTEXT
                sasl.mechanism=SCRAM-SHA-256
                sasl.jaas.config=${file:/secrets/kafka.properties:sasl.jaas.config}
                bootstrap.servers=elsewhere:9092
                linger.ms=50
                """);
        GeneratorOptions options = GeneratorOptions.parse(new String[] {
            "--bootstrap-servers", "localhost:9092", "--properties-file", file.toString()});
        assertEquals(file, options.propertiesFile());
        java.util.Properties config = options.producerConfig();
        assertEquals("SASL_PLAINTEXT", config.getProperty("security.protocol"));
        assertEquals("SCRAM-SHA-256", config.getProperty("sasl.mechanism"));
        assertEquals("${file:/secrets/kafka.properties:sasl.jaas.config}", config.getProperty("sasl.jaas.config"));
        assertEquals("50", config.getProperty("linger.ms"));
        assertEquals("localhost:9092", config.getProperty("bootstrap.servers"));
        assertEquals("all", config.getProperty("acks"), "the generator's own settings stay");

        GeneratorOptions missing = GeneratorOptions.parse(new String[] {
            "--bootstrap-servers", "localhost:9092", "--properties-file", dir.resolve("none").toString()});
        java.io.IOException e = assertThrows(java.io.IOException.class, missing::producerConfig);
        assertTrue(e.getMessage().startsWith("--properties-file " + dir.resolve("none") + ": cannot read"), e.getMessage());
    }

    @Test
    void helpListsEveryOption() {
        assertTrue(GeneratorOptions.parse(new String[] {"--help"}).helpRequested());
        String usage = GeneratorOptions.usage();
        for (GeneratorOptions.Option option : GeneratorOptions.OPTIONS) {
            assertFalse(option.description().isBlank(), option.name());
            assertTrue(usage.contains("--" + option.name()), option.name());
            assertTrue(usage.contains(option.description()), option.name());
        }
    }

    @Test
    void commandLineWritesTheThreeFiles(@TempDir Path dir) throws Exception {
        Generator.main(new String[] {
            "--out", dir.toString(), "--keys", "5", "--events", "800", "--anomaly-rate", "0.02", "--malformed-rate", "0.05"
        });
        assertEquals(800, lines(dir.resolve("sensors.jsonl")));
        assertEquals(800, lines(dir.resolve("transactions.jsonl")));
        List<AnomalyLabel> labels = AnomalyLabel.readAll(dir.resolve("labels.jsonl"));
        assertFalse(labels.isEmpty());
        String first = Files.readAllLines(dir.resolve("labels.jsonl")).get(0);
        assertTrue(first.matches("\\{\"stream\":\"\\w+\",\"key\":\"[\\w-]+\",\"kind\":\"[a-z_]+\",\"start\":\\d+,\"end\":\\d+"
                + "(,\"channel\":\"\\w+\")?}"), first);
    }

    private static long lines(Path file) throws Exception {
        byte[] bytes = Files.readAllBytes(file);
        long count = 0;
        for (byte b : bytes) {
            if (b == '\n') {
                count++;
            }
        }
        return count;
    }

    private static void assertError(String expected, String... args) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GeneratorOptions.parse(args));
        assertTrue(e.getMessage().contains(expected), "'" + e.getMessage() + "' does not say '" + expected + "'");
    }
}

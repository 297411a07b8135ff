package io.vigil.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * A real Kafka broker for tests and the demo: a Kafka container where a Docker engine is
 * available, otherwise an in-JVM KRaft broker (Kafka's own test kit, the real broker code). Never a
 * mock. Transactions work on both (single-node settings for the transaction state log).
 */
public final class KafkaTestBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaTestBroker.class);
    private static final String KAFKA_IMAGE = "apache/kafka:4.1.1";

    private final AutoCloseable server;
    private final String bootstrapServers;
    /** What this class's own clients need to get in: credentials on a SASL broker, nothing otherwise. */
    private final Map<String, String> clientSettings;

    private KafkaTestBroker(AutoCloseable server, String bootstrapServers) {
        this(server, bootstrapServers, Map.of());
    }

    private KafkaTestBroker(AutoCloseable server, String bootstrapServers, Map<String, String> clientSettings) {
        this.server = server;
        this.bootstrapServers = bootstrapServers;
        this.clientSettings = Map.copyOf(clientSettings);
    }

    /** A container when Docker is available, the embedded broker otherwise. */
    public static KafkaTestBroker start() throws Exception {
        if (DockerClientFactory.instance().isDockerAvailable()) {
            KafkaContainer container = new KafkaContainer(KAFKA_IMAGE);
            container.start();
            LOG.info("Kafka container {} at {}", KAFKA_IMAGE, container.getBootstrapServers());
            return new KafkaTestBroker(container, container.getBootstrapServers());
        }
        return embedded();
    }

    /** An in-JVM single-node KRaft broker (combined broker and controller). */
    public static KafkaTestBroker embedded() throws Exception {
        TestKitNodes nodes = new TestKitNodes.Builder().setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).build();
        KafkaClusterTestKit cluster = singleNode(nodes).build();
        cluster.format();
        cluster.startup();
        cluster.waitForReadyBrokers();
        LOG.info("embedded Kafka broker at {}", cluster.bootstrapServers());
        return new KafkaTestBroker(cluster, cluster.bootstrapServers());
    }

    /** Single-node settings: one replica of every internal topic, transactions included. */
    private static KafkaClusterTestKit.Builder singleNode(TestKitNodes nodes) {
        return new KafkaClusterTestKit.Builder(nodes)
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("share.coordinator.state.topic.replication.factor", "1")
                .setConfigProp("share.coordinator.state.topic.min.isr", "1")
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                .setConfigProp("num.partitions", "1");
    }

    /**
     * An in-JVM broker whose client listener takes SASL_PLAINTEXT only, with the PLAIN and
     * SCRAM-SHA-256 mechanisms (the controller listener stays PLAINTEXT on loopback). {@code admin}
     * is the broker's own PLAIN identity, which this class's helpers also use; {@code plainUsers}
     * maps further PLAIN users to their passwords. SCRAM users are added with {@link #addScramUser}.
     * The JAAS text goes into the listener's settings, not a JVM-wide JAAS file, so clients in
     * the same JVM get no credentials they were not given.
     */
    public static KafkaTestBroker embeddedSasl(String admin, String adminPassword, Map<String, String> plainUsers) throws Exception {
        StringBuilder plain = new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required")
                .append(" username=\"").append(admin).append("\" password=\"").append(adminPassword).append('"')
                .append(" user_").append(admin).append("=\"").append(adminPassword).append('"');
        plainUsers.forEach((user, password) -> plain.append(" user_").append(user).append("=\"").append(password).append('"'));
        plain.append(';');
        TestKitNodes nodes = new TestKitNodes.Builder().setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1)
                .setBrokerListenerName(new ListenerName("EXTERNAL")).build();
        KafkaClusterTestKit cluster = singleNode(nodes)
                .setConfigProp("listener.security.protocol.map", "EXTERNAL:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT")
                .setConfigProp("sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-256")
                .setConfigProp("sasl.mechanism.inter.broker.protocol", "PLAIN")
                .setConfigProp("listener.name.external.plain.sasl.jaas.config", plain.toString())
                .setConfigProp("listener.name.external.scram-sha-256.sasl.jaas.config",
                        "org.apache.kafka.common.security.scram.ScramLoginModule required;")
                .build();
        cluster.format();
        cluster.startup();
        cluster.waitForReadyBrokers();
        LOG.info("embedded SASL Kafka broker at {}", cluster.bootstrapServers());
        return new KafkaTestBroker(cluster, cluster.bootstrapServers(), Map.of(
                "security.protocol", "SASL_PLAINTEXT",
                "sasl.mechanism", "PLAIN",
                "sasl.jaas.config", plainJaas(admin, adminPassword)));
    }

    /**
     * An in-JVM broker whose client listener takes SSL only, with {@code keystore} (PKCS12, whose
     * certificate must name localhost) as its identity. {@code truststore} (PKCS12) holds that
     * certificate, for the broker's own connections and this class's helpers.
     */
    public static KafkaTestBroker embeddedSsl(java.nio.file.Path keystore, String keystorePassword,
            java.nio.file.Path truststore, String truststorePassword) throws Exception {
        TestKitNodes nodes = new TestKitNodes.Builder().setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1)
                .setBrokerListenerName(new ListenerName("EXTERNAL")).build();
        Map<String, String> trust = Map.of(
                "ssl.truststore.location", truststore.toString(),
                "ssl.truststore.type", "PKCS12",
                "ssl.truststore.password", truststorePassword);
        KafkaClusterTestKit.Builder builder = singleNode(nodes)
                .setConfigProp("listener.security.protocol.map", "EXTERNAL:SSL,CONTROLLER:PLAINTEXT")
                .setConfigProp("listener.name.external.ssl.keystore.location", keystore.toString())
                .setConfigProp("listener.name.external.ssl.keystore.type", "PKCS12")
                .setConfigProp("listener.name.external.ssl.keystore.password", keystorePassword)
                .setConfigProp("listener.name.external.ssl.key.password", keystorePassword);
        trust.forEach((k, v) -> builder.setConfigProp("listener.name.external." + k, v));
        KafkaClusterTestKit cluster = builder.build();
        cluster.format();
        cluster.startup();
        cluster.waitForReadyBrokers();
        LOG.info("embedded SSL Kafka broker at {}", cluster.bootstrapServers());
        Map<String, String> client = new java.util.HashMap<>(trust);
        client.put("security.protocol", "SSL");
        return new KafkaTestBroker(cluster, cluster.bootstrapServers(), client);
    }

    /** The client JAAS text of a PLAIN user. */
    public static String plainJaas(String user, String password) {
        return "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + user
                + "\" password=\"" + password + "\";";
    }

    /** The client JAAS text of a SCRAM user. */
    public static String scramJaas(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                + "\" password=\"" + password + "\";";
    }

    /** Creates (or replaces) a SCRAM-SHA-256 user; the broker stores its credential in the cluster metadata. */
    public void addScramUser(String user, String password) throws InterruptedException, ExecutionException {
        try (Admin admin = Admin.create(clientConfig())) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096), password))).all().get();
        }
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    private Map<String, Object> clientConfig() {
        Map<String, Object> config = new java.util.HashMap<>(clientSettings);
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return config;
    }

    public void createTopic(String name, int partitions) throws InterruptedException, ExecutionException {
        try (Admin admin = Admin.create(clientConfig())) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get();
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
        }
    }

    public KafkaProducer<byte[], byte[]> producer() {
        Properties props = new Properties();
        props.putAll(clientSettings);
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        // Room for the oversized records that dead-letter tests send on purpose (compressed, they fit a default broker).
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(4 << 20));
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** A consumer that sees only committed transactional output, as alert consumers should. */
    public KafkaConsumer<byte[], byte[]> readCommittedConsumer(String groupId) {
        Properties props = new Properties();
        props.putAll(clientSettings);
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Every committed record of a topic, from the beginning to its current end. */
    public List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = readCommittedConsumer("read-all-" + System.nanoTime())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("timed out reading " + topic);
                }
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }

    public void send(String topic, byte[] key, byte[] value) {
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            producer.send(new ProducerRecord<>(topic, key, value));
        }
    }

    @Override
    public void close() throws Exception {
        server.close();
    }
}

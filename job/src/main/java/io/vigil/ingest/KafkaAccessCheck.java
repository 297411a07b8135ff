package io.vigil.ingest;

import io.vigil.config.JobOptions;
import io.vigil.config.JobSettings;
import io.vigil.config.JobOptions.Delivery;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks, before the job is submitted, that the Kafka brokers answer and accept the job's client
 * settings. Without it a wrong password surfaces only inside the running job, deep in a restart
 * loop's stack traces, and missing credentials surface not at all: a SASL or SSL listener closes
 * the connection of a client that does not speak its protocol, and the client retries until
 * default.api.timeout.ms. Here both stop the start with one line that names the brokers, the
 * identity and the cause.
 *
 * <p>With exactly-once delivery it also checks that the output topics exist: each transactional
 * sink lists the open transactions of its topic when it starts, and on a missing topic it fails
 * and restarts for good, whatever the broker's auto.create.topics.enable, which only applies to
 * producers and consumers.
 */
public final class KafkaAccessCheck {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaAccessCheck.class);
    private static final Pattern JAAS_USERNAME = Pattern.compile("username\\s*=\\s*\"([^\"]*)\"");

    private KafkaAccessCheck() {}

    /** Runs the check unless {@code kafka.check-timeout} is 0. */
    public static void verify(JobSettings settings) {
        if (!settings.kafkaCheckTimeout().isZero()) {
            verify(settings.bootstrapServers(), settings.kafkaProperties(), settings.kafkaCheckTimeout(),
                    requiredTopics(settings));
        }
    }

    /** The output topics, which the exactly-once sinks need to exist before they start. */
    static List<String> requiredTopics(JobSettings settings) {
        if (settings.delivery() != Delivery.EXACTLY_ONCE) {
            return List.of();
        }
        return Stream.of(settings.alertsTopic(), settings.deadLetterTopic(), settings.scoresTopic())
                .filter(Objects::nonNull).distinct().toList();
    }

    public static void verify(String bootstrapServers, Properties clientProperties, Duration timeout) {
        verify(bootstrapServers, clientProperties, timeout, List.of());
    }

    /**
     * @param topics topics that must exist
     * @throws IllegalStateException whose message says what failed: authentication (with the
     *     broker's reason), no answer within {@code timeout}, unusable client settings, or topics
     *     that do not exist
     */
    public static void verify(String bootstrapServers, Properties clientProperties, Duration timeout, List<String> topics) {
        Map<String, Object> config = new HashMap<>();
        clientProperties.forEach((k, v) -> config.put(String.valueOf(k), v));
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(AdminClientConfig.CLIENT_ID_CONFIG, "vigil-access-check");
        int ms = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, ms);
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, ms);

        String identity;
        try {
            identity = identity(config);
        } catch (KafkaException e) {
            // Config provider failures (a missing secrets file) land here; their messages hold no secret values.
            throw new IllegalStateException("unusable Kafka client settings for " + bootstrapServers + ": " + e.getMessage(), e);
        }
        long start = System.nanoTime();
        try (Admin admin = Admin.create(config)) {
            String clusterId = admin.describeCluster(new DescribeClusterOptions().timeoutMs(ms))
                    .clusterId().get(ms + 5_000L, TimeUnit.MILLISECONDS);
            if (!topics.isEmpty()) {
                Set<String> existing = admin.listTopics(new ListTopicsOptions().timeoutMs(ms)).names()
                        .get(ms + 5_000L, TimeUnit.MILLISECONDS);
                List<String> missing = topics.stream().filter(t -> !existing.contains(t)).toList();
                if (!missing.isEmpty()) {
                    throw new IllegalStateException("Kafka at " + bootstrapServers + " has no topic " + String.join(", ", missing)
                            + " that " + identity + " can see: the exactly-once output needs its topics to exist before"
                            + " the job starts. Create " + (missing.size() == 1 ? "it" : "them") + " (or grant Describe"
                            + " on " + (missing.size() == 1 ? "it" : "them") + "), or name others with --"
                            + JobOptions.ALERTS_TOPIC.key() + ", --" + JobOptions.DEAD_LETTER_TOPIC.key() + " or --"
                            + JobOptions.SCORES_TOPIC.key());
                }
            }
            LOG.info("Kafka at {} accepts {} (cluster {}, checked in {} ms)", bootstrapServers, identity, clusterId,
                    (System.nanoTime() - start) / 1_000_000);
        } catch (ExecutionException e) {
            throw failure(bootstrapServers, identity, timeout, e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw failure(bootstrapServers, identity, timeout, new TimeoutException(e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking Kafka at " + bootstrapServers, e);
        } catch (KafkaException e) {
            throw failure(bootstrapServers, identity, timeout, e);
        }
    }

    private static IllegalStateException failure(String servers, String identity, Duration timeout, Throwable cause) {
        if (cause instanceof AuthenticationException) {
            return new IllegalStateException("cannot authenticate to Kafka at " + servers + " as " + identity + ": "
                    + cause.getMessage(), cause);
        }
        if (cause instanceof TimeoutException) {
            return new IllegalStateException("no answer from Kafka at " + servers + " within " + timeout.toSeconds()
                    + " s as " + identity + ": the brokers are unreachable, or their listener expects another "
                    + "security.protocol (a SASL or SSL listener does not answer a client without its credentials). "
                    + "Check --" + JobOptions.BOOTSTRAP_SERVERS.key() + ", security.protocol and the credentials "
                    + "(--" + JobOptions.KAFKA_CHECK_TIMEOUT.key() + " sets this wait)", cause);
        }
        return new IllegalStateException("cannot use Kafka at " + servers + " as " + identity + ": " + cause, cause);
    }

    /**
     * Who the client claims to be, for the error message: the SASL mechanism and user name (read
     * from the JAAS text after Kafka's config providers resolved it), or the plain protocol.
     */
    private static String identity(Map<String, Object> config) {
        AdminClientConfig resolved = new AdminClientConfig(config);
        String protocol = resolved.getString(AdminClientConfig.SECURITY_PROTOCOL_CONFIG);
        if (!protocol.startsWith("SASL")) {
            String keystore = resolved.getString("ssl.keystore.location");
            return protocol.equals("SSL") && keystore != null
                    ? "the certificate in " + keystore + " (security.protocol=SSL)"
                    : "a client without SASL credentials (security.protocol=" + protocol + ")";
        }
        String mechanism = resolved.getString(SaslConfigs.SASL_MECHANISM);
        Password jaas = resolved.getPassword(SaslConfigs.SASL_JAAS_CONFIG);
        if (jaas == null) {
            return "a " + mechanism + " client without sasl.jaas.config (security.protocol=" + protocol + ")";
        }
        Matcher user = JAAS_USERNAME.matcher(jaas.value());
        return (user.find() ? "user '" + user.group(1) + "'" : "the user of sasl.jaas.config") + " (SASL " + mechanism
                + ", security.protocol=" + protocol + ")";
    }
}

package io.vigil.ingest;

import io.vigil.config.JobOptions;
import io.vigil.config.JobSettings;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
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
 */
public final class KafkaAccessCheck {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaAccessCheck.class);
    private static final Pattern JAAS_USERNAME = Pattern.compile("username\\s*=\\s*\"([^\"]*)\"");

    private KafkaAccessCheck() {}

    /** Runs the check unless {@code kafka.check-timeout} is 0. */
    public static void verify(JobSettings settings) {
        if (!settings.kafkaCheckTimeout().isZero()) {
            verify(settings.bootstrapServers(), settings.kafkaProperties(), settings.kafkaCheckTimeout());
        }
    }

    /**
     * @throws IllegalStateException whose message says what failed: authentication (with the
     *     broker's reason), no answer within {@code timeout}, or unusable client settings
     */
    public static void verify(String bootstrapServers, Properties clientProperties, Duration timeout) {
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

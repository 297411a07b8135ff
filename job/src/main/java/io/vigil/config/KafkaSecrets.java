package io.vigil.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which Kafka client settings hold secrets, and the rules that keep them out of sight: a secret
 * never comes from the command line (process listings, shell history and the cluster's job
 * configuration show it), and whatever the job prints of its settings is masked.
 *
 * <p>Secrets belong in the {@code kafka.properties-file} or, better, stay outside the job entirely
 * as Kafka config provider references such as {@code ${file:/etc/vigil/kafka.secrets:sasl.jaas.config}}
 * or {@code ${env:VIGIL_KAFKA_JAAS}}: each Kafka client resolves them itself when it starts, so the
 * secret is in neither the job graph nor any log line of the job.
 */
public final class KafkaSecrets {

    public static final String MASK = "******";

    /** A config provider reference: {@code ${provider:[path:]key}}. */
    private static final Pattern REFERENCE = Pattern.compile("\\$\\{([A-Za-z0-9_.-]+):[^}]*}");

    private KafkaSecrets() {}

    /**
     * Whether a Kafka client setting holds a secret: JAAS text (it carries the password), any
     * password, secret, token or credentials setting, and PEM private keys (ssl.keystore.key).
     * Endpoint URLs and file locations are not secrets, even when their names mention tokens.
     */
    public static boolean isSensitive(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        if (k.endsWith(".url") || k.endsWith(".location") || k.endsWith(".type")) {
            return false;
        }
        return k.endsWith("jaas.config") || k.contains("password") || k.contains("secret") || k.contains("token")
                || k.contains("credential") || k.contains("user.info") || k.equals("ssl.keystore.key");
    }

    /** A value made of config provider references only names where a secret is; it holds none. */
    public static boolean isReferenceOnly(String value) {
        return value != null && !value.isBlank() && REFERENCE.matcher(value).replaceAll("").isBlank();
    }

    /** A copy for printing: every sensitive value that is not a mere reference is replaced by {@link #MASK}. */
    public static Properties masked(Properties properties) {
        Properties copy = new Properties();
        properties.forEach((k, v) -> {
            String key = String.valueOf(k);
            String value = String.valueOf(v);
            copy.setProperty(key, isSensitive(key) && !isReferenceOnly(value) ? MASK : value);
        });
        return copy;
    }

    /**
     * Checks that every provider a value refers to is declared in {@code config.providers}: Kafka
     * passes an undeclared reference on as literal text, and the client then fails with a
     * misleading authentication error far from the cause.
     *
     * @throws IllegalArgumentException naming the setting and the missing provider
     */
    static void checkReferences(Properties properties, String where) {
        Set<String> declared = new TreeSet<>();
        String providers = properties.getProperty("config.providers", "");
        Arrays.stream(providers.split(",")).map(String::trim).filter(p -> !p.isEmpty()).forEach(declared::add);
        for (String key : new TreeSet<>(properties.stringPropertyNames())) {
            Matcher m = REFERENCE.matcher(properties.getProperty(key));
            while (m.find()) {
                String alias = m.group(1);
                if (!declared.contains(alias)) {
                    throw new IllegalArgumentException(where + ": Kafka setting " + key + " refers to config provider '"
                            + alias + "', which config.providers " + (declared.isEmpty() ? "does not declare" : declared + " lacks")
                            + "; declare it, for example config.providers=" + alias + " and config.providers." + alias
                            + ".class=" + exampleClass(alias));
                }
                if (properties.getProperty("config.providers." + alias + ".class") == null) {
                    throw new IllegalArgumentException(where + ": config provider '" + alias + "' needs config.providers."
                            + alias + ".class (for example " + exampleClass(alias) + ")");
                }
            }
        }
    }

    private static String exampleClass(String alias) {
        return switch (alias) {
            case "env" -> "org.apache.kafka.common.config.provider.EnvVarConfigProvider";
            case "dir" -> "org.apache.kafka.common.config.provider.DirectoryConfigProvider";
            default -> "org.apache.kafka.common.config.provider.FileConfigProvider";
        };
    }
}

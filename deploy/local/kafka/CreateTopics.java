import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates topics, single replica, in one request: {@code java -cp KAFKA_CLASSPATH CreateTopics.java
 * [--command-config FILE] BOOTSTRAP DEFAULT_PARTITIONS NAME[:PARTITIONS]...}. Run as a single source file by
 * deploy/local/kafka.sh, so a dozen topics cost one JVM start rather than one each (kafka-topics creates one
 * per run). Topics that exist are kept as they are. {@code --command-config} names a file of admin client
 * settings (security.protocol, sasl.*; config provider references are resolved by the client), as for
 * Kafka's own tools.
 */
public class CreateTopics {
    public static void main(String[] args) throws Exception {
        Properties config = new Properties();
        if (args.length >= 2 && args[0].equals("--command-config")) {
            config.putAll(load(Path.of(args[1])));
            args = Arrays.copyOfRange(args, 2, args.length);
        }
        String bootstrap = args[0];
        int defaultPartitions = Integer.parseInt(args[1]);
        List<NewTopic> topics = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            String[] spec = args[i].split(":", 2);
            int partitions = spec.length == 2 ? Integer.parseInt(spec[1]) : defaultPartitions;
            topics.add(new NewTopic(spec[0], partitions, (short) 1));
        }
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(config)) {
            var result = admin.createTopics(topics);
            int failed = 0;
            for (NewTopic topic : topics) {
                try {
                    result.values().get(topic.name()).get();
                    System.out.println("topic " + topic.name() + " (" + topic.numPartitions() + " partitions)");
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof TopicExistsException) {
                        System.out.println("topic " + topic.name() + " exists");
                    } else {
                        System.err.println("could not create topic " + topic.name() + ": " + e.getCause());
                        failed++;
                    }
                }
            }
            if (failed > 0) {
                System.exit(1);
            }
        }
    }

    static Properties load(Path file) throws IOException {
        Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            properties.load(in);
        }
        return properties;
    }
}

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates topics, single replica, in one request: {@code java -cp KAFKA_CLASSPATH CreateTopics.java
 * BOOTSTRAP DEFAULT_PARTITIONS NAME[:PARTITIONS]...}. Run as a single source file by deploy/local/kafka.sh,
 * so a dozen topics cost one JVM start rather than one each (kafka-topics creates one per run).
 * Topics that exist are kept as they are.
 */
public class CreateTopics {
    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        int defaultPartitions = Integer.parseInt(args[1]);
        List<NewTopic> topics = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            String[] spec = args[i].split(":", 2);
            int partitions = spec.length == 2 ? Integer.parseInt(spec[1]) : defaultPartitions;
            topics.add(new NewTopic(spec[0], partitions, (short) 1));
        }
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
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
}

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Commits small transactions to each of TOPIC... for SECONDS, one producer per topic, the way Flink's exactly-once
 * Kafka sink does: the records are acknowledged first and the commit follows, and every transaction comes from a
 * freshly initialized producer. IDS=0 gives each transaction a transactional id of its own (the sink's INCREMENTING
 * naming); IDS=n takes them round-robin from n ids per topic (its POOLING naming).
 *
 * <p>{@code java -cp KAFKA_CLASSPATH CommitsThroughRestart.java BOOTSTRAP SECONDS IDS TOPIC...} prints one line per
 * topic, {@code TOPIC RECORDS}: how many records were in transactions whose commit returned. Run by
 * deploy/local/e2e/restart-commits.sh while it restarts the broker.
 */
public class CommitsThroughRestart {
    private static final int RECORDS_PER_TRANSACTION = 5;

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        long until = System.currentTimeMillis() + Long.parseLong(args[1]) * 1000;
        int ids = Integer.parseInt(args[2]);
        List<Thread> producers = new ArrayList<>();
        for (String topic : List.of(args).subList(3, args.length)) {
            Thread thread = new Thread(() -> System.out.println(topic + " " + commit(bootstrap, topic, ids, until)));
            thread.start();
            producers.add(thread);
        }
        for (Thread thread : producers) {
            thread.join();
        }
    }

    private static int commit(String bootstrap, String topic, int ids, long until) {
        int committed = 0;
        for (int n = 0; System.currentTimeMillis() < until; n++) {
            Properties config = new Properties();
            config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "restart-commits-" + topic + "-" + (ids > 0 ? n % ids : n));
            config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            // Long enough to wait out the restart.
            config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "120000");
            config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "120000");
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(config)) {
                producer.initTransactions();
                producer.beginTransaction();
                for (int i = 0; i < RECORDS_PER_TRANSACTION; i++) {
                    producer.send(new ProducerRecord<>(topic, "transaction " + n + " record " + i));
                }
                producer.flush();
                Thread.sleep(30);
                producer.commitTransaction();
                committed += RECORDS_PER_TRANSACTION;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (RuntimeException e) {
                System.err.println(topic + ": transaction " + n + " not committed: " + e);
            }
        }
        return committed;
    }
}

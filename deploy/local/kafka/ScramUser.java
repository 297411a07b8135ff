import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;

/**
 * Creates or replaces a SCRAM-SHA-256 user: {@code java -cp KAFKA_CLASSPATH ScramUser.java ADMIN_PROPERTIES
 * BOOTSTRAP USER PASSWORD_FILE}, with the admin client settings of ADMIN_PROPERTIES. Run by deploy/local/kafka.sh
 * at every start of a broker in SASL mode, so the user's SCRAM credential always matches the stored password
 * (also on a log directory first formatted without SASL). The password is read from a file, as an argument would
 * show in process listings. Returns once the broker itself knows the credential, so that clients can log in.
 */
public class ScramUser {
    public static void main(String[] args) throws Exception {
        Properties config = new Properties();
        try (InputStream in = Files.newInputStream(Path.of(args[0]))) {
            config.load(in);
        }
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[1]);
        String user = args[2];
        String password = Files.readString(Path.of(args[3]), StandardCharsets.UTF_8).strip();
        try (Admin admin = Admin.create(config)) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096), password))).all().get();
            // The controller has committed the credential; the broker applies it from the metadata log.
            for (int i = 0; i < 100; i++) {
                try {
                    if (admin.describeUserScramCredentials(List.of(user)).description(user).get()
                            .credentialInfos().stream().anyMatch(c -> c.mechanism() == ScramMechanism.SCRAM_SHA_256)) {
                        System.out.println("SCRAM-SHA-256 user " + user);
                        return;
                    }
                } catch (java.util.concurrent.ExecutionException e) {
                    // ResourceNotFoundException until the broker has applied the record
                }
                Thread.sleep(100);
            }
            System.err.println("the broker did not list the SCRAM user " + user + " within 10 s");
            System.exit(1);
        }
    }
}

package io.vigil.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.DetectionJob;
import io.vigil.config.JobOptions.Delivery;
import io.vigil.model.LoadedModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobSettingsTest {

    @TempDir Path dir;
    private Path model;

    @BeforeEach
    void writeModel() throws Exception {
        model = dir.resolve("model");
        Files.createDirectories(model);
        byte[] onnx = "not really onnx; only its hash is checked here".getBytes(StandardCharsets.UTF_8);
        Files.write(model.resolve("model.onnx"), onnx);
        Files.writeString(model.resolve("model.json"), contractJson(LoadedModel.sha256(onnx)));
    }

    static String contractJson(String sha256) {
        return """
                {"name": "m", "version": "1", "stream": "s", "kind": "dense",
                 "onnx": {"file": "model.onnx", "sha256": "%s", "input": "window", "output": "reconstruction", "opset": 17},
                 "key": "id", "timestamp": "ts",
                 "features": [{"name": "x", "path": "x", "encoding": "numeric"}],
                 "columns": ["x"], "window": {"size": 4, "stride": 1},
                 "normalization": {"mean": [0.0], "std": [1.0]},
                 "score": {"definition": "mse"},
                 "calibration": {"samples": 10, "log_mean": -1.0, "log_std": 0.5, "quantiles": {"0.99": 1.0}}}
                """.formatted(sha256);
    }

    private List<String> minimal(String... more) {
        List<String> args = new ArrayList<>(List.of(
                "--streams", "sensors",
                "--stream.sensors.model", model.toString(),
                "--stream.sensors.topics", "in-a,in-b",
                "--kafka.bootstrap-servers", "localhost:9092"));
        args.addAll(List.of(more));
        return args;
    }

    private static JobSettings parse(List<String> args) {
        return JobSettings.fromArgs(args.toArray(String[]::new));
    }

    @Test
    void minimalParametersGiveDocumentedDefaults() {
        JobSettings settings = parse(minimal());
        assertThat(settings.streams()).singleElement().satisfies(s -> {
            assertThat(s.topics()).containsExactly("in-a", "in-b");
            assertThat(s.keyPath()).isEqualTo("id");
            assertThat(s.timestampPath()).isEqualTo("ts");
        });
        assertThat(settings.delivery()).isEqualTo(Delivery.EXACTLY_ONCE);
        assertThat(settings.alertsTopic()).isEqualTo("alerts");
        assertThat(settings.deadLetterTopic()).isEqualTo("dead-letters");
        assertThat(settings.scoresTopic()).isNull();
        assertThat(settings.batchMaxRows()).isEqualTo(256);
        assertThat(settings.outOfOrderness()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void perStreamKeyAndTimestampPathsOverrideTheModel() {
        JobSettings settings = parse(minimal("--stream.sensors.key-path", "device.id", "--stream.sensors.timestamp-path", "/time"));
        assertThat(settings.streams().get(0).keyPath()).isEqualTo("device.id");
        assertThat(settings.streams().get(0).timestampPath()).isEqualTo("/time");
    }

    @Test
    void unknownParameterIsRejectedByName() {
        assertThatThrownBy(() -> parse(minimal("--threshold.kk", "3")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--threshold.kk");
        assertThatThrownBy(() -> parse(minimal("--stream.other.model", "x")))
                .hasMessageContaining("--stream.other.model").hasMessageContaining("--streams");
    }

    @Test
    void missingRequiredParameterIsNamed() {
        List<String> args = minimal();
        int i = args.indexOf("--kafka.bootstrap-servers");
        args.remove(i + 1);
        args.remove(i);
        assertThatThrownBy(() -> parse(args)).hasMessageContaining("--kafka.bootstrap-servers");
        assertThatThrownBy(() -> parse(List.of("--kafka.bootstrap-servers", "x"))).hasMessageContaining("--streams");
    }

    @Test
    void badValuesNameTheParameterTheValueAndWhatIsAllowed() {
        assertThatThrownBy(() -> parse(minimal("--batch.max-delay", "soon")))
                .hasMessageContaining("--batch.max-delay").hasMessageContaining("soon").hasMessageContaining("duration");
        assertThatThrownBy(() -> parse(minimal("--batch.max-rows", "0")))
                .hasMessageContaining("--batch.max-rows").hasMessageContaining("> 0");
        assertThatThrownBy(() -> parse(minimal("--alerts.delivery", "twice")))
                .hasMessageContaining("twice").hasMessageContaining("exactly-once, at-least-once");
        assertThatThrownBy(() -> parse(minimal("--onnx.device", "tpu")))
                .hasMessageContaining("--onnx.device").hasMessageContaining("cuda:N");
        assertThatThrownBy(() -> parse(minimal("--threshold.k", "-1"))).hasMessageContaining("threshold.k");
    }

    @Test
    void thresholdAndAlertParametersAreParsedWithTheirDefaults() {
        JobSettings defaults = parse(minimal());
        assertThat(defaults.threshold().method()).isEqualTo(io.vigil.threshold.ThresholdMethod.SIGMA);
        assertThat(defaults.threshold().risk()).isEqualTo(1e-4);
        assertThat(defaults.alert()).isEqualTo(io.vigil.alert.AlertSettings.defaults());

        JobSettings pot = parse(minimal("--threshold.method", "pot", "--threshold.risk", "1e-3",
                "--threshold.pot-drift-window", "20", "--threshold.learn-from-anomalies", "true",
                "--alert.merge-gap", "5 min", "--alert.cooldown", "30 s", "--alert.max-per-key-per-interval", "10",
                "--alert.cap-interval", "1 h", "--alert.updates", "false"));
        assertThat(pot.threshold().method()).isEqualTo(io.vigil.threshold.ThresholdMethod.POT);
        assertThat(pot.threshold().risk()).isEqualTo(1e-3);
        assertThat(pot.threshold().potDriftWindow()).isEqualTo(20);
        assertThat(pot.threshold().learnFromAnomalies()).isTrue();
        assertThat(pot.alert()).isEqualTo(new io.vigil.alert.AlertSettings(
                Duration.ofMinutes(5), Duration.ofSeconds(30), 10, Duration.ofHours(1), false));
    }

    @Test
    void badThresholdAndAlertParametersAreNamedWithValueAndWhatIsAllowed() {
        assertThatThrownBy(() -> parse(minimal("--threshold.method", "magic")))
                .hasMessageContaining("--threshold.method").hasMessageContaining("magic")
                .hasMessageContaining("static, sigma, quantile, pot");
        assertThatThrownBy(() -> parse(minimal("--threshold.method", "static")))
                .hasMessageContaining("threshold.static-value").hasMessageContaining("threshold.static-quantile");
        assertThatThrownBy(() -> parse(minimal("--threshold.risk", "0.5")))
                .hasMessageContaining("threshold.risk = 0.5").hasMessageContaining("below 1 - threshold.pot-level");
        assertThatThrownBy(() -> parse(minimal("--threshold.quantile", "1")))
                .hasMessageContaining("threshold.quantile = 1.0").hasMessageContaining("(0, 1)");
        assertThatThrownBy(() -> parse(minimal("--threshold.pot-init-scores", "100")))
                .hasMessageContaining("threshold.pot-init-scores = 100").hasMessageContaining(">= 500");
        assertThatThrownBy(() -> parse(minimal("--alert.max-per-key-per-interval", "-1")))
                .hasMessageContaining("alert.max-per-key-per-interval = -1").hasMessageContaining(">= 0");
        assertThatThrownBy(() -> parse(minimal("--threshold.method", "static", "--threshold.static-quantile", "0.999")))
                .hasMessageContaining("threshold.static-quantile = 0.999").hasMessageContaining("[0.99]");
        assertThat(parse(minimal("--threshold.method", "static", "--threshold.static-quantile", "0.99")).threshold()
                .staticQuantile()).isEqualTo(0.99);
        assertThatThrownBy(() -> parse(minimal("--alert.merge-gap", "later")))
                .hasMessageContaining("--alert.merge-gap").hasMessageContaining("later").hasMessageContaining("duration");
    }

    @Test
    void thresholdRulesOverrideTheCommandLineForKeysWithTheirPrefix() throws Exception {
        Path rules = dir.resolve("rules.txt");
        Files.writeString(rules, """
                # pumps drift with wear: drift-aware pot
                pump-      method=pot risk=1e-5 pot-drift-window=600
                pump-17    k=5   # one noisy pump; still sigma from the command line otherwise

                card-      method=quantile quantile=0.995 warmup=20
                """);
        JobSettings settings = parse(minimal("--threshold.rules", rules.toString(), "--threshold.k", "4"));
        var byKey = settings.thresholdRules();
        assertThat(byKey.settingsFor("pump-3").method()).isEqualTo(io.vigil.threshold.ThresholdMethod.POT);
        assertThat(byKey.settingsFor("pump-3").risk()).isEqualTo(1e-5);
        assertThat(byKey.settingsFor("pump-3").potDriftWindow()).isEqualTo(600);
        // The longest prefix wins, and what it does not set comes from the command line.
        assertThat(byKey.settingsFor("pump-17").method()).isEqualTo(io.vigil.threshold.ThresholdMethod.SIGMA);
        assertThat(byKey.settingsFor("pump-17").k()).isEqualTo(5.0);
        assertThat(byKey.settingsFor("card-9").quantile()).isEqualTo(0.995);
        assertThat(byKey.settingsFor("card-9").warmup()).isEqualTo(20);
        assertThat(byKey.settingsFor("valve-1")).isEqualTo(settings.threshold());
        assertThat(byKey.settingsFor("valve-1").k()).isEqualTo(4.0);
    }

    @Test
    void badThresholdRulesNameTheFileTheLineAndTheProblem() throws Exception {
        Path rules = dir.resolve("rules.txt");
        Files.writeString(rules, "pump- method=pot\ncard- risk=2\n");
        assertThatThrownBy(() -> parse(minimal("--threshold.rules", rules.toString())))
                .hasMessageContaining("--threshold.rules " + rules + " line 2: ").hasMessageContaining("threshold.risk = 2.0");
        Files.writeString(rules, "pump- colour=red\n");
        assertThatThrownBy(() -> parse(minimal("--threshold.rules", rules.toString())))
                .hasMessageContaining("line 1: 'colour=red' is not name=value with a name of [method, k,");
        Files.writeString(rules, "pump- method=static static-quantile=0.5\n");
        assertThatThrownBy(() -> parse(minimal("--threshold.rules", rules.toString())))
                .hasMessageContaining("threshold.static-quantile = 0.5").hasMessageContaining("[0.99]");
        assertThatThrownBy(() -> parse(minimal("--threshold.rules", dir.resolve("missing.txt").toString())))
                .hasMessageContaining("--threshold.rules").hasMessageContaining("cannot read");
    }

    @Test
    void deliveryAcceptsTheDocumentedSpelling() {
        assertThat(parse(minimal("--alerts.delivery", "at-least-once")).delivery()).isEqualTo(Delivery.AT_LEAST_ONCE);
    }

    @Test
    void transactionTimeoutMustOutlastTheCheckpointInterval() {
        assertThatThrownBy(() -> parse(minimal("--checkpoint.interval", "20 min")))
                .hasMessageContaining("--alerts.transaction-timeout").hasMessageContaining("--checkpoint.interval");
    }

    @Test
    void flinksCheckpointIntervalIsTheOneTheTransactionTimeoutIsCheckedAgainst() {
        assertThat(parse(minimal("--flink.execution.checkpointing.interval", "5 s")).checkpointInterval())
                .isEqualTo(Duration.ofSeconds(5));
        assertThatThrownBy(() -> parse(minimal("--flink.execution.checkpointing.interval", "15 min")))
                .hasMessageContaining("--alerts.transaction-timeout").hasMessageContaining("PT15M");
        assertThatThrownBy(() -> parse(minimal("--flink.execution.checkpointing.interval", "5 s", "--checkpoint.interval", "5 s")))
                .hasMessageContaining("both set the checkpoint interval");
        assertThatThrownBy(() -> parse(minimal("--flink.execution.checkpointing.interval", "soon")))
                .hasMessageContaining("--flink.execution.checkpointing.interval").hasMessageContaining("soon");
    }

    @Test
    void modelWhoseHashDoesNotMatchItsContractIsRejectedAtStart() throws Exception {
        Files.writeString(model.resolve("model.onnx"), "tampered");
        assertThatThrownBy(() -> parse(minimal())).hasMessageContaining("sha256").hasMessageContaining("model.onnx");
    }

    @Test
    void missingModelFileIsRejectedAtStart() throws Exception {
        Files.delete(model.resolve("model.onnx"));
        assertThatThrownBy(() -> parse(minimal())).hasMessageContaining("model file not found");
    }

    @Test
    void kafkaPropertiesComeFromTheFileAndParametersWin() throws Exception {
        Path file = dir.resolve("client.properties");
        Files.writeString(file, "security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\n");
        JobSettings settings = parse(minimal("--kafka.properties-file", file.toString(),
                "--kafka.property.sasl.mechanism", "SCRAM-SHA-512"));
        assertThat(settings.kafkaProperties().getProperty("security.protocol")).isEqualTo("SASL_SSL");
        assertThat(settings.kafkaProperties().getProperty("sasl.mechanism")).isEqualTo("SCRAM-SHA-512");
    }

    @Test
    void flinkConfigurationForbidsKryoAndGeneratedUidsAndEnablesCheckpoints() {
        Configuration conf = DetectionJob.flinkConfiguration(parse(minimal("--flink.rest.port", "8089")));
        assertThat(conf.get(PipelineOptions.GENERIC_TYPES)).isFalse();
        assertThat(conf.get(PipelineOptions.AUTO_GENERATE_UIDS)).isFalse();
        assertThat(conf.toMap()).containsEntry("rest.port", "8089").containsKey("execution.checkpointing.interval");
    }

    @Test
    void maxParallelismGivenAtTheFirstStartReachesTheJob() {
        // docs/deploy.md, rescaling: the bound of later rescales is set this way.
        Configuration conf = DetectionJob.flinkConfiguration(parse(minimal("--flink.pipeline.max-parallelism", "1024")));
        assertThat(org.apache.flink.streaming.api.environment.StreamExecutionEnvironment.getExecutionEnvironment(conf)
                .getMaxParallelism()).isEqualTo(1024);
    }

    @Test
    void helpListsEveryParameterWithItsDescription() {
        String help = Help.text();
        for (ConfigOption<?> option : JobOptions.ALL) {
            assertThat(option.description().toString()).as(option.key()).isNotBlank();
            assertThat(help).contains("--" + option.key());
            assertThat(help).contains(Help.description(option));
        }
        assertThat(help).contains("(default: exactly-once; one of exactly-once, at-least-once)");
    }

    @Test
    void theParameterTablesOfTheDocsNameOnlyParametersTheJobKnows() throws IOException {
        Set<String> known = JobOptions.ALL.stream().map(ConfigOption::key).collect(Collectors.toSet());
        Pattern row = Pattern.compile("^\\| `--([a-z0-9.<>_-]+)", Pattern.MULTILINE);
        int rows = 0;
        for (String doc : List.of("../README.md", "../docs/thresholds.md")) {
            Matcher m = row.matcher(Files.readString(Path.of(doc)));
            while (m.find()) {
                String name = m.group(1).replace("<name>", "NAME");
                if (!name.equals("flink.<key>")) {  // any Flink option, passed through
                    assertThat(known).as("%s names --%s", doc, m.group(1)).contains(name);
                }
                rows++;
            }
        }
        assertThat(rows).as("parameter rows found").isGreaterThan(40);
    }
}

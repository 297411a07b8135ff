package io.vigil;

import io.vigil.alert.Alert;
import io.vigil.alert.AlertJson;
import io.vigil.alert.ScoreJson;
import io.vigil.config.Help;
import io.vigil.config.JobSettings;
import io.vigil.config.StreamSettings;
import io.vigil.control.CommandParser;
import io.vigil.control.ControlledThreshold;
import io.vigil.control.ThresholdCommand;
import io.vigil.deadletter.DeadLetter;
import io.vigil.deadletter.DeadLetterJson;
import io.vigil.ingest.KafkaAccessCheck;
import io.vigil.ingest.KafkaInput;
import io.vigil.ingest.RawEvent;
import io.vigil.parse.Event;
import io.vigil.parse.EventParser;
import io.vigil.score.MicroBatchScorer;
import io.vigil.score.OnnxDevice;
import io.vigil.score.OnnxSession;
import io.vigil.score.ScoredWindow;
import io.vigil.sink.KafkaOutput;
import io.vigil.threshold.AdaptiveThreshold;
import io.vigil.threshold.ScoreRecord;
import io.vigil.window.KeyTrackingOperator;
import io.vigil.window.ScoringRequest;
import io.vigil.window.WindowAssembler;
import java.time.Duration;
import java.util.function.Function;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The detection job. Per stream: Kafka → parse → event time → per-key windows → cross-key
 * micro-batches scored by the autoencoder → per-key adaptive threshold; then alerts, dead letters
 * and (optionally) every score to Kafka. With {@code control.topic}, commands from that topic are
 * parsed and broadcast to every threshold operator, which applies them at runtime.
 *
 * <p>{@link #main} only wires: {@link #defineWorkflow} is the topology, and tests run the very same
 * topology with their own inputs.
 */
public final class DetectionJob {

    private DetectionJob() {}

    public static void main(String[] args) throws Exception {
        if (JobSettings.wantsHelp(args)) {
            System.out.println(Help.text());
            return;
        }
        JobSettings settings = JobSettings.fromArgs(args);
        // Wrong or missing credentials stop the start here with a clear message, not in a restart loop.
        KafkaAccessCheck.verify(settings);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flinkConfiguration(settings));
        Outputs outputs = defineWorkflow(settings, stream -> KafkaInput.read(env, settings, stream),
                settings.controlTopic() == null ? null : KafkaInput.readControl(env, settings));
        writeToKafka(outputs, settings);
        env.execute("vigil " + String.join(",", settings.streams().stream().map(StreamSettings::name).toList()));
    }

    /** What the job produces; every input record ends up in exactly one score or one dead letter. */
    public record Outputs(DataStream<Alert> alerts, DataStream<DeadLetter> deadLetters, DataStream<ScoreRecord> scores) {}

    /**
     * Builds the topology for every stream in {@code settings}, reading each from {@code input}.
     * Each model is checked (file, sha256, input and output shapes) before anything is built.
     */
    public static Outputs defineWorkflow(JobSettings settings, Function<StreamSettings, DataStream<RawEvent>> input) {
        return defineWorkflow(settings, input, null);
    }

    /**
     * As {@link #defineWorkflow(JobSettings, Function)}, with the records of the control topic:
     * parsed once, broadcast to every stream's threshold operator. Null: no control topic, and
     * the threshold operators are the plain keyed ones.
     */
    public static Outputs defineWorkflow(JobSettings settings, Function<StreamSettings, DataStream<RawEvent>> input,
            DataStream<RawEvent> control) {
        BroadcastStream<ThresholdCommand> commands = null;
        DataStream<DeadLetter> invalidCommands = null;
        if (control != null) {
            SingleOutputStreamOperator<ThresholdCommand> parsed = control
                    .process(new CommandParser(JobSettings.thresholdParameterNames(),
                            settings.streams().stream().map(StreamSettings::name).toList(), settings.maxPayloadBytes()))
                    .setParallelism(1)
                    .uid("control-parse").name("control-parse");
            commands = parsed.broadcast(ControlledThreshold.COMMANDS);
            invalidCommands = parsed.getSideOutput(CommandParser.DEAD_LETTERS);
        }
        Outputs all = null;
        for (StreamSettings stream : settings.streams()) {
            OnnxSession.validate(stream.model());
            Outputs one = defineStream(stream, settings, input.apply(stream), commands);
            all = all == null ? one : new Outputs(
                    all.alerts().union(one.alerts()),
                    all.deadLetters().union(one.deadLetters()),
                    all.scores().union(one.scores()));
        }
        if (invalidCommands != null) {
            all = new Outputs(all.alerts(), all.deadLetters().union(invalidCommands), all.scores());
        }
        return all;
    }

    private static Outputs defineStream(StreamSettings stream, JobSettings settings, DataStream<RawEvent> raw,
            BroadcastStream<ThresholdCommand> commands) {
        var contract = stream.model().contract();

        SingleOutputStreamOperator<Event> events = raw
                .process(new EventParser(contract, stream.keyPath(), stream.timestampPath(), settings.maxPayloadBytes()))
                .uid(stream.uid("parse")).name(stream.uid("parse"));

        // Records carry their event time and per-partition watermarks from the source (SourceWatermarks).
        SingleOutputStreamOperator<ScoringRequest> windows = events
                .keyBy(Event::key)
                .transform(stream.uid("window"), TypeInformation.of(ScoringRequest.class), new KeyTrackingOperator(
                        new WindowAssembler(contract, settings.allowedLateness().toMillis(), ttl(settings)),
                        settings.keysTrackedInterval()))
                .uid(stream.uid("window")).name(stream.uid("window"));

        SingleOutputStreamOperator<ScoredWindow> scored = MicroBatchScorer.apply(
                windows, stream.model(), settings.batchMaxRows(), settings.batchMaxDelay().toMillis(),
                OnnxDevice.parse(settings.onnxDevice()), settings.onnxThreads(), stream.uid("score"));

        AdaptiveThreshold threshold =
                new AdaptiveThreshold(stream.name(), contract, settings.thresholdRules(), settings.alert(), ttl(settings),
                        settings.allowedLateness());
        // With a control topic the operator keeps its uid and keyed state names, so that a savepoint
        // taken without one can be restored with one (its broadcast state then starts empty).
        SingleOutputStreamOperator<Alert> alerts = commands == null
                ? scored.keyBy(ScoredWindow::key).process(threshold)
                        .uid(stream.uid("threshold")).name(stream.uid("threshold"))
                : scored.keyBy(ScoredWindow::key).connect(commands).process(new ControlledThreshold(stream.name(), threshold))
                        .uid(stream.uid("threshold")).name(stream.uid("threshold"));

        DataStream<DeadLetter> deadLetters = events.getSideOutput(EventParser.DEAD_LETTERS)
                .union(windows.getSideOutput(WindowAssembler.LATE));
        if (commands != null) {
            deadLetters = deadLetters.union(alerts.getSideOutput(ControlledThreshold.DEAD_LETTERS));
        }
        return new Outputs(alerts, deadLetters, alerts.getSideOutput(AdaptiveThreshold.SCORES));
    }

    /** Attaches the Kafka sinks: alerts, dead letters, and scores when a scores topic is set. */
    public static void writeToKafka(Outputs outputs, JobSettings settings) {
        KafkaOutput.write(outputs.alerts(), "alerts", AlertJson.kafkaSchema(settings.alertsTopic()), settings);
        KafkaOutput.write(outputs.deadLetters(), "dead-letters", DeadLetterJson.kafkaSchema(settings.deadLetterTopic()), settings);
        if (settings.scoresTopic() != null) {
            KafkaOutput.write(outputs.scores(), "scores", ScoreJson.kafkaSchema(settings.scoresTopic()), settings);
        }
    }

    /**
     * Job-level Flink settings: no silent Kryo fallback, no generated uids (a missing uid must fail,
     * not break the next savepoint restore), and checkpoints, which exactly-once output needs.
     */
    public static Configuration flinkConfiguration(JobSettings settings) {
        Configuration conf = Configuration.fromMap(settings.flinkConfiguration());
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        conf.set(PipelineOptions.AUTO_GENERATE_UIDS, false);
        if (!conf.contains(CheckpointingOptions.CHECKPOINTING_INTERVAL)) {
            conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, settings.checkpointInterval());
        }
        return conf;
    }

    private static Duration ttl(JobSettings settings) {
        return settings.stateTtl().isZero() ? null : settings.stateTtl();
    }
}

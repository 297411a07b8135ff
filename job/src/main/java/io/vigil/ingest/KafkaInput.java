package io.vigil.ingest;

import io.vigil.config.JobSettings;
import io.vigil.config.StreamSettings;
import java.util.regex.Pattern;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/** Builds the Kafka source of one stream: raw records, with per-partition event-time watermarks. */
public final class KafkaInput {

    private KafkaInput() {}

    /** Raw records with the job's client settings; offsets committed on checkpoints. */
    private static KafkaSourceBuilder<RawEvent> rawRecords(JobSettings settings) {
        return KafkaSource.<RawEvent>builder()
                .setBootstrapServers(settings.bootstrapServers())
                .setGroupId(settings.groupId())
                .setProperties(settings.kafkaProperties())
                .setDeserializer(new RawEventDeserializer())
                // Progress is in Flink's checkpoints; committed offsets are for lag monitoring.
                .setProperty("commit.offsets.on.checkpoint", "true");
    }

    public static KafkaSource<RawEvent> source(JobSettings settings, StreamSettings stream) {
        KafkaSourceBuilder<RawEvent> builder = rawRecords(settings)
                .setStartingOffsets(switch (settings.startingOffsets()) {
                    case COMMITTED -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
                    case EARLIEST -> OffsetsInitializer.earliest();
                    case LATEST -> OffsetsInitializer.latest();
                });
        if (stream.topicPattern() != null) {
            builder.setTopicPattern(Pattern.compile(stream.topicPattern()));
        } else {
            builder.setTopics(stream.topics());
        }
        if (settings.bounded()) {
            builder.setBounded(OffsetsInitializer.latest());
        }
        return builder.build();
    }

    /**
     * The source of control commands ({@code control.topic}). It starts from the topic's beginning,
     * never from the group's committed offsets (which every checkpoint advances): a job started
     * afresh replays every command, so it runs with the same rules as before; restored from a
     * checkpoint or savepoint, it resumes where it was (the applied commands are in the operator's
     * state, and a restored source's offsets win over its starting offsets).
     */
    public static KafkaSource<RawEvent> controlSource(JobSettings settings) {
        KafkaSourceBuilder<RawEvent> builder = rawRecords(settings)
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setTopics(settings.controlTopic());
        if (settings.bounded()) {
            builder.setBounded(OffsetsInitializer.latest());
        }
        return builder.build();
    }

    /**
     * The control commands, one reader. Commands are not event-time data: the stream stays idle,
     * so that joined with the scores it never holds back their watermark (and with it the timers
     * that end incidents). Idle, not at the end of time: when the data goes quiet for
     * {@code watermark.idleness} and is marked idle too, a watermark at the end of time would be
     * the only one left, fire every incident's end at once and stop event time for good.
     */
    public static DataStream<RawEvent> readControl(StreamExecutionEnvironment env, JobSettings settings) {
        WatermarkStrategy<RawEvent> noHold = WatermarkStrategy.forGenerator(context -> new WatermarkGenerator<>() {
            @Override
            public void onEvent(RawEvent event, long eventTimestamp, WatermarkOutput output) {}

            @Override
            public void onPeriodicEmit(WatermarkOutput output) {
                output.markIdle();
            }
        });
        return env.fromSource(controlSource(settings), noHold, "control-kafka-source")
                .setParallelism(1)
                .uid("control-kafka-source");
    }

    public static DataStream<RawEvent> read(StreamExecutionEnvironment env, JobSettings settings, StreamSettings stream) {
        return env.fromSource(source(settings, stream), SourceWatermarks.of(stream, settings), stream.uid("kafka-source"))
                .uid(stream.uid("kafka-source"));
    }
}

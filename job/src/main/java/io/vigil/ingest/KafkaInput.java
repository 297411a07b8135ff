package io.vigil.ingest;

import io.vigil.config.JobSettings;
import io.vigil.config.StreamSettings;
import java.util.regex.Pattern;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/** Builds the Kafka source of one stream: raw records, with per-partition event-time watermarks. */
public final class KafkaInput {

    private KafkaInput() {}

    public static KafkaSource<RawEvent> source(JobSettings settings, StreamSettings stream) {
        KafkaSourceBuilder<RawEvent> builder = KafkaSource.<RawEvent>builder()
                .setBootstrapServers(settings.bootstrapServers())
                .setGroupId(settings.groupId())
                .setProperties(settings.kafkaProperties())
                .setDeserializer(new RawEventDeserializer())
                // Progress is in Flink's checkpoints; committed offsets are for lag monitoring.
                .setProperty("commit.offsets.on.checkpoint", "true")
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

    public static DataStream<RawEvent> read(StreamExecutionEnvironment env, JobSettings settings, StreamSettings stream) {
        return env.fromSource(source(settings, stream), SourceWatermarks.of(stream, settings), stream.uid("kafka-source"))
                .uid(stream.uid("kafka-source"));
    }
}

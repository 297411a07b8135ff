package io.vigil.ingest;

import io.vigil.config.JobSettings;
import io.vigil.config.StreamSettings;
import io.vigil.parse.FeatureExtractor;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;

/**
 * Event-time watermarks made inside the Kafka source, per partition. The source tracks each
 * partition's watermark and passes on the smallest, so a partition read ahead of the others (a
 * backlog after downtime, a lagging producer, one reader holding several partitions) cannot make
 * their events late. Made after parsing, a single watermark per reader would follow whichever
 * partition it happened to read furthest.
 *
 * <p>The event time is in the JSON, so the source reads it from the payload; the parser reads the
 * payload again for everything else. A record without a usable event time (it will be
 * dead-lettered) does not move the watermark.
 */
public final class SourceWatermarks {

    private SourceWatermarks() {}

    public static WatermarkStrategy<RawEvent> of(StreamSettings stream, JobSettings settings) {
        FeatureExtractor extractor =
                new FeatureExtractor(stream.model().contract(), stream.keyPath(), stream.timestampPath());
        int maxPayloadBytes = settings.maxPayloadBytes();
        return WatermarkStrategy.<RawEvent>forBoundedOutOfOrderness(settings.outOfOrderness())
                .withTimestampAssigner((raw, kafkaTimestamp) -> eventTime(extractor, maxPayloadBytes, raw))
                .withIdleness(settings.idleness());
    }

    /** The record's event time, or {@code Long.MIN_VALUE} for a record the parser will dead-letter. */
    static long eventTime(FeatureExtractor extractor, int maxPayloadBytes, RawEvent raw) {
        if (raw.payload() != null && raw.payload().length > maxPayloadBytes) {
            return Long.MIN_VALUE;
        }
        return extractor.extract(raw.payload()) instanceof FeatureExtractor.Accepted accepted
                ? accepted.timestamp() : Long.MIN_VALUE;
    }
}

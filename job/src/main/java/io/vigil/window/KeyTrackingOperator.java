package io.vigil.window;

import io.vigil.parse.Event;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.stream.Stream;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;

/**
 * Runs a {@link WindowAssembler} and publishes {@code keysTracked}: how many keys hold window state
 * in this subtask. It is the figure that shows whether state grows without bound (new keys arriving
 * faster than the state TTL drops idle ones), and it is kept here because a keyed function cannot
 * see its state backend.
 *
 * <p>Counting walks the keys of the {@code "window"} state (a table on the heap backend, an
 * iterator over a column family on RocksDB), so it runs every {@code interval} on the task thread
 * rather than per record, and the gauge shows the last count. A key whose TTL has run out is
 * counted until the backend's TTL cleanup has removed its entry.
 */
public final class KeyTrackingOperator extends KeyedProcessOperator<String, Event, ScoringRequest> {

    private static final long serialVersionUID = 1L;

    public static final String KEYS_TRACKED = "keysTracked";

    private final long intervalMs;

    private transient volatile long keysTracked;
    private transient ScheduledFuture<?> counting;

    /** @param interval how often to count; zero publishes no gauge and never counts */
    public KeyTrackingOperator(WindowAssembler assembler, Duration interval) {
        super(assembler);
        if (interval.isNegative()) {
            throw new IllegalArgumentException("key counting interval must not be negative, got " + interval);
        }
        this.intervalMs = interval.toMillis();
    }

    @Override
    public void open() throws Exception {
        super.open();
        if (intervalMs == 0) {
            return;
        }
        countKeys(); // keys restored from a checkpoint show at once
        getMetricGroup().gauge(KEYS_TRACKED, (Gauge<Long>) () -> keysTracked);
        counting = getProcessingTimeService().scheduleWithFixedDelay(time -> countKeys(), intervalMs, intervalMs);
    }

    private void countKeys() {
        KeyedStateBackend<String> backend = getKeyedStateBackend();
        try (Stream<String> keys = backend.getKeys(WindowAssembler.WINDOW_STATE, VoidNamespace.INSTANCE)) {
            keysTracked = keys.count();
        }
    }

    @Override
    public void close() throws Exception {
        if (counting != null) {
            counting.cancel(false);
        }
        super.close();
    }
}

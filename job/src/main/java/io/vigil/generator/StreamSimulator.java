package io.vigil.generator;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * A simulated stream: many keys, each producing its own events in event-time order, merged here
 * into one event-time order (ties by key index, so the order is deterministic). Labels of
 * anomalies are handed out once their last event has been produced, or by {@link #finish()} for
 * anomalies the run stops in the middle of.
 *
 * <p>State: per key its next event time and its model (a few numbers), so memory grows with the
 * number of keys, not with the number of events.
 */
public abstract sealed class StreamSimulator permits SensorSimulator, TransactionSimulator {

    /** One key's process: when its next event is due and which anomaly it is in the middle of. */
    abstract static class KeyProcess {
        final int index;
        final String key;
        long nextTime;
        private AnomalyKind openKind;
        private String openChannel;
        private long openStart;
        private long openLast;
        private AnomalyLabel finished;

        KeyProcess(int index, String key) {
            this.index = index;
            this.key = key;
        }

        /** Produces the event due at {@link #nextTime} and schedules the next one. */
        abstract SimulatedEvent emit();

        abstract String stream();

        /** Records that the event at {@code timestamp} belongs to the (open or new) anomaly. */
        void affected(AnomalyKind kind, String channel, long timestamp) {
            if (openKind == null) {
                openKind = kind;
                openChannel = channel;
                openStart = timestamp;
            }
            openLast = timestamp;
        }

        /** Closes the open anomaly: its label is complete. */
        void anomalyEnded() {
            finished = label();
            openKind = null;
        }

        private AnomalyLabel label() {
            return new AnomalyLabel(stream(), key, openKind, openStart, openLast, openChannel);
        }
    }

    private final List<? extends KeyProcess> keys;
    private final PriorityQueue<KeyProcess> due = new PriorityQueue<>(
            Comparator.comparingLong((KeyProcess k) -> k.nextTime).thenComparingInt(k -> k.index));
    private final List<AnomalyLabel> completed = new ArrayList<>();

    StreamSimulator(List<? extends KeyProcess> keys) {
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("a stream needs at least one key");
        }
        this.keys = keys;
        due.addAll(keys);
    }

    /** {@link Generator#SENSORS} or {@link Generator#TRANSACTIONS}. */
    public abstract String stream();

    public int keyCount() {
        return keys.size();
    }

    /** Event time of the next event {@link #next()} will return. */
    public long peekTime() {
        return due.peek().nextTime;
    }

    /** The next event of this stream in event-time order. */
    public SimulatedEvent next() {
        KeyProcess key = due.poll();
        SimulatedEvent event = key.emit();
        if (key.finished != null) {
            completed.add(key.finished);
            key.finished = null;
        }
        due.add(key);
        return event;
    }

    /** Labels completed since the last call. */
    public List<AnomalyLabel> drainLabels() {
        List<AnomalyLabel> drained = new ArrayList<>(completed);
        completed.clear();
        return drained;
    }

    /**
     * Ends the stream: anomalies still in progress are labelled up to their last produced event
     * (call {@link #drainLabels()} afterwards).
     */
    public void finish() {
        for (KeyProcess key : keys) {
            if (key.openKind != null) {
                completed.add(key.label());
                key.openKind = null;
            }
        }
    }
}

package io.vigil.window;

/**
 * An event waiting in {@link WindowAssembler}'s reorder buffer: what is needed to order it and to
 * place it in its key's window, and nothing else. The key is implied by the keyed state, and the
 * raw payload is left behind on purpose: once an event is buffered it can no longer be
 * dead-lettered, so keeping its bytes would only grow the state.
 *
 * @param columns the event's encoded columns, derived ones still NaN
 */
public record PendingEvent(long timestamp, int partition, long offset, float[] columns) {}

package io.vigil.parse;

import io.vigil.ingest.RawEvent;

/**
 * A validated event: its key, its event time (epoch ms) and its feature columns encoded as the
 * model says but not yet normalized. Derived columns (for example seconds since the key's previous
 * event) are NaN here and filled in by the window assembler, which knows the key's history.
 *
 * <p>The raw record rides along until the event is placed in a window, so that an event found to
 * be late can still be dead-lettered with its original bytes.
 */
public record Event(String key, long timestamp, float[] columns, RawEvent source) {}

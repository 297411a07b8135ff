package io.vigil.alert;

import java.util.Locale;

/**
 * Where an alert stands in its incident: the first alert written for it, a later one, or the
 * closing summary written once the key has had no anomalous window for {@code alert.merge-gap}.
 */
public enum IncidentPhase {
    START, UPDATE, END;

    /** The JSON spelling: start, update, end. */
    public String json() {
        return name().toLowerCase(Locale.ROOT);
    }
}

package io.vigil.window;

/**
 * One window of a key, ready for the model: {@code window} holds size × columns normalized values,
 * oldest step first. {@code events} is how many input events this request accounts for (the whole
 * window for a key's first request, the stride after that), so that scored events can be counted.
 *
 * @param timestamp event time of the newest event in the window
 * @param tie how many earlier events of the key have the newest event's time (almost always 0):
 *     windows that end at events of one time are told apart by it, in the order the events are
 *     put in (time, Kafka partition, offset), so a replay tells them apart the same way
 * @param newest the newest step's columns before normalization (what an alert reports as observed:
 *     exact, where a round trip through the normalized float would turn a one-hot 0 into 1e-9)
 */
public record ScoringRequest(String key, long timestamp, int tie, float[] window, float[] newest, int events) {}

package io.vigil.threshold;

/**
 * One window's score next to the threshold it was judged against, for the optional scores topic:
 * what a dashboard needs to plot a key's scores and threshold over time, alerting or not.
 *
 * @param eventTime event time (epoch ms) of the newest event in the window
 * @param threshold the key's threshold at the time, in score units
 * @param alert whether this score raised an alert
 * @param events input events this score accounts for
 */
public record ScoreRecord(String stream, String key, long eventTime, double score, double threshold, boolean alert, int events) {}

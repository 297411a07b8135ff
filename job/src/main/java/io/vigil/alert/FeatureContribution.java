package io.vigil.alert;

/** One model column's share of an alert: what was seen, what the model expected, and the error. */
public record FeatureContribution(String feature, double observed, double expected, double error) {}

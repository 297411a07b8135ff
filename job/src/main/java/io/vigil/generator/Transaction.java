package io.vigil.generator;

/** One payment of an account. */
public record Transaction(
        String accountId,
        long timestamp,
        double amount,
        String currency,
        String merchantCategory,
        String channel,
        String merchantId,
        AnomalyKind anomaly) implements SimulatedEvent {

    @Override
    public String stream() {
        return Generator.TRANSACTIONS;
    }

    @Override
    public String key() {
        return accountId;
    }
}

package io.vigil.generator;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Simulates payment accounts, each paying at random times, with injected anomalies.
 *
 * <p>Normal behaviour per account: a typical amount (lognormal around an account median of 10–120,
 * scaled per merchant category), a preferred mix of a few common categories with a few favourite
 * merchants each, a preferred mix of channels (which also depends on the category: fuel is paid at
 * the pump, utilities online), and gaps between payments that are Gamma distributed (shape
 * {@value #GAP_SHAPE}, mean 5–12 minutes) on an activity clock that runs at full speed by day and at
 * a few percent at night, so about 98% of payments fall between 07:00 and 23:00 UTC and a gap
 * under a minute is rare (well under 1%).
 *
 * <p>Rare merchant categories ({@link #RARE_CATEGORIES}) and channels ({@link #RARE_CHANNELS}) never
 * occur in normal data: a model trained on it should one-hot encode only the common ones, so that a
 * rare value encodes as all zeros, which normal data never shows.
 *
 * <p>State per account: its parameters, the time of its next payment and the anomaly in progress.
 */
public final class TransactionSimulator extends StreamSimulator {

    public static final List<String> COMMON_CATEGORIES = List.of(
            "grocery", "restaurant", "fuel", "pharmacy", "clothing", "electronics", "travel", "utilities", "entertainment");
    public static final List<String> RARE_CATEGORIES = List.of("jewelry", "gambling", "crypto_exchange", "wire_transfer");
    public static final List<String> COMMON_CHANNELS = List.of("pos", "contactless", "online");
    public static final List<String> RARE_CHANNELS = List.of("atm_abroad", "phone");
    public static final String CURRENCY = "EUR";

    /** Typical amount in a category relative to the account's median (same order as COMMON_CATEGORIES). */
    private static final double[] CATEGORY_AMOUNT = {1.0, 0.8, 1.4, 0.6, 1.5, 2.0, 2.5, 1.8, 0.7};
    /** How a category is paid: weights for pos, contactless, online. */
    private static final double[][] CHANNEL_AFFINITY = {
        {1.0, 1.2, 0.3}, // grocery
        {1.0, 1.2, 0.3}, // restaurant
        {1.0, 1.0, 0.05}, // fuel
        {1.0, 1.0, 0.3}, // pharmacy
        {1.0, 0.8, 1.0}, // clothing
        {0.8, 0.5, 1.5}, // electronics
        {0.3, 0.2, 2.0}, // travel
        {0.05, 0.05, 2.0}, // utilities
        {0.6, 0.6, 1.2}, // entertainment
    };
    /** Speed of the activity clock per UTC hour. */
    private static final double[] ACTIVITY = {
        0.03, 0.03, 0.03, 0.03, 0.03, 0.03, 0.03, 0.5, // 00–07
        1.0, 1.0, 1.0, 1.0, 1.3, 1.3, 1.0, 1.0, // 08–15
        1.0, 1.0, 1.3, 1.3, 1.3, 0.8, 0.8, 0.15, // 16–23
    };
    private static final double GAP_SHAPE = 8;
    private static final double MIN_MEAN_GAP_S = 300;
    private static final double MAX_MEAN_GAP_S = 720;
    private static final int MERCHANTS_PER_CATEGORY = 50;
    private static final long HOUR_MS = 3_600_000L;
    private static final long DAY_MS = 24 * HOUR_MS;

    private static final AnomalyKind[] KINDS = {
        AnomalyKind.AMOUNT_OUTLIER, AnomalyKind.UNUSUAL_MERCHANT, AnomalyKind.RAPID_BURST
    };
    /** No anomaly among an account's first payments, so that every key first shows what normal is. */
    static final int WARM_UP_PAYMENTS = 8;
    /** Normal payments after an anomaly before the next may start. */
    static final int QUIET_PAYMENTS = 4;

    public TransactionSimulator(int accounts, long start, double anomalyRate, long seed) {
        super(createAccounts(accounts, start, anomalyRate, seed));
    }

    private static List<Account> createAccounts(int count, long start, double anomalyRate, long seed) {
        List<Account> accounts = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            accounts.add(new Account(i, start, anomalyRate, seed));
        }
        return accounts;
    }

    @Override
    public String stream() {
        return Generator.TRANSACTIONS;
    }

    /** The key of the account with this index: {@code acc-00042}. */
    public static String accountId(int index) {
        return String.format("acc-%05d", index);
    }

    /**
     * How many accounts make {@code eventsPerSecond} payments per second, averaged over a day (the
     * rate follows the activity clock: higher by day, a few percent of it at night).
     */
    public static int accountsForRate(double eventsPerSecond) {
        double meanActivity = 0;
        for (double a : ACTIVITY) {
            meanActivity += a / ACTIVITY.length;
        }
        // mean over accounts of 1 / (mean gap), the gap's mean being uniform in [MIN, MAX]
        double paymentsPerSecond = meanActivity * Math.log(MAX_MEAN_GAP_S / MIN_MEAN_GAP_S) / (MAX_MEAN_GAP_S - MIN_MEAN_GAP_S);
        return (int) Math.max(1, Math.round(eventsPerSecond / paymentsPerSecond));
    }

    static String merchantId(int categoryBlock, int merchant) {
        return String.format("m-%04d", categoryBlock * MERCHANTS_PER_CATEGORY + merchant);
    }

    /** The time {@code activeSeconds} of the activity clock after {@code from}. */
    static long advance(long from, double activeSeconds) {
        long time = from;
        double remaining = activeSeconds;
        while (true) {
            double speed = ACTIVITY[(int) (Math.floorMod(time, DAY_MS) / HOUR_MS)];
            long toNextHour = HOUR_MS - Math.floorMod(time, HOUR_MS);
            double activeToNextHour = speed * toNextHour / 1000.0;
            if (activeToNextHour >= remaining) {
                return time + Math.round(remaining / speed * 1000.0);
            }
            remaining -= activeToNextHour;
            time += toNextHour;
        }
    }

    /** The first time at or after {@code time} that lies between 01:00 and 05:00 UTC. */
    static long nightTimeFrom(long time, Random random) {
        long hour = Math.floorMod(time, DAY_MS) / HOUR_MS;
        if (hour >= 1 && hour < 5) {
            return time;
        }
        long night = Math.floorDiv(time, DAY_MS) * DAY_MS + HOUR_MS + (long) (random.nextDouble() * 4 * HOUR_MS);
        return night >= time ? night : night + DAY_MS;
    }

    private static final class Account extends KeyProcess {
        private final double anomalyRate;
        /** Draws normal behaviour; the anomalies draw from their own generator. */
        private final Random behaviour;
        private final Random anomalies;

        private final double medianAmount;
        private final double amountSigma;
        private final double meanGapS;
        private final double[] categoryWeights = new double[COMMON_CATEGORIES.size()];
        private final double[] channelWeights = new double[COMMON_CHANNELS.size()];
        private final int[][] favouriteMerchants = new int[COMMON_CATEGORIES.size()][];

        private long payments;
        private long quietUntil = WARM_UP_PAYMENTS;
        // the anomaly planned for the next payment (null: a normal one)
        private AnomalyKind planned;
        private double outlierFactor;
        /** Normal payments stay below about 700 (their 99.99th percentile); outliers start well above. */
        private static final double MIN_OUTLIER_AMOUNT = 2_000;
        private int burstLeft;
        private int burstCategory;
        private String burstMerchant;

        Account(int index, long start, double anomalyRate, long seed) {
            super(index, accountId(index));
            this.anomalyRate = anomalyRate;
            Random params = new Random(Distributions.seed(seed, Generator.TRANSACTIONS, index, "params"));
            this.behaviour = new Random(Distributions.seed(seed, Generator.TRANSACTIONS, index, "behaviour"));
            this.anomalies = new Random(Distributions.seed(seed, Generator.TRANSACTIONS, index, "anomalies"));
            medianAmount = Distributions.logUniform(params, 10, 120);
            amountSigma = Distributions.uniform(params, 0.25, 0.45);
            meanGapS = Distributions.uniform(params, MIN_MEAN_GAP_S, MAX_MEAN_GAP_S);
            // a handful of categories with uneven weights: everyone shops differently
            int preferred = Distributions.between(params, 3, 7);
            for (int i = 0; i < preferred; i++) {
                categoryWeights[params.nextInt(categoryWeights.length)] += -Math.log(1 - params.nextDouble());
            }
            for (int c = 0; c < channelWeights.length; c++) {
                channelWeights[c] = 0.1 - Math.log(1 - params.nextDouble());
            }
            for (int c = 0; c < favouriteMerchants.length; c++) {
                favouriteMerchants[c] = new int[Distributions.between(params, 1, 3)];
                for (int m = 0; m < favouriteMerchants[c].length; m++) {
                    favouriteMerchants[c][m] = params.nextInt(MERCHANTS_PER_CATEGORY);
                }
            }
            // the first payment anywhere within one gap, so that accounts do not start in step
            nextTime = advance(start, params.nextDouble() * gap());
        }

        @Override
        String stream() {
            return Generator.TRANSACTIONS;
        }

        private double gap() {
            return Distributions.gamma(behaviour, GAP_SHAPE, meanGapS / GAP_SHAPE);
        }

        private double typicalAmount(int category) {
            return medianAmount * CATEGORY_AMOUNT[category];
        }

        @Override
        SimulatedEvent emit() {
            long timestamp = nextTime;
            AnomalyKind kind = planned;
            Transaction payment = kind == null ? normal(timestamp) : anomalous(kind, timestamp);
            payments++;
            if (kind != null) {
                affected(kind, null, timestamp);
            }
            if (kind == AnomalyKind.RAPID_BURST && --burstLeft > 0) {
                nextTime = timestamp + Math.round(Distributions.uniform(anomalies, 1_000, 15_000));
                return payment;
            }
            if (kind != null) {
                anomalyEnded();
                quietUntil = payments + QUIET_PAYMENTS;
            }
            planned = null;
            nextTime = advance(timestamp, gap());
            if (payments >= quietUntil && anomalies.nextDouble() < anomalyRate) {
                plan();
            }
            return payment;
        }

        private Transaction normal(long timestamp) {
            int category = Distributions.weighted(behaviour, categoryWeights);
            double[] channelMix = new double[channelWeights.length];
            for (int c = 0; c < channelMix.length; c++) {
                channelMix[c] = channelWeights[c] * CHANNEL_AFFINITY[category][c];
            }
            String channel = COMMON_CHANNELS.get(Distributions.weighted(behaviour, channelMix));
            int[] favourites = favouriteMerchants[category];
            int merchant = behaviour.nextDouble() < 0.85
                    ? favourites[behaviour.nextInt(favourites.length)]
                    : behaviour.nextInt(MERCHANTS_PER_CATEGORY);
            double amount = typicalAmount(category) * Math.exp(amountSigma * behaviour.nextGaussian());
            return new Transaction(key, timestamp, cents(amount), CURRENCY, COMMON_CATEGORIES.get(category), channel,
                    merchantId(category, merchant), null);
        }

        private void plan() {
            planned = KINDS[anomalies.nextInt(KINDS.length)];
            switch (planned) {
                case AMOUNT_OUTLIER -> outlierFactor = Distributions.logUniform(anomalies, 30, 200);
                case UNUSUAL_MERCHANT -> {
                    // card fraud likes the hours when the card holder sleeps
                    if (anomalies.nextDouble() < 0.7) {
                        nextTime = nightTimeFrom(nextTime, anomalies);
                    }
                }
                case RAPID_BURST -> {
                    // card testing: one merchant of a category the account uses, hit again and again online
                    burstLeft = Distributions.between(anomalies, 6, 12);
                    burstCategory = Distributions.weighted(anomalies, categoryWeights);
                    burstMerchant = merchantId(burstCategory, anomalies.nextInt(MERCHANTS_PER_CATEGORY));
                }
                default -> throw new IllegalStateException("not a transaction anomaly: " + planned);
            }
        }

        private Transaction anomalous(AnomalyKind kind, long timestamp) {
            return switch (kind) {
                case AMOUNT_OUTLIER -> {
                    Transaction usual = normal(timestamp);
                    int category = COMMON_CATEGORIES.indexOf(usual.merchantCategory());
                    // A large purchase for the account and for the population: the built-in transaction model
                    // scores one payment without the account's history, so it knows what is large only in absolute terms.
                    double amount = Math.max(MIN_OUTLIER_AMOUNT, typicalAmount(category) * outlierFactor);
                    yield new Transaction(key, timestamp, cents(amount), CURRENCY,
                            usual.merchantCategory(), usual.channel(), usual.merchantId(), kind);
                }
                case UNUSUAL_MERCHANT -> unusualMerchant(timestamp);
                case RAPID_BURST -> new Transaction(key, timestamp,
                        cents(typicalAmount(burstCategory) * Math.exp(amountSigma * anomalies.nextGaussian())), CURRENCY,
                        COMMON_CATEGORIES.get(burstCategory), "online", burstMerchant, kind);
                default -> throw new IllegalStateException("not a transaction anomaly: " + kind);
            };
        }

        /** A rare category (most often) and/or a rare channel; at least one of the two. */
        private Transaction unusualMerchant(long timestamp) {
            boolean rareCategory = anomalies.nextDouble() < 0.75;
            boolean rareChannel = !rareCategory || anomalies.nextBoolean();
            String category;
            String merchant;
            double amount;
            if (rareCategory) {
                int rare = anomalies.nextInt(RARE_CATEGORIES.size());
                category = RARE_CATEGORIES.get(rare);
                merchant = merchantId(COMMON_CATEGORIES.size() + rare, anomalies.nextInt(MERCHANTS_PER_CATEGORY));
                amount = medianAmount * Distributions.logUniform(anomalies, 2, 15);
            } else {
                int common = Distributions.weighted(anomalies, categoryWeights);
                category = COMMON_CATEGORIES.get(common);
                merchant = merchantId(common, anomalies.nextInt(MERCHANTS_PER_CATEGORY));
                amount = typicalAmount(common) * Math.exp(amountSigma * anomalies.nextGaussian());
            }
            String channel;
            if (rareChannel) {
                channel = RARE_CHANNELS.get(anomalies.nextInt(RARE_CHANNELS.size()));
            } else {
                channel = category.equals("jewelry") ? "pos" : "online";
            }
            return new Transaction(key, timestamp, cents(amount), CURRENCY, category, channel, merchant,
                    AnomalyKind.UNUSUAL_MERCHANT);
        }

        private static double cents(double amount) {
            return Math.max(0.5, Math.round(amount * 100) / 100.0);
        }
    }
}

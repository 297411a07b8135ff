package io.vigil.generator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TransactionSimulatorTest {

    private static final long START = GeneratorConfig.DEFAULT_START.toEpochMilli();
    private static final long HOUR_MS = 3_600_000L;

    private record Run(Map<String, List<Transaction>> payments, List<AnomalyLabel> labels) {}

    private static Run simulate(int accounts, int payments, double anomalyRate, long seed) {
        TransactionSimulator simulator = new TransactionSimulator(accounts, START, anomalyRate, seed);
        Map<String, List<Transaction>> byAccount = new HashMap<>();
        for (int i = 0; i < payments; i++) {
            Transaction payment = (Transaction) simulator.next();
            byAccount.computeIfAbsent(payment.accountId(), k -> new ArrayList<>()).add(payment);
        }
        simulator.finish();
        return new Run(byAccount, simulator.drainLabels());
    }

    @Test
    void normalPaymentsAreMinutesApartMostlyByDayInCommonCategoriesAndChannels() {
        Run run = simulate(200, 60_000, 0, 5);
        int total = 0;
        int shortGaps = 0;
        int gaps = 0;
        int byDay = 0;
        double gapSum = 0;
        for (List<Transaction> account : run.payments().values()) {
            for (int i = 0; i < account.size(); i++) {
                Transaction payment = account.get(i);
                total++;
                assertTrue(TransactionSimulator.COMMON_CATEGORIES.contains(payment.merchantCategory()), payment.toString());
                assertTrue(TransactionSimulator.COMMON_CHANNELS.contains(payment.channel()), payment.toString());
                assertTrue(payment.amount() > 0, payment.toString());
                long hour = Math.floorMod(payment.timestamp(), 24 * HOUR_MS) / HOUR_MS;
                if (hour >= 7 && hour < 23) {
                    byDay++;
                }
                if (i > 0) {
                    long gap = payment.timestamp() - account.get(i - 1).timestamp();
                    assertTrue(gap > 0, "payments of an account are strictly ordered");
                    gaps++;
                    gapSum += gap;
                    if (gap < 60_000) {
                        shortGaps++;
                    }
                }
            }
        }
        assertEquals(60_000, total);
        assertTrue(shortGaps < 0.002 * gaps, "gaps under a minute: " + shortGaps + " of " + gaps);
        assertTrue(byDay > 0.95 * total, "between 07:00 and 23:00: " + byDay + " of " + total);
        double meanGapMinutes = gapSum / gaps / 60_000;
        assertTrue(meanGapMinutes > 3 && meanGapMinutes < 30, "mean gap " + meanGapMinutes + " min");
    }

    @Test
    void accountsHaveTheirOwnTypicalAmountsAndCategoryMix() {
        Run run = simulate(50, 20_000, 0, 5);
        double lowest = Double.MAX_VALUE;
        double highest = 0;
        Set<String> favourites = new HashSet<>();
        for (List<Transaction> account : run.payments().values()) {
            double median = median(account.stream().mapToDouble(Transaction::amount).toArray());
            lowest = Math.min(lowest, median);
            highest = Math.max(highest, median);
            Map<String, Integer> counts = new HashMap<>();
            account.forEach(p -> counts.merge(p.merchantCategory(), 1, Integer::sum));
            favourites.add(counts.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey());
            assertTrue(counts.size() <= 7, "an account uses a few categories, not " + counts.size());
        }
        assertTrue(highest / lowest > 4, "account medians span " + lowest + " to " + highest);
        assertTrue(favourites.size() >= 4, "favourite categories: " + favourites);
    }

    @Test
    void injectedAnomaliesLookTheWayTheirKindSays() {
        Run run = simulate(100, 60_000, 0.02, 9);
        Map<AnomalyKind, Integer> seen = new HashMap<>();
        for (AnomalyLabel label : run.labels()) {
            List<Transaction> account = run.payments().get(label.key());
            List<Transaction> inside = account.stream().filter(p -> label.covers(p.timestamp())).toList();
            List<Transaction> normal = account.stream().filter(p -> p.anomaly() == null).toList();
            seen.merge(label.kind(), 1, Integer::sum);
            switch (label.kind()) {
                case AMOUNT_OUTLIER -> {
                    assertEquals(1, inside.size());
                    double usual = median(normal.stream().mapToDouble(Transaction::amount).toArray());
                    assertTrue(inside.get(0).amount() > 10 * usual, inside.get(0) + " vs median " + usual);
                }
                case UNUSUAL_MERCHANT -> {
                    assertEquals(1, inside.size());
                    Transaction payment = inside.get(0);
                    assertTrue(TransactionSimulator.RARE_CATEGORIES.contains(payment.merchantCategory())
                            || TransactionSimulator.RARE_CHANNELS.contains(payment.channel()), payment.toString());
                }
                case RAPID_BURST -> {
                    boolean complete = label.end() != account.get(account.size() - 1).timestamp();
                    assertTrue(!complete || (inside.size() >= 6 && inside.size() <= 12), label + ": " + inside.size());
                    for (int i = 1; i < inside.size(); i++) {
                        long gap = inside.get(i).timestamp() - inside.get(i - 1).timestamp();
                        assertTrue(gap >= 1_000 && gap <= 15_000, label + ": gap " + gap);
                    }
                }
                default -> throw new AssertionError("not a transaction anomaly: " + label);
            }
        }
        assertEquals(Set.of(AnomalyKind.AMOUNT_OUTLIER, AnomalyKind.UNUSUAL_MERCHANT, AnomalyKind.RAPID_BURST), seen.keySet());
        assertTrue(seen.values().stream().allMatch(n -> n >= 10), "anomalies: " + seen);
    }

    @Test
    void unusualMerchantsComeMostlyAtNight() {
        Run run = simulate(100, 60_000, 0.02, 9);
        int total = 0;
        int atNight = 0;
        for (AnomalyLabel label : run.labels()) {
            if (label.kind() == AnomalyKind.UNUSUAL_MERCHANT) {
                total++;
                long hour = Math.floorMod(label.start(), 24 * HOUR_MS) / HOUR_MS;
                if (hour >= 1 && hour < 5) {
                    atNight++;
                }
            }
        }
        assertTrue(atNight > 0.5 * total, atNight + " of " + total + " at 01:00-05:00");
    }

    @Test
    void activityClockRunsSlowAtNight() {
        // 10 active minutes from midday take 10 minutes at speed 1.3 / 1.0; from 02:00 they take hours
        long noon = START + 12 * HOUR_MS;
        assertTrue(TransactionSimulator.advance(noon, 600) - noon < 10 * 60_000);
        long night = START + 2 * HOUR_MS;
        assertTrue(TransactionSimulator.advance(night, 600) - night > 3 * HOUR_MS);
        long t = TransactionSimulator.nightTimeFrom(noon, new Random(1));
        assertTrue(t > noon && (Math.floorMod(t, 24 * HOUR_MS) / HOUR_MS) >= 1 && (Math.floorMod(t, 24 * HOUR_MS) / HOUR_MS) < 5);
    }

    @Test
    void accountsForRateMatchTheObservedRate() {
        int accounts = TransactionSimulator.accountsForRate(10);
        TransactionSimulator simulator = new TransactionSimulator(accounts, START, 0, 1);
        long dayEnd = START + 24 * HOUR_MS;
        long payments = 0;
        while (simulator.peekTime() < dayEnd) {
            simulator.next();
            payments++;
        }
        double perSecond = payments / 86_400.0;
        assertTrue(perSecond > 8 && perSecond < 12, accounts + " accounts paid " + perSecond + " per second");
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}

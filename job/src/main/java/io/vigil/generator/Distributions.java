package io.vigil.generator;

import java.util.Random;

/**
 * The few distributions the simulators draw from, on {@link Random} because its algorithm (and so
 * every generated file for a given seed) is fixed by its specification, on every JVM.
 */
final class Distributions {

    private Distributions() {}

    /**
     * A seed for one purpose of one key, so that each key's series depends only on the run's seed
     * and the key's index: adding keys or anomalies does not change the normal series of the others.
     */
    static long seed(long runSeed, String stream, int keyIndex, String purpose) {
        long h = runSeed;
        h = mix(h ^ stream.hashCode());
        h = mix(h ^ keyIndex);
        return mix(h ^ purpose.hashCode());
    }

    /** The SplitMix64 finalizer: spreads nearby inputs over the whole 64-bit range. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    static double uniform(Random random, double from, double to) {
        return from + (to - from) * random.nextDouble();
    }

    /** Uniform on a log scale: as likely to be ×2 as ×0.5 of the geometric middle. */
    static double logUniform(Random random, double from, double to) {
        return Math.exp(uniform(random, Math.log(from), Math.log(to)));
    }

    /** An integer in {@code [from, to]}, both included. */
    static int between(Random random, int from, int to) {
        return from + random.nextInt(to - from + 1);
    }

    static double sign(Random random) {
        return random.nextBoolean() ? 1.0 : -1.0;
    }

    /** Gamma(shape, scale) for shape >= 1, by Marsaglia and Tsang's method. */
    static double gamma(Random random, double shape, double scale) {
        double d = shape - 1.0 / 3.0;
        double c = 1.0 / Math.sqrt(9.0 * d);
        while (true) {
            double x = random.nextGaussian();
            double v = 1.0 + c * x;
            if (v <= 0) {
                continue;
            }
            v = v * v * v;
            double u = random.nextDouble();
            if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) {
                return d * v * scale;
            }
        }
    }

    /** An index drawn with probability proportional to its weight. */
    static int weighted(Random random, double[] weights) {
        double total = 0;
        for (double w : weights) {
            total += w;
        }
        double r = random.nextDouble() * total;
        for (int i = 0; i < weights.length; i++) {
            r -= weights[i];
            if (r < 0) {
                return i;
            }
        }
        return weights.length - 1;
    }
}

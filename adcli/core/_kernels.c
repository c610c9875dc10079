/* tanh and its derivative sech² on float64 arrays, one vectorised pass (adcli/core/tanh.py loads it with ctypes).

Why: numpy's float64 exp and tanh are the C library's scalar functions on a host without AVX-512 (5 and 14 ns
an entry); the network loss's tanh was half of its gradient and PyTorch's vectorised one (SLEEF) is 3× faster.
This loop has no calls, so the compiler vectorises it (AVX2 with FMA where the CPU has them: target_clones
picks at load time). Plain C, no Python API: built where a compiler is (setup.py, optional), and where it is
not, tanh.py's numpy passes give the same numbers to within their ulps.

With a = |x| and e = exp(-2a) = 2^k (1 + p), p = expm1(r), r = -2a - k ln2, |r| <= ln2/2:

    tanh(x) = sign(x) (1 - e)/(1 + e) = sign(x) ((1 - 2^k) - 2^k p) / ((1 + 2^k) + 2^k p)
    sech²(x) = 4e/(1 + e)²

1 - e never cancels: for k = 0 it is -p itself (p from its series, not from 1 + p), for k <= -1 it is >= 1/2.
2^k is made from its bits, in two halves so that each is a normal number down to k = -1155 (|x| is clamped at
400, past which tanh is ±1 and sech² underflows to 0). NaN gives NaN; ±inf gives ±1 and 0. */

#include <stdint.h>
#include <string.h>

#if defined(__GNUC__) && defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
#endif
#ifndef CLONES
#define CLONES
#endif

static const double SHIFT = 0x1.8p52;     /* adding it rounds a double below 2^51 to an integer, in its low bits */
static const double LOG2E = 0x1.71547652b82fep0;
static const double LN2_HI = 0x1.62e42fee00000p-1; /* ln 2 in two parts: k·LN2_HI is exact for |k| < 2^21 */
static const double LN2_LO = 0x1.a39ef35793c76p-33;
static const double CLAMP = 400.0;

static inline double from_bits(uint64_t u) {
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static inline uint64_t to_bits(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* 2^m for a whole m in [-1022, 1023] held in a double: its exponent bits */
static inline double pow2(double m) {
    uint64_t i = to_bits(m + SHIFT) - to_bits(SHIFT);
    return from_bits((i + 1023) << 52);
}

/* expm1(r) for |r| <= ln2/2: its Taylor series to r^13 (the rest is below 5e-18 of it) */
static inline double expm1_small(double r) {
    double q = 1.0 / 6227020800.0;
    q = q * r + 1.0 / 479001600.0;
    q = q * r + 1.0 / 39916800.0;
    q = q * r + 1.0 / 3628800.0;
    q = q * r + 1.0 / 362880.0;
    q = q * r + 1.0 / 40320.0;
    q = q * r + 1.0 / 5040.0;
    q = q * r + 1.0 / 720.0;
    q = q * r + 1.0 / 120.0;
    q = q * r + 1.0 / 24.0;
    q = q * r + 1.0 / 6.0;
    q = q * r + 0.5;
    return r + (r * r) * q;
}

/* a + b and its rounding error, for |a| >= |b| (Fast2Sum) */
static inline double two_sum(double a, double b, double *err) {
    double s = a + b;
    *err = b - (s - a);
    return s;
}

/* one entry: its value, and its sech² into *d. 1 ± e and 4e are each summed with their rounding error
   (2^k·p is exact: a power of 2 times p) and the quotients corrected by them, so that what is left is the
   divisions' roundings (and 1/(1 + e)'s, squared, in sech²) and p's own (|2^k·p| < 0.42·2^k). */
static inline double one(double x, double *d) {
    double a = __builtin_fabs(x);
    a = a > CLAMP ? CLAMP : a; /* NaN stays NaN */
    double u = -2.0 * a;
    double k = (u * LOG2E + SHIFT) - SHIFT;
    double r = (u - k * LN2_HI) - k * LN2_LO;
    double p = expm1_small(r);
    double k1 = (k * 0.5 + SHIFT) - SHIFT;
    double s1 = pow2(k1), s2 = pow2(k - k1); /* 2^k = s1·s2, each normal */
    double s = s1 * s2;
    double sp = s * p;
    double den_err, num_err;
    double den = two_sum(1.0 + s, sp, &den_err); /* 1 ± s is exact down to k = -53; below, s is below any ulp */
    double num = two_sum(1.0 - s, -sp, &num_err);
    double inv = 1.0 / den;
    double t = num / den;
    t += (num_err - t * den_err) * inv; /* (num + num_err)/(den + den_err), to first order */
    double e4_err;
    double e4 = two_sum(4.0 * s1, 4.0 * s1 * p, &e4_err); /* 4e / s2: normal, so no rounding into subnormals yet */
    double q = e4 * inv * inv;
    q += (e4_err * inv - 2.0 * q * den_err) * inv; /* (e4 + e4_err)/(den + den_err)², to first order */
    *d = q * s2; /* the one rounding into subnormals, where sech² is one */
    uint64_t sign = to_bits(x) & 0x8000000000000000ull;
    return from_bits(to_bits(t) | sign);
}

/* the version of this file's functions: core/kernels.py loads only its own (a stale build is not used) */
int adcli_kernels_version(void) { return 2; }

CLONES void adcli_tanh_sech2(const double *x, double *o, double *d, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        double di;
        o[i] = one(x[i], &di);
        d[i] = di;
    }
}

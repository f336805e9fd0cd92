/* Vector types and helpers shared by the kernels of ops_impl.h: loads and stores, lane sums, max/min with the
 * reference's NaN behaviour, a vectorized exp, the thread-pool helpers and row reductions. Part of the per-level
 * template (see ops_impl.h); not a header to include on its own. */

typedef float vf __attribute__((vector_size(VL * 4)));
typedef float vfu __attribute__((vector_size(VL * 4), aligned(4), may_alias)); /* unaligned access */
typedef int32_t vi __attribute__((vector_size(VL * 4)));
typedef uint32_t vu __attribute__((vector_size(VL * 4)));
typedef float vfh __attribute__((vector_size(VL * 2), aligned(4), may_alias)); /* half a vector, unaligned */
typedef double vdh __attribute__((vector_size(VL * 4)));                      /* VL/2 doubles: one register */

static inline vf LD(const float *p) { return *(const vfu *)p; }
static inline void ST(float *p, vf v) { *(vfu *)p = v; }
/* s in every lane (s − 0 is s for every s, −0 and NaN included, and compiles to one broadcast) */
static inline vf SPLAT(float s) { return s - (vf){0}; }
/* The first n (< VL) values of p, the other lanes set to pad. */
static inline vf LD_TAIL(const float *p, long n, float pad) {
  float t[VL] __attribute__((aligned(64)));
  for (int l = 0; l < VL; l++) t[l] = l < n ? p[l] : pad;
  return LD(t);
}
static inline void ST_TAIL(float *p, long n, vf v) {
  float t[VL] __attribute__((aligned(64)));
  ST(t, v);
  for (long l = 0; l < n; l++) p[l] = t[l];
}
/* VL/2 floats from p, widened to double */
static inline vdh LDH_D(const float *p) { return __builtin_convertvector(*(const vfh *)p, vdh); }

/* v_max(a, b) = a > b ? a : b and v_min(a, b) = a < b ? a : b, lane by lane: a NaN in b survives, a NaN in a
 * does not (the semantics of maxps/minps, and of the reference's `if (x > m) m = x`). */
/* lane-wise m ? a : b for a mask m of all-ones / all-zeros lanes (a vector comparison's result) */
static inline vf v_sel(vi m, vf a, vf b) { return (vf)(((vi)a & m) | ((vi)b & ~m)); }
#if defined(__AVX512F__) && VL == 16
static inline vf v_max(vf a, vf b) { return _mm512_max_ps(a, b); }
static inline vf v_min(vf a, vf b) { return _mm512_min_ps(a, b); }
#elif defined(__AVX__) && VL == 8
static inline vf v_max(vf a, vf b) { return _mm256_max_ps(a, b); }
static inline vf v_min(vf a, vf b) { return _mm256_min_ps(a, b); }
#else
static inline vf v_max(vf a, vf b) { return v_sel(a > b, a, b); }
static inline vf v_min(vf a, vf b) { return v_sel(a < b, a, b); }
#endif

/* The sum of the lanes by halving (a fixed order; a serial chain over 16 lanes was a latency bottleneck). */
typedef float vf2_ __attribute__((vector_size(8)));
typedef float vf4_ __attribute__((vector_size(16)));
typedef float vf8_ __attribute__((vector_size(32)));
static inline float hsum_f(vf v) {
#if VL == 16
  vf8_ a8, b8;
  memcpy(&a8, &v, 32);
  memcpy(&b8, (const char *)&v + 32, 32);
  const vf8_ s8 = a8 + b8;
#elif VL == 8
  const vf8_ s8 = v;
#endif
#if VL >= 8
  vf4_ a4, b4;
  memcpy(&a4, &s8, 16);
  memcpy(&b4, (const char *)&s8 + 16, 16);
  const vf4_ s4 = a4 + b4;
#else
  const vf4_ s4 = v;
#endif
  vf2_ a2, b2;
  memcpy(&a2, &s4, 8);
  memcpy(&b2, (const char *)&s4 + 8, 8);
  const vf2_ s2 = a2 + b2;
  return s2[0] + s2[1];
}
static inline double hsum_d(vf v) { return (double)hsum_f(v); }
static inline double hsum_dh(vdh v) {
  double s = 0;
  for (int l = 0; l < VL / 2; l++) s += v[l];
  return s;
}

/* e^x, branch-free: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-6 polynomial (relative error about
 * 1.2e-7, fitted for this kernel), then scaled by 2^n. The generic version builds 2^n in the exponent bits after
 * clamping x to [-88, 89]: n = −127 gives exponent bits 0 and the result 0 (results below about 2^−126.5 flush
 * to 0), n = 128 gives exponent bits 255 and +Inf (results above about 2^127.5, x > 88.38, overflow early; the
 * kernels only take exp of values ≤ 0, or of −gate in silu where it does not matter). The clamps keep a NaN
 * (v_min/v_max keep their second operand's NaN), and NaN flows through the polynomial. */
#if defined(__AVX512F__) && VL == 16
/* AVX-512 has the two steps that cost most in the generic version: rounding (vrndscaleps) and scaling by 2^n
 * (vscalefps, which also gives +Inf on overflow and 0 or a denormal on underflow). The clamps keep ±Inf out of
 * the reduction (Inf − Inf) and keep NaN. */
static inline vf vexp(vf x) {
  x = _mm512_min_ps(_mm512_set1_ps(129.0f), x);
  x = _mm512_max_ps(_mm512_set1_ps(-104.0f), x);
  const vf n = _mm512_roundscale_ps(x * SPLAT(1.44269504f), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  vf r = x - n * SPLAT(0.693359375f);
  r = r - n * SPLAT(-2.12194440e-4f);
  vf q = SPLAT(0.0013831556f);
  q = q * r + SPLAT(0.0083687007f);
  q = q * r + SPLAT(0.041668084f);
  q = q * r + SPLAT(0.16666521f);
  q = q * r + SPLAT(0.49999994f);
  const vf p = (r * r) * q + r + SPLAT(1.0f);
  return _mm512_scalef_ps(p, n);
}
#else
static inline vf vexp(vf x) {
  x = v_min(SPLAT(89.0f), x);
  x = v_max(SPLAT(-88.0f), x);
  const vf shifter = SPLAT(12582912.0f); /* 1.5·2^23: adding and subtracting it rounds to an integer */
  vf n = (x * SPLAT(1.44269504f) + shifter) - shifter;
  vf r = x - n * SPLAT(0.693359375f); /* ln 2 split in two so that n·hi is exact */
  r = r - n * SPLAT(-2.12194440e-4f);
  vf q = SPLAT(0.0013831556f);
  q = q * r + SPLAT(0.0083687007f);
  q = q * r + SPLAT(0.041668084f);
  q = q * r + SPLAT(0.16666521f);
  q = q * r + SPLAT(0.49999994f);
  const vf p = (r * r) * q + r + SPLAT(1.0f);
  const vu bits = ((vu)__builtin_convertvector(n, vi) + 127u) << 23;
  return p * (vf)bits;
}
#endif

/* ---------------------------------------------------------------- threading helpers */
/* Below about this many elements of memory-bound work (~10 µs) the pool is not worth waking. */
#define PAR_MIN 32768L
/* Elements per task for elementwise kernels. */
#define EW_GRAIN 16384L

typedef void (*range_fn)(void *ctx, long i0, long i1, int thread);
typedef struct {
  range_fn fn;
  void *ctx;
  long n, grain;
} range_job;

static void range_task(void *c, int task, int thread) {
  const range_job *j = c;
  const long i0 = (long)task * j->grain;
  const long i1 = i0 + j->grain < j->n ? i0 + j->grain : j->n;
  j->fn(j->ctx, i0, i1, thread);
}

/* Runs fn over [0, n) in pieces of `grain`, on the pool when `parallel`. Only for kernels whose results do
 * not depend on how the range is cut. */
static void par_for(long n, long grain, int parallel, range_fn fn, void *ctx) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  if (!parallel || n <= grain || tp_num_threads() == 1) {
    fn(ctx, 0, n, 0);
    return;
  }
  range_job j = {fn, ctx, n, grain};
  tp_parallel_for((int)((n + grain - 1) / grain), range_task, &j);
}

/* Runs fn(ctx, t, thread) for t < n_tasks, on the pool when `parallel`. */
static void par_tasks(int n_tasks, int parallel, tp_fn fn, void *ctx) {
  if (n_tasks <= 0) return;
  if (!parallel || n_tasks == 1 || tp_num_threads() == 1) {
    for (int t = 0; t < n_tasks; t++) fn(ctx, t, 0);
    return;
  }
  tp_parallel_for(n_tasks, fn, ctx);
}

/* A temporary buffer for partial results, owned by the calling thread (pool thread 0) for the duration of
 * one kernel call. Attention tasks use slots 2 and 3 of every thread, but never while another kernel runs. */
static void *op_buffer(size_t bytes) {
  void *p = tp_scratch(0, 3, bytes);
  if (!p) abort();
  return p;
}

/* ---------------------------------------------------------------- row helpers */
/* Σ a[i]·b[i] with float lanes, lanes added in double: for rows of a few thousand values. */
static double row_dot(const float *a, const float *b, long n) {
  vf s0 = SPLAT(0), s1 = SPLAT(0);
  long i = 0;
  for (; i + 2 * VL <= n; i += 2 * VL) {
    s0 += LD(a + i) * LD(b + i);
    s1 += LD(a + i + VL) * LD(b + i + VL);
  }
  if (i + VL <= n) {
    s0 += LD(a + i) * LD(b + i);
    i += VL;
  }
  double s = hsum_d(s0 + s1);
  for (; i < n; i++) s += (double)(a[i] * b[i]);
  return s;
}

static double row_sum(const float *a, long n) {
  vf s0 = SPLAT(0), s1 = SPLAT(0);
  long i = 0;
  for (; i + 2 * VL <= n; i += 2 * VL) {
    s0 += LD(a + i);
    s1 += LD(a + i + VL);
  }
  if (i + VL <= n) {
    s0 += LD(a + i);
    i += VL;
  }
  double s = hsum_d(s0 + s1);
  for (; i < n; i++) s += a[i];
  return s;
}

/* Σ (a[i] − c)² */
static double row_sumsq_centered(const float *a, long n, float c) {
  const vf vc = SPLAT(c);
  vf s0 = SPLAT(0), s1 = SPLAT(0);
  long i = 0;
  for (; i + 2 * VL <= n; i += 2 * VL) {
    const vf d0 = LD(a + i) - vc, d1 = LD(a + i + VL) - vc;
    s0 += d0 * d0;
    s1 += d1 * d1;
  }
  if (i + VL <= n) {
    const vf d0 = LD(a + i) - vc;
    s0 += d0 * d0;
    i += VL;
  }
  double s = hsum_d(s0 + s1);
  for (; i < n; i++) {
    const float d = a[i] - c;
    s += (double)(d * d);
  }
  return s;
}

/* max of n values ignoring NaN (as the reference's `if (x > m) m = x`); −Inf when n = 0. */
static float row_max(const float *x, long n) {
  vf m0 = SPLAT(-INFINITY), m1 = m0;
  long i = 0;
  for (; i + 2 * VL <= n; i += 2 * VL) {
    m0 = v_max(LD(x + i), m0);
    m1 = v_max(LD(x + i + VL), m1);
  }
  if (i + VL <= n) {
    m0 = v_max(LD(x + i), m0);
    i += VL;
  }
  m0 = v_max(m0, m1);
  float m = -INFINITY;
  for (int l = 0; l < VL; l++)
    if (m0[l] > m) m = m0[l];
  for (; i < n; i++)
    if (x[i] > m) m = x[i];
  return m;
}

/* Σ exp(x[i] − shift), float lanes; with `store`, x[i] is replaced by exp(x[i] − shift). For rows up to a few
 * thousand values (longer ones are cut into pieces by the caller, which adds the pieces in double). */
static double row_exp_sum(float *x, long n, float shift, int store) {
  const vf sh = SPLAT(shift);
  vf s0 = SPLAT(0), s1 = SPLAT(0);
  long i = 0;
  for (; i + 2 * VL <= n; i += 2 * VL) {
    const vf e0 = vexp(LD(x + i) - sh), e1 = vexp(LD(x + i + VL) - sh);
    if (store) {
      ST(x + i, e0);
      ST(x + i + VL, e1);
    }
    s0 += e0;
    s1 += e1;
  }
  if (i + VL <= n) {
    const vf e0 = vexp(LD(x + i) - sh);
    if (store) ST(x + i, e0);
    s0 += e0;
    i += VL;
  }
  if (i < n) {
    float t[VL] __attribute__((aligned(64)));
    ST(t, vexp(LD_TAIL(x + i, n - i, 0.0f) - sh));
    for (long l = n - i; l < VL; l++) t[l] = 0.0f; /* lanes past the end must not count */
    if (store) memcpy(x + i, t, (size_t)(n - i) * sizeof(float));
    s1 += LD(t);
  }
  return hsum_d(s0 + s1);
}

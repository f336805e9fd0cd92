/* RMSNorm and per-head LayerNorm with their backward passes. Part of the per-level template (see ops_impl.h). */
typedef struct {
  float *out, *rstd, *mean, *dx, *dgain_part;
  double *dscale_part;
  const float *x, *gain, *dout, *rstd_in, *mean_in;
  long rows, dim, heads, head_dim;
  double eps, scale;
  int accumulate;
} norm_ctx;

static long rows_grain(long dim) {
  const long g = EW_GRAIN / (dim > 0 ? dim : 1);
  return g > 0 ? g : 1;
}

static void rms_norm_range(void *c, long r0, long r1, int thread) {
  (void)thread;
  const norm_ctx *p = c;
  const long dim = p->dim;
  for (long r = r0; r < r1; r++) {
    const float *x = p->x + r * dim;
    float *out = p->out + r * dim;
    const double rs = 1.0 / sqrt(row_dot(x, x, dim) / (double)dim + p->eps);
    p->rstd[r] = (float)rs;
    const float f = (float)(p->scale * rs);
    const float *g = p->gain;
    for (long j = 0; j < dim; j++) out[j] = (x[j] * f) * g[j];
  }
}

static void k_rms_norm(float *out, float *rstd, const float *x, const float *gain, long rows, long dim, double eps,
                       double scale) {
  norm_ctx p = {0};
  p.out = out; p.rstd = rstd; p.x = x; p.gain = gain; p.rows = rows; p.dim = dim; p.eps = eps; p.scale = scale;
  par_for(rows, rows_grain(dim), rows * dim >= PAR_MIN, rms_norm_range, &p);
}

/* The gain gradient of the norms is a sum over rows: each chunk of NORM_CHUNK rows sums its rows in float
 * into its own partial row, and the partials are added in chunk order in double (combine_partials). */
#define NORM_CHUNK 32L

typedef struct {
  float *dst;
  const float *part;
  long nch, width;
  double scale;
} combine_ctx;

static void combine_range(void *c, long j0, long j1, int thread) {
  (void)thread;
  const combine_ctx *p = c;
  for (long j = j0; j < j1; j++) {
    double s = 0;
    for (long ch = 0; ch < p->nch; ch++) s += (double)p->part[ch * p->width + j];
    p->dst[j] = (float)((double)p->dst[j] + p->scale * s);
  }
}

/* dst[j] += scale · Σ_chunks part[chunk, j] */
static void combine_partials(float *dst, const float *part, long nch, long width, double scale) {
  combine_ctx p = {dst, part, nch, width, scale};
  par_for(width, 256, nch * width >= PAR_MIN, combine_range, &p);
}

static void rms_norm_backward_chunk(void *c, int task, int thread) {
  (void)thread;
  const norm_ctx *p = c;
  const long dim = p->dim;
  const long r0 = (long)task * NORM_CHUNK, r1 = r0 + NORM_CHUNK < p->rows ? r0 + NORM_CHUNK : p->rows;
  float *pg = p->dgain_part + (long)task * dim;
  const float *g = p->gain;
  double ds = 0;
  for (long r = r0; r < r1; r++) {
    const float *x = p->x + r * dim, *dout = p->dout + r * dim;
    float *dx = p->dx + r * dim;
    const double rs = p->rstd_in[r];
    /* Σ dout·gain·x, in float lanes */
    vf s0 = SPLAT(0);
    long j = 0;
    for (; j + VL <= dim; j += VL) s0 += LD(dout + j) * LD(g + j) * LD(x + j);
    double dot = hsum_d(s0);
    for (; j < dim; j++) dot += (double)(dout[j] * g[j] * x[j]);
    ds += dot * rs;
    const float cc = (float)(dot * rs * rs / (double)dim);
    const float sr = (float)(p->scale * rs), rsf = (float)rs;
    if (p->accumulate)
      for (j = 0; j < dim; j++) dx[j] += sr * (dout[j] * g[j] - x[j] * cc);
    else
      for (j = 0; j < dim; j++) dx[j] = sr * (dout[j] * g[j] - x[j] * cc);
    if (r == r0)
      for (j = 0; j < dim; j++) pg[j] = dout[j] * x[j] * rsf;
    else
      for (j = 0; j < dim; j++) pg[j] += dout[j] * x[j] * rsf;
  }
  p->dscale_part[task] = ds;
}

static double k_rms_norm_backward(float *dx, float *dgain, const float *dout, const float *x, const float *gain,
                                  const float *rstd, long rows, long dim, double scale, int accumulate_dx) {
  if (rows <= 0) return 0.0;
  const long nch = (rows + NORM_CHUNK - 1) / NORM_CHUNK;
  const size_t part_bytes = ((size_t)(nch * dim) * sizeof(float) + 63) & ~(size_t)63;
  char *buf = op_buffer(part_bytes + (size_t)nch * sizeof(double));
  norm_ctx p = {0};
  p.dx = dx; p.dgain_part = (float *)buf; p.dscale_part = (double *)(buf + part_bytes);
  p.dout = dout; p.x = x; p.gain = gain; p.rstd_in = rstd; p.rows = rows; p.dim = dim; p.scale = scale;
  p.accumulate = accumulate_dx;
  par_tasks((int)nch, rows * dim >= PAR_MIN, rms_norm_backward_chunk, &p);
  combine_partials(dgain, p.dgain_part, nch, dim, scale);
  double s = 0;
  for (long c = 0; c < nch; c++) s += p.dscale_part[c];
  return s;
}

static void head_layer_norm_range(void *c, long r0, long r1, int thread) {
  (void)thread;
  const norm_ctx *p = c;
  const long hd = p->head_dim, heads = p->heads;
  for (long r = r0; r < r1; r++) {
    for (long h = 0; h < heads; h++) {
      const long o = (r * heads + h) * hd;
      const float *x = p->x + o;
      float *out = p->out + o;
      const float *g = p->gain + h * hd;
      const double mu = row_sum(x, hd) / (double)hd;
      const float muf = (float)mu;
      const double var = row_sumsq_centered(x, hd, muf) / (double)hd;
      const double rs = 1.0 / sqrt(var + p->eps);
      p->mean[r * heads + h] = muf;
      p->rstd[r * heads + h] = (float)rs;
      const float rsf = (float)rs;
      for (long j = 0; j < hd; j++) out[j] = ((x[j] - muf) * rsf) * g[j];
    }
  }
}

static void k_head_layer_norm(float *out, float *mean, float *rstd, const float *x, const float *gain, long rows,
                              long heads, long head_dim, double eps) {
  norm_ctx p = {0};
  p.out = out; p.mean = mean; p.rstd = rstd; p.x = x; p.gain = gain; p.rows = rows; p.heads = heads;
  p.head_dim = head_dim; p.eps = eps;
  const long width = heads * head_dim;
  par_for(rows, rows_grain(width), rows * width >= PAR_MIN, head_layer_norm_range, &p);
}

static void head_layer_norm_backward_chunk(void *c, int task, int thread) {
  (void)thread;
  const norm_ctx *p = c;
  const long hd = p->head_dim, heads = p->heads, width = heads * hd;
  const long r0 = (long)task * NORM_CHUNK, r1 = r0 + NORM_CHUNK < p->rows ? r0 + NORM_CHUNK : p->rows;
  float *pg0 = p->dgain_part + (long)task * width;
  for (long r = r0; r < r1; r++) {
    for (long h = 0; h < heads; h++) {
      const long o = (r * heads + h) * hd;
      const float *x = p->x + o, *dout = p->dout + o, *g = p->gain + h * hd;
      float *dx = p->dx + o, *pg = pg0 + h * hd;
      const float mu = p->mean_in[r * heads + h], rs = p->rstd_in[r * heads + h];
      /* Σ d and Σ d·xhat with d = dout·gain, xhat = (x − μ)·rstd */
      vf sd = SPLAT(0), sdx = SPLAT(0);
      const vf vmu = SPLAT(mu), vrs = SPLAT(rs);
      long j = 0;
      for (; j + VL <= hd; j += VL) {
        const vf d = LD(dout + j) * LD(g + j), xh = (LD(x + j) - vmu) * vrs;
        sd += d;
        sdx += d * xh;
      }
      double sumd = hsum_d(sd), sumdx = hsum_d(sdx);
      for (; j < hd; j++) {
        const float d = dout[j] * g[j], xh = (x[j] - mu) * rs;
        sumd += d;
        sumdx += (double)(d * xh);
      }
      const float md = (float)(sumd / (double)hd), mdx = (float)(sumdx / (double)hd);
      for (j = 0; j < hd; j++) {
        const float xh = (x[j] - mu) * rs;
        dx[j] = rs * (dout[j] * g[j] - md - xh * mdx);
      }
      if (r == r0)
        for (j = 0; j < hd; j++) pg[j] = dout[j] * ((x[j] - mu) * rs);
      else
        for (j = 0; j < hd; j++) pg[j] += dout[j] * ((x[j] - mu) * rs);
    }
  }
}

static void k_head_layer_norm_backward(float *dx, float *dgain, const float *dout, const float *x, const float *gain,
                                       const float *mean, const float *rstd, long rows, long heads, long head_dim) {
  if (rows <= 0) return;
  const long width = heads * head_dim;
  const long nch = (rows + NORM_CHUNK - 1) / NORM_CHUNK;
  norm_ctx p = {0};
  p.dx = dx; p.dgain_part = op_buffer((size_t)(nch * width) * sizeof(float));
  p.dout = dout; p.x = x; p.gain = gain; p.mean_in = mean; p.rstd_in = rstd; p.rows = rows; p.heads = heads;
  p.head_dim = head_dim;
  par_tasks((int)nch, rows * width >= PAR_MIN, head_layer_norm_backward_chunk, &p);
  combine_partials(dgain, p.dgain_part, nch, width, 1.0);
}

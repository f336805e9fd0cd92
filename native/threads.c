/* Thread pool: workers spin briefly after each job (kernels come in quick succession during a training step),
 * then sleep on a condition variable. */
#define _GNU_SOURCE
#include "threads.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int g_threads = 0; /* total, caller included; 0 = not started */
static pthread_t g_workers[TP_MAX_THREADS];
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv_start = PTHREAD_COND_INITIALIZER;
static pthread_cond_t g_cv_done = PTHREAD_COND_INITIALIZER;
static atomic_uint g_gen;
static atomic_int g_quit;
static atomic_int g_next_task;
static atomic_int g_active;
static tp_fn g_fn;
static void *g_ctx;
static int g_n_tasks;
static unsigned g_start_gen; /* the generation when the workers were started: a worker must not miss the first job */

#define SPIN_ITERS 20000

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static void run_tasks(int thread) {
  for (;;) {
    int t = atomic_fetch_add_explicit(&g_next_task, 1, memory_order_relaxed);
    if (t >= g_n_tasks) break;
    g_fn(g_ctx, t, thread);
  }
}

static void *worker_main(void *arg) {
  int id = (int)(size_t)arg;
  unsigned seen = g_start_gen;
  for (;;) {
    int spins = 0;
    while (atomic_load_explicit(&g_gen, memory_order_acquire) == seen && !atomic_load(&g_quit)) {
      if (++spins < SPIN_ITERS) { cpu_relax(); continue; }
      pthread_mutex_lock(&g_mu);
      while (atomic_load_explicit(&g_gen, memory_order_acquire) == seen && !atomic_load(&g_quit))
        pthread_cond_wait(&g_cv_start, &g_mu);
      pthread_mutex_unlock(&g_mu);
    }
    if (atomic_load(&g_quit)) return NULL;
    seen = atomic_load_explicit(&g_gen, memory_order_acquire);
    run_tasks(id);
    if (atomic_fetch_sub_explicit(&g_active, 1, memory_order_acq_rel) == 1) {
      pthread_mutex_lock(&g_mu);
      pthread_cond_signal(&g_cv_done);
      pthread_mutex_unlock(&g_mu);
    }
  }
}

int tp_default_threads(void) {
  const char *env = getenv("PRETRAIN_THREADS");
  if (env && *env) {
    int n = atoi(env);
    if (n >= 1 && n <= TP_MAX_THREADS) return n;
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n < 1) n = 1;
  if (n > TP_MAX_THREADS) n = TP_MAX_THREADS;
  return (int)n;
}

static void stop_workers(void) {
  if (g_threads <= 1) { g_threads = 0; return; }
  pthread_mutex_lock(&g_mu);
  atomic_store(&g_quit, 1);
  pthread_cond_broadcast(&g_cv_start);
  pthread_mutex_unlock(&g_mu);
  for (int i = 1; i < g_threads; i++) pthread_join(g_workers[i], NULL);
  atomic_store(&g_quit, 0);
  g_threads = 0;
}

static int start_workers(int n) {
  g_threads = 1;
  g_start_gen = atomic_load(&g_gen);
  for (int i = 1; i < n; i++) {
    if (pthread_create(&g_workers[i], NULL, worker_main, (void *)(size_t)i) != 0) return -1;
    g_threads = i + 1;
  }
  return 0;
}

int tp_set_threads(int n) {
  if (n < 1 || n > TP_MAX_THREADS) return -1;
  if (n == g_threads) return 0;
  stop_workers();
  return start_workers(n);
}

int tp_num_threads(void) {
  if (g_threads == 0) start_workers(tp_default_threads());
  return g_threads;
}

void tp_parallel_for(int n_tasks, tp_fn fn, void *ctx) {
  if (n_tasks <= 0) return;
  int nt = tp_num_threads();
  if (nt == 1 || n_tasks == 1) {
    for (int t = 0; t < n_tasks; t++) fn(ctx, t, 0);
    return;
  }
  g_fn = fn;
  g_ctx = ctx;
  g_n_tasks = n_tasks;
  atomic_store_explicit(&g_next_task, 0, memory_order_relaxed);
  atomic_store_explicit(&g_active, nt - 1, memory_order_relaxed);
  pthread_mutex_lock(&g_mu);
  atomic_fetch_add_explicit(&g_gen, 1, memory_order_acq_rel);
  pthread_cond_broadcast(&g_cv_start);
  pthread_mutex_unlock(&g_mu);
  run_tasks(0);
  int spins = 0;
  while (atomic_load_explicit(&g_active, memory_order_acquire) != 0) {
    if (++spins < SPIN_ITERS) { cpu_relax(); continue; }
    pthread_mutex_lock(&g_mu);
    while (atomic_load_explicit(&g_active, memory_order_acquire) != 0) pthread_cond_wait(&g_cv_done, &g_mu);
    pthread_mutex_unlock(&g_mu);
  }
}

static void *g_scratch[TP_MAX_THREADS][TP_SCRATCH_SLOTS];
static size_t g_scratch_size[TP_MAX_THREADS][TP_SCRATCH_SLOTS];

void *tp_scratch(int thread, int slot, size_t bytes) {
  if (g_scratch_size[thread][slot] < bytes) {
    free(g_scratch[thread][slot]);
    size_t sz = (bytes + 63) & ~(size_t)63;
    void *p = NULL;
    if (posix_memalign(&p, 64, sz) != 0) p = NULL;
    g_scratch[thread][slot] = p;
    g_scratch_size[thread][slot] = p ? sz : 0;
  }
  return g_scratch[thread][slot];
}

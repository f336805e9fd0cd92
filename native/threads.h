/* A persistent pool of worker threads for data-parallel kernels.
 *
 * tp_parallel_for runs fn(ctx, task, thread) for task = 0..n_tasks-1 on all threads (the caller is
 * thread 0) and returns when every task is done. Tasks are handed out dynamically, so a kernel that wants
 * results independent of the thread count must make each task's output depend only on the task index. */
#ifndef PRETRAIN_THREADS_H
#define PRETRAIN_THREADS_H
#include <stddef.h>

#define TP_MAX_THREADS 256

typedef void (*tp_fn)(void *ctx, int task, int thread);

void tp_parallel_for(int n_tasks, tp_fn fn, void *ctx);
int tp_num_threads(void);
/* Changes the number of threads (1..TP_MAX_THREADS); returns 0 on success. */
int tp_set_threads(int n);
/* Default thread count: PRETRAIN_THREADS if set, else the number of online CPUs. */
int tp_default_threads(void);
/* A per-thread scratch buffer of at least `bytes` bytes, 64-byte aligned, kept between calls. */
void *tp_scratch(int thread, int slot, size_t bytes);

#define TP_SCRATCH_SLOTS 4
#endif

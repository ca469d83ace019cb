/* Which thread holds the interpreter (the GIL), sampled every 200 us by a native thread that never
 * takes the GIL itself (CPython 3.11 internals; Linux). Used to find why the window paused while a
 * worker opened a project (see gil_holder.py for how to build and read it).
 *
 * Each sample: CLOCK_MONOTONIC time (the clock of time.perf_counter), whether the GIL is held, the
 * switch counter, the holder's thread id and the code objects of its 8 innermost Python frames, and
 * the sampler's own run and run-queue times (schedstat). The holder's frames are read with
 * process_vm_readv, so a frame freed meanwhile gives an error, never a crash; note that this call
 * takes the address space's lock for reading (a writer queued behind it waits a little).
 */
#define Py_BUILD_CORE 1
#include <Python.h>
#include "internal/pycore_runtime.h"
#include "internal/pycore_frame.h"
#include <pthread.h>
#include <time.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/uio.h>
#include <unistd.h>
static pid_t me;
static int rd(void *addr, void *out, size_t len){
  struct iovec l = {out, len}, r = {addr, len};
  return process_vm_readv(me, &l, 1, &r, 1, 0) == (ssize_t)len;
}

#define DEPTH 8
typedef struct { double t; unsigned long holder; int locked; unsigned long sw; void *code[DEPTH]; unsigned long long ex, dl; } rec;
static rec *buf; static long cap; static volatile long n; static volatile int running; static pthread_t th;
static long period_ns = 200000;

static double now(void){ struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts); return ts.tv_sec + ts.tv_nsec*1e-9; }

static void *loop(void *arg){
  struct _gil_runtime_state *g = &_PyRuntime.ceval.gil;
  struct timespec sl = {0, period_ns};
  int fd = open("/proc/thread-self/schedstat", O_RDONLY);
  char sb[128];
  while (running && n < cap){
    rec *r = &buf[n];
    r->ex = r->dl = 0;
    if (fd >= 0){ ssize_t k = pread(fd, sb, sizeof sb - 1, 0); if (k > 0){ sb[k]=0; sscanf(sb, "%llu %llu", &r->ex, &r->dl); } }
    r->t = now();
    r->locked = _Py_atomic_load_relaxed(&g->locked);
    r->sw = g->switch_number;
    PyThreadState *ts = (PyThreadState*)_Py_atomic_load_relaxed(&g->last_holder);
    for (int i=0;i<DEPTH;i++) r->code[i]=0;
    r->holder = 0;
    PyThreadState tsc; _PyCFrame cf; _PyInterpreterFrame fr;
    if (ts && rd(ts, &tsc, sizeof tsc)){
      r->holder = tsc.thread_id;
      if (tsc.cframe && rd(tsc.cframe, &cf, sizeof cf)){
        _PyInterpreterFrame *f = cf.current_frame;
        for (int i=0; i<DEPTH && f && rd(f, &fr, sizeof fr); i++){ r->code[i] = fr.f_code; f = fr.previous; }
      }
    }
    n++;
    nanosleep(&sl, NULL);
  }
  return NULL;
}
int gw_start(long capacity, long period){ me=getpid(); cap=capacity; period_ns=period; buf = calloc(cap, sizeof(rec)); n=0; running=1; return pthread_create(&th, NULL, loop, NULL); }
long gw_stop(void){ running=0; pthread_join(th, NULL); return n; }
void *gw_buf(void){ return buf; }
int gw_recsize(void){ return sizeof(rec); }

/*
 * bench/spin/pan_clock.h -- a microsecond clock for pan's rate.
 *
 * pan (SPIN 6.5.2's pan.c: start_timer, stop_timer) times its search with
 * times(2) and divides by sysconf(_SC_CLK_TCK): 100 ticks a second here,
 * so a 70 ms search reads 0.06, 0.07 or 0.08 s and its rate is off by up
 * to a seventh. run.sh builds pan with `gcc -include pan_clock.h`, which
 * makes times() return CLOCK_MONOTONIC in microseconds (it still fills
 * in the struct tms) and sysconf(_SC_CLK_TCK) return 1000000. Nothing
 * else in pan changes: the search, its states and its output are the
 * same; only the elapsed time it prints is precise to a microsecond.
 */
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

static clock_t pan_clock_times(struct tms *t)
{
	struct timespec ts;

	if (t)
		times(t);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (clock_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

#define times(t) pan_clock_times(t)
#define sysconf(n) ((n) == _SC_CLK_TCK ? 1000000L : sysconf(n))

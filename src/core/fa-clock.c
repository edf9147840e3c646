/* fa-clock - monotonic milliseconds (see fa-clock.h) */

#include "fa-clock.h"

#include <time.h>

long long fa_clock_msecs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#ifndef FA_CLOCK_H
#define FA_CLOCK_H

/* fa-clock - the one clock the core measures deadlines and cache ages
   with: monotonic, so a changed wall clock moves neither */

/* fa_clock_msecs - monotonic milliseconds */
long long fa_clock_msecs(void);

#endif

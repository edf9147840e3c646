/* fuzz-settings - libFuzzer target: any bytes as a config file. */
#include "fa-settings.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fa_settings *set;
	const char *error;

	if (fa_settings_parse("fuzz.conf", (const char *)data, size,
			      &set, &error) == 0)
		fa_settings_free(&set);
	return 0;
}

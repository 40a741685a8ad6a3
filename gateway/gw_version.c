/* gw_version: the version string of the gateway. */
#include "gw_version.h"

const char *gw_version(void)
{
    return "meetd 0.1.0";
}

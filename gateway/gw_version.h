/* gw_version: the version string meetd reports (--version, /health). */
#ifndef GW_VERSION_H
#define GW_VERSION_H

/** Returns a static string such as "meetd 0.1.0". */
const char *gw_version(void);

#endif

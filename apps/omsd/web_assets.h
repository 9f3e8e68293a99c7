/*
 * web_assets.h - the blotter's static files, embedded in omsd (not installed).
 *
 * The build turns apps/omsd/web/ into a table of these (a generated .c);
 * admin.c serves GET / as "index.html" and GET /blotter/<path> as <path>,
 * with the row's content type. The data lives for the life of the process.
 */
#ifndef OMSD_WEB_ASSETS_H
#define OMSD_WEB_ASSETS_H

#include <stddef.h>

typedef struct omsd_web_asset_s {
  const char *path;         /* "index.html", "app.js", ... */
  const char *content_type; /* "text/html; charset=utf-8", ... */
  const unsigned char *data;
  size_t len;
} omsd_web_asset_t;

extern const omsd_web_asset_t omsd_web_assets[];
extern const size_t omsd_web_nassets;

#endif /* OMSD_WEB_ASSETS_H */
